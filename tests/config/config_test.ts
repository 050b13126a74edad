import assert from "node:assert/strict";
import {
  type ClientConfig,
  ConfigError,
  type EnvLookup,
  parseClientConfig,
  parseServerConfig,
  type ServerConfig,
  VERSION,
} from "../../lib/config/config.ts";

// ---------------------------------------------------------------------------
// helpers

interface Inputs {
  env?: Record<string, string>;
  files?: Record<string, string>;
}

function envOf(vars: Record<string, string> = {}): EnvLookup {
  return { get: (name) => Object.hasOwn(vars, name) ? vars[name] : undefined };
}

function readerOf(files: Record<string, string> = {}): (path: string) => string {
  return (path) => {
    if (!Object.hasOwn(files, path)) throw new Deno.errors.NotFound(`No such file: ${path}`);
    return files[path];
  };
}

function client(argv: string[], inputs: Inputs = {}): ClientConfig {
  const result = parseClientConfig(argv, envOf(inputs.env), readerOf(inputs.files));
  assert.ok("remoteaddr" in result, "expected a client config");
  return result;
}

function server(argv: string[], inputs: Inputs = {}): ServerConfig {
  const result = parseServerConfig(argv, envOf(inputs.env), readerOf(inputs.files));
  assert.ok("listen" in result, "expected a server config");
  return result;
}

function clientError(argv: string[], message: string, inputs: Inputs = {}): void {
  assert.throws(
    () => parseClientConfig(argv, envOf(inputs.env), readerOf(inputs.files)),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
      assert.equal(error.message, message);
      return true;
    },
  );
}

function serverError(argv: string[], message: string, inputs: Inputs = {}): void {
  assert.throws(
    () => parseServerConfig(argv, envOf(inputs.env), readerOf(inputs.files)),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
      assert.equal(error.message, message);
      return true;
    },
  );
}

/** Small seeded PRNG (mulberry32) for the fuzz tests. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON_DEFAULTS = {
  key: "it's a secrect",
  crypt: "aes",
  mode: "fast",
  mtu: 1350,
  datashard: 10,
  parityshard: 3,
  dscp: 0,
  nocomp: false,
  acknodelay: false,
  // --mode fast: nodelay 0, interval 30, resend 2, nc 1
  nodelay: 0,
  interval: 30,
  resend: 2,
  nc: 1,
  sockbuf: 4194304,
  smuxver: 2,
  smuxbuf: 4194304,
  streambuf: 2097152,
  framesize: 8192,
  keepalive: 10,
  ratelimit: 0,
  qpp: false,
  qppCount: 61,
  snmplog: "",
  snmpperiod: 60,
  log: "",
  quiet: false,
  tcp: false,
  pprof: false,
  explicit: { crypt: false, nocomp: false, smuxver: false },
  warnings: [],
};

// ---------------------------------------------------------------------------
// defaults

Deno.test("client defaults are latest kcptun's, but for a receive window of 1024", () => {
  assert.deepEqual(client([]), {
    ...COMMON_DEFAULTS,
    localaddr: { kind: "tcp", host: "", port: 12948 },
    remoteaddr: { host: "vps", portMin: 29900, portMax: 29900 },
    conn: 1,
    autoexpire: 0,
    scavengettl: 600,
    sndwnd: 128,
    rcvwnd: 1024, // kcptun: 512 (see README, Compatibility)
    closewait: 0,
  });
});

Deno.test("server defaults are latest kcptun's", () => {
  assert.deepEqual(server([]), {
    ...COMMON_DEFAULTS,
    listen: { host: "", portMin: 29900, portMax: 29900 },
    target: { kind: "tcp", host: "127.0.0.1", port: 12948 },
    sndwnd: 1024,
    rcvwnd: 1024,
    closewait: 30,
  });
});

// ---------------------------------------------------------------------------
// flag forms and aliases

Deno.test("every Go flag form sets an int flag", () => {
  for (const argv of [["-mtu", "1400"], ["--mtu", "1400"], ["-mtu=1400"], ["--mtu=1400"]]) {
    assert.equal(client(argv).mtu, 1400, argv.join(" "));
  }
  assert.equal(client(["--mtu", "+1400"]).mtu, 1400);
  assert.equal(client(["--ratelimit", "0"]).ratelimit, 0);
});

Deno.test("every Go flag form sets a string flag", () => {
  for (const argv of [["-key", "x"], ["--key", "x"], ["-key=x"], ["--key=x"]]) {
    assert.equal(client(argv).key, "x", argv.join(" "));
  }
  // "=" after the first one belongs to the value
  assert.equal(client(["--key=a=b"]).key, "a=b");
  assert.equal(client(["--key="]).key, "");
});

Deno.test("boolean flags: bare, =true/false and Go's ParseBool spellings", () => {
  assert.equal(client(["--nocomp"]).nocomp, true);
  assert.equal(client(["-nocomp"]).nocomp, true);
  for (const text of ["1", "t", "T", "true", "TRUE", "True"]) {
    assert.equal(client([`--nocomp=${text}`]).nocomp, true, text);
  }
  for (const text of ["0", "f", "F", "false", "FALSE", "False"]) {
    assert.equal(client([`--nocomp=${text}`]).nocomp, false, text);
  }
  assert.equal(client(["--nocomp", "--nocomp=false"]).nocomp, false);
  const all = client([
    "--acknodelay",
    "--quiet",
    "--QPP",
    "--QPPCount",
    "11",
    "--key",
    "k".repeat(211),
  ]);
  assert.equal(all.acknodelay, true);
  assert.equal(all.quiet, true);
  assert.equal(all.qpp, true);
  assert.deepEqual(all.warnings, []);
});

Deno.test("a value flag takes the next argument even if it starts with '-', as in Go", () => {
  assert.equal(client(["--key", "-secret-", "--mtu", "1400"]).key, "-secret-");
  assert.equal(client(["-key", "--mtu"]).key, "--mtu");
});

Deno.test("aliases -l -r (client), -l -t (server), --ds --ps, -c", () => {
  const c = client(["-l", "127.0.0.1:1080", "-r", "example.com:4000", "--ds", "5", "-ps", "2"]);
  assert.deepEqual(c.localaddr, { kind: "tcp", host: "127.0.0.1", port: 1080 });
  assert.deepEqual(c.remoteaddr, { host: "example.com", portMin: 4000, portMax: 4000 });
  assert.equal(c.datashard, 5);
  assert.equal(c.parityshard, 2);
  const s = server(["-l=:4000", "-t", "10.0.0.1:22", "-ds=0", "--ps=0"]);
  assert.deepEqual(s.listen, { host: "", portMin: 4000, portMax: 4000 });
  assert.deepEqual(s.target, { kind: "tcp", host: "10.0.0.1", port: 22 });
  assert.equal(s.datashard, 0);
  assert.equal(s.parityshard, 0);
  const files = { "a.json": '{"mtu": 1200}' };
  assert.equal(client(["-c", "a.json"], { files }).mtu, 1200);
  assert.equal(client(["--c=a.json"], { files }).mtu, 1200);
});

Deno.test("long names keep kcptun's spelling and every flag is accepted", () => {
  const c = client([
    ...["--localaddr", "/tmp/kcp.sock", "--remoteaddr", "[::1]:29900-29910"],
    ...["--key", "k", "--crypt", "salsa20", "--mode", "manual", "--QPP", "--QPPCount", "7"],
    ...["--conn", "4", "--autoexpire", "60", "--scavengettl", "30", "--mtu", "1200"],
    ...["--ratelimit", "1000", "--sndwnd", "256", "--rcvwnd", "2048"],
    ...["--datashard", "4", "--parityshard", "2", "--dscp", "0", "--nocomp", "--acknodelay"],
    ...["--nodelay", "1", "--interval", "15", "--resend", "3", "--nc", "1"],
    ...["--sockbuf", "4194304", "--smuxver", "1", "--smuxbuf", "1048576"],
    ...["--framesize", "4096", "--streambuf", "524288", "--keepalive", "5"],
    ...["--closewait", "2", "--snmplog", "./snmp.log", "--snmpperiod", "5"],
    ...["--log", "k.log", "--quiet", "--tcp=false", "--pprof=false"],
  ]);
  assert.deepEqual(c, {
    localaddr: { kind: "unix", path: "/tmp/kcp.sock" },
    remoteaddr: { host: "::1", portMin: 29900, portMax: 29910 },
    conn: 4,
    autoexpire: 60,
    scavengettl: 30,
    key: "k",
    crypt: "salsa20",
    mode: "manual",
    mtu: 1200,
    sndwnd: 256,
    rcvwnd: 2048,
    datashard: 4,
    parityshard: 2,
    dscp: 0,
    nocomp: true,
    acknodelay: true,
    nodelay: 1,
    interval: 15,
    resend: 3,
    nc: 1,
    sockbuf: 4194304,
    smuxver: 1,
    smuxbuf: 1048576,
    streambuf: 524288,
    framesize: 4096,
    keepalive: 5,
    ratelimit: 1000,
    closewait: 2,
    qpp: true,
    qppCount: 7,
    snmplog: "./snmp.log",
    snmpperiod: 5,
    log: "k.log",
    quiet: true,
    tcp: false,
    pprof: false,
    explicit: { crypt: true, nocomp: true, smuxver: true },
    warnings: ["QPP: the key is 1 bytes long; at least 211 bytes are recommended"],
  });
});

Deno.test("the last occurrence of a flag wins", () => {
  assert.equal(client(["--mtu", "1000", "-mtu=1100", "--mtu", "1200"]).mtu, 1200);
});

Deno.test("'--' ends the flags; 'help' as the first argument asks for help", () => {
  assert.equal(client(["--mtu", "1200", "--"]).mtu, 1200);
  assert.ok("help" in parseClientConfig(["help"], envOf(), readerOf()));
  assert.ok("help" in parseClientConfig(["--mtu", "1200", "h"], envOf(), readerOf()));
  assert.ok("help" in parseServerConfig(["--", "help"], envOf(), readerOf()));
  clientError(["--", "x"], 'Unexpected argument "x"');
});

// ---------------------------------------------------------------------------
// help and version

Deno.test("--help/-h return the help text, --version/-v the version", () => {
  for (const flag of ["--help", "-h", "-help", "--h", "--help=true"]) {
    const result = parseClientConfig([flag], envOf(), readerOf());
    assert.ok("help" in result, flag);
    assert.match(result.help, /kcptun-ts client/);
  }
  for (const flag of ["--version", "-v", "-version", "--v"]) {
    assert.deepEqual(parseServerConfig([flag], envOf(), readerOf()), { version: VERSION });
  }
  // help wins over later bad flags; earlier bad flags are reported
  assert.ok("help" in parseClientConfig(["-h", "--bogus"], envOf(), readerOf()));
  clientError(["--bogus", "-h"], "Unknown flag --bogus");
});

Deno.test("help lists every flag with its default, JSON key and the 2021 differences", () => {
  const help = (parseClientConfig(["-h"], envOf(), readerOf()) as { help: string }).help;
  const lines = help.split("\n");
  const line = (start: string) => {
    const found = lines.find((l) => l.trimStart().startsWith(start + " ") || l.trim() === start);
    assert.ok(found !== undefined, `no help line for ${start}`);
    return found;
  };
  assert.match(line("--localaddr value, -l value"), /\(default: ":12948"\) \[json: localaddr\]/);
  assert.match(line("--remoteaddr value, -r value"), /\(default: "vps:29900"\)/);
  assert.match(line("--key value"), /\(default: "it's a secrect"\) \[\$KCPTUN_KEY\] \[json: key\]/);
  assert.match(line("--datashard value, --ds value"), /\(default: 10\) \[json: datashard\]/);
  assert.match(line("--parityshard value, --ps value"), /\(default: 3\) \[json: parityshard\]/);
  assert.match(line("--QPPCount value"), /\(default: 61\) \[json: qpp-count\]/);
  assert.match(line("--smuxver value"), /\(default: 2; kcptun 2021 default: 1\)/);
  assert.match(line("--framesize value"), /\(default: 8192; kcptun 2021 .*32768\)/);
  assert.match(line("--closewait value"), /\(default: 0; kcptun 2021/);
  assert.match(line("--sndwnd value"), /\(default: 128\)/);
  assert.match(line("--interval value"), /\(default: 50\) \[json: interval\]/);
  assert.match(line("--nocomp"), /\(default: false\) \[json: nocomp\]/);
  assert.match(line("-c value"), /JSON file/);
  assert.match(help, /VERSION:\n {3}0\.1\.0\n/);
  assert.doesNotMatch(help, /--listen|--target/);
  const serverHelp = (parseServerConfig(["-h"], envOf(), readerOf()) as { help: string }).help;
  assert.match(serverHelp, /--sndwnd value +.*\(default: 1024\)/);
  assert.match(serverHelp, /--closewait value +.*\(default: 30;/);
  assert.match(serverHelp, /--target value, -t value +.*\(default: "127\.0\.0\.1:12948"\)/);
  assert.doesNotMatch(serverHelp, /--conn|--autoexpire|--scavengettl|--remoteaddr/);
});

Deno.test("VERSION matches deno.json", async () => {
  const denoJson = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  );
  assert.equal(VERSION, denoJson.version);
});

// ---------------------------------------------------------------------------
// KCPTUN_KEY and JSON

Deno.test("KCPTUN_KEY supplies the key; --key and JSON override it", () => {
  const env = { KCPTUN_KEY: "from-env" };
  assert.equal(client([], { env }).key, "from-env");
  assert.equal(server([], { env }).key, "from-env");
  // urfave/cli v1 uses a set variable even when it is empty
  assert.equal(client([], { env: { KCPTUN_KEY: "" } }).key, "");
  assert.equal(client(["--key", "from-flag"], { env }).key, "from-flag");
  const files = { "k.json": '{"key": "from-json"}' };
  assert.equal(client(["--key", "from-flag", "-c", "k.json"], { env, files }).key, "from-json");
});

Deno.test("JSON fields present override flags; absent ones keep the flag values", () => {
  const files = {
    "c.json": JSON.stringify({
      remoteaddr: "1.2.3.4:500-510",
      crypt: "aes-128",
      mtu: 1400,
      nocomp: false,
      "qpp-count": 13,
      qpp: true,
      ratelimit: 1048576,
      closewait: 3,
      framesize: 16384,
    }),
  };
  const c = client(
    ["-c", "c.json", "--mtu", "1000", "--nocomp", "--sndwnd", "64", "--crypt", "xor"],
    { files, env: { KCPTUN_KEY: "x".repeat(300) } },
  );
  assert.deepEqual(c.remoteaddr, { host: "1.2.3.4", portMin: 500, portMax: 510 });
  assert.equal(c.crypt, "aes-128");
  assert.equal(c.mtu, 1400);
  assert.equal(c.nocomp, false);
  assert.equal(c.sndwnd, 64); // from the flag: absent in JSON
  assert.equal(c.qpp, true);
  assert.equal(c.qppCount, 13);
  assert.equal(c.ratelimit, 1048576);
  assert.equal(c.closewait, 3);
  assert.equal(c.framesize, 16384);
  assert.deepEqual(c.warnings, []);
});

Deno.test("JSON keys match case-insensitively and null leaves a field unchanged, as Go's json", () => {
  const files = { "c.json": '{"MTU": 1300, "Key": "K", "crypt": null, "QPP-Count": 11}' };
  const c = client(["-c", "c.json", "--crypt", "tea"], { files });
  assert.equal(c.mtu, 1300);
  assert.equal(c.key, "K");
  assert.equal(c.crypt, "tea");
  assert.equal(c.qppCount, 11);
  // null from JSON does not count as explicit
  assert.equal(
    client(["-c", "n.json"], { files: { "n.json": '{"crypt": null}' } }).explicit.crypt,
    false,
  );
  // a later duplicate key wins, as with Go's decoder
  assert.equal(
    client(["-c", "d.json"], { files: { "d.json": '{"mtu": 1000, "mtu": 1100}' } }).mtu,
    1100,
  );
});

Deno.test("kcptun's example JSON files load (unknown keys warn)", () => {
  const local = {
    localaddr: ":3000",
    remoteaddr: "127.0.0.1:29900-29999",
    key: "PASSWORD",
    crypt: "aes-128",
    qpp: false,
    "qpp-count": 61,
    mode: "fast3",
    mtu: 1400,
    ratelimit: 1048576,
    sndwnd: 128,
    rcvwnd: 1024,
    datashard: 10,
    parityshard: 3,
    dscp: 46,
    nocomp: true,
    acknodelay: false,
    nodelay: 1,
    interval: 40,
    resend: 2,
    nc: 1,
    sockbuf: 16777217,
    smuxver: 2,
    smuxbuf: 16777217,
    streambuf: 2097152,
    keepalive: 10,
    autoexpire: 300,
    quiet: false,
    tcp: false,
    listen: ":1",
  };
  const c = client(["-c", "local.json"], { files: { "local.json": JSON.stringify(local) } });
  assert.deepEqual(c.localaddr, { kind: "tcp", host: "", port: 3000 });
  assert.deepEqual(c.remoteaddr, { host: "127.0.0.1", portMin: 29900, portMax: 29999 });
  assert.equal(c.autoexpire, 300);
  // fast3 applied after JSON: the JSON's interval 40 is replaced
  assert.deepEqual([c.nodelay, c.interval, c.resend, c.nc], [1, 10, 2, 1]);
  assert.deepEqual(c.warnings, [
    'Unknown key "listen" in config file "local.json"; ignored',
    "--dscp is not supported by Deno (it cannot set the IP TOS byte); ignored",
    // kcptun latest prints this one too for its own example
    "--scavengettl 600 is bigger than --autoexpire 300: expired sessions may race for " +
    "bandwidth; try a smaller --scavengettl",
  ]);
  const s = server(["-c", "s.json"], {
    files: { "s.json": '{"listen": ":29900-29999", "target": "127.0.0.1:2000", "pprof": false}' },
  });
  assert.deepEqual(s.listen, { host: "", portMin: 29900, portMax: 29999 });
  assert.deepEqual(s.target, { kind: "tcp", host: "127.0.0.1", port: 2000 });
});

Deno.test("mode profiles are applied after JSON; manual keeps the individual values", () => {
  const expected: Record<string, number[]> = {
    normal: [0, 40, 2, 1],
    fast: [0, 30, 2, 1],
    fast2: [1, 20, 2, 1],
    fast3: [1, 10, 2, 1],
    manual: [1, 15, 4, 1],
  };
  const manual = ["--nodelay", "1", "--interval", "15", "--resend", "4", "--nc", "1"];
  for (const [mode, values] of Object.entries(expected)) {
    const c = client(["--mode", mode, ...manual]);
    assert.deepEqual([c.nodelay, c.interval, c.resend, c.nc], values, mode);
  }
  const m = client([]);
  assert.deepEqual([m.nodelay, m.interval, m.resend, m.nc], [0, 30, 2, 1]);
  const defaults = client(["--mode", "manual"]);
  assert.deepEqual(
    [defaults.nodelay, defaults.interval, defaults.resend, defaults.nc],
    [0, 50, 0, 0],
  );
  const files = { "m.json": '{"mode": "manual", "interval": 20}' };
  const j = client(["--mode", "fast3", "-c", "m.json"], { files });
  assert.equal(j.mode, "manual");
  assert.equal(j.interval, 20);
});

Deno.test("explicit marks crypt/nocomp/smuxver set by a flag or JSON, even to the default", () => {
  assert.deepEqual(server([]).explicit, { crypt: false, nocomp: false, smuxver: false });
  assert.deepEqual(server(["--crypt", "aes"]).explicit, {
    crypt: true,
    nocomp: false,
    smuxver: false,
  });
  assert.deepEqual(server(["--nocomp=false", "--smuxver=2"]).explicit, {
    crypt: false,
    nocomp: true,
    smuxver: true,
  });
  const files = { "e.json": '{"smuxver": 1, "crypt": "aes"}' };
  assert.deepEqual(server(["-c", "e.json"], { files }).explicit, {
    crypt: true,
    nocomp: false,
    smuxver: true,
  });
});

// ---------------------------------------------------------------------------
// addresses

Deno.test("host:port and host:min-max addresses, IPv6 in brackets", () => {
  const r = (text: string) => client(["-r", text]).remoteaddr;
  assert.deepEqual(r("example.com:2000"), { host: "example.com", portMin: 2000, portMax: 2000 });
  assert.deepEqual(r("example.com:2000-2005"), {
    host: "example.com",
    portMin: 2000,
    portMax: 2005,
  });
  assert.deepEqual(r("0.0.0.0:1-65535"), { host: "0.0.0.0", portMin: 1, portMax: 65535 });
  assert.deepEqual(r("[2001:db8::1]:443"), { host: "2001:db8::1", portMin: 443, portMax: 443 });
  assert.deepEqual(r(":53"), { host: "", portMin: 53, portMax: 53 });
  const l = (text: string) => server(["-l", text]).listen;
  assert.deepEqual(l("[::]:29900-29901"), { host: "::", portMin: 29900, portMax: 29901 });
});

Deno.test("listen/target addresses: TCP or unix socket path", () => {
  const local = (text: string) => client(["-l", text]).localaddr;
  assert.deepEqual(local("127.0.0.1:0"), { kind: "tcp", host: "127.0.0.1", port: 0 });
  assert.deepEqual(local("[::1]:1080"), { kind: "tcp", host: "::1", port: 1080 });
  assert.deepEqual(local("/run/kcptun.sock"), { kind: "unix", path: "/run/kcptun.sock" });
  assert.deepEqual(local("kcp.sock"), { kind: "unix", path: "kcp.sock" });
  assert.deepEqual(local("/run/a:b"), { kind: "unix", path: "/run/a:b" });
  const target = (text: string) => server(["-t", text]).target;
  assert.deepEqual(target("localhost:22"), { kind: "tcp", host: "localhost", port: 22 });
  assert.deepEqual(target("/var/run/app.sock"), { kind: "unix", path: "/var/run/app.sock" });
});

Deno.test("bad addresses name the flag and the rule", () => {
  clientError(
    ["-r", "vps"],
    'Invalid value "vps" for --remoteaddr: must be "host:port" or "host:minport-maxport"',
  );
  clientError(["-r", "vps:0"], 'Invalid value "vps:0" for --remoteaddr: ports must be 1..65535');
  clientError(
    ["-r", "vps:70000"],
    'Invalid value "vps:70000" for --remoteaddr: ports must be 1..65535',
  );
  clientError(
    ["-r", "vps:65534-70000"],
    'Invalid value "vps:65534-70000" for --remoteaddr: ports must be 1..65535',
  );
  clientError(
    ["-r", "vps:3000-2000"],
    'Invalid value "vps:3000-2000" for --remoteaddr: the first port of a range must not exceed the last',
  );
  clientError(
    ["-r", "vps:http"],
    'Invalid value "vps:http" for --remoteaddr: must be "host:port" or "host:minport-maxport"',
  );
  serverError(
    ["-l", "::1:29900"],
    'Invalid value "::1:29900" for --listen: IPv6 addresses must be in brackets, as in "[::1]:29900"',
  );
  serverError(
    ["-l", "[::1]29900"],
    'Invalid value "[::1]29900" for --listen: IPv6 addresses must be in brackets, as in "[::1]:29900"',
  );
  serverError(
    ["-t", "127.0.0.1:0"],
    'Invalid value "127.0.0.1:0" for --target: port must be 1..65535',
  );
  serverError(["-t", ""], 'Invalid value "" for --target: must not be empty');
  clientError(
    ["-l", "127.0.0.1:99999"],
    'Invalid value "127.0.0.1:99999" for --localaddr: port must be 0..65535',
  );
  clientError(
    ["-l", "localhost:socks"],
    'Invalid value "localhost:socks" for --localaddr: must be "host:port" or a unix socket path',
  );
});

// ---------------------------------------------------------------------------
// warnings

Deno.test("dscp and pprof are accepted with a warning; sockbuf is applied, no warning", () => {
  assert.deepEqual(client(["--dscp", "46", "--sockbuf", "1048576", "--pprof"]).warnings, [
    "--dscp is not supported by Deno (it cannot set the IP TOS byte); ignored",
    "--pprof is not supported by Deno; ignored (use deno run --inspect to profile)",
  ]);
  assert.deepEqual(server(["--sockbuf", "4194304", "--dscp", "0"]).warnings, []);
});

Deno.test("QPP warnings follow kcptun's checks: key < 211 bytes, count < 7, count not coprime with 8", () => {
  const longKey = "k".repeat(211);
  assert.deepEqual(client(["--QPP", "--key", longKey]).warnings, []);
  assert.deepEqual(client(["--QPP", "--key", "k".repeat(210), "--QPPCount", "4"]).warnings, [
    "QPP: the key is 210 bytes long; at least 211 bytes are recommended",
    "QPP: --QPPCount 4 is below the recommended minimum of 7",
    "QPP: --QPPCount 4 is not coprime with 8; choose a prime number",
  ]);
  assert.deepEqual(client(["--QPP", "--key", longKey, "--QPPCount", "62"]).warnings, [
    "QPP: --QPPCount 62 is not coprime with 8; choose a prime number",
  ]);
  // the key length is counted in UTF-8 bytes, as Go's len(string)
  assert.deepEqual(client(["--QPP", "--key", "é".repeat(106)]).warnings, []);
  // no QPP, no QPP warnings
  assert.deepEqual(client(["--QPPCount", "4"]).warnings, []);
});

Deno.test("scavengettl above autoexpire warns, as latest kcptun", () => {
  assert.deepEqual(client(["--autoexpire", "60"]).warnings, [
    "--scavengettl 600 is bigger than --autoexpire 60: expired sessions may race for bandwidth; " +
    "try a smaller --scavengettl",
  ]);
  assert.deepEqual(client(["--autoexpire", "60", "--scavengettl", "60"]).warnings, []);
  assert.deepEqual(client(["--autoexpire", "0", "--scavengettl", "6000"]).warnings, []);
});

// ---------------------------------------------------------------------------
// usage errors

Deno.test("unknown flags are refused with a hint", () => {
  clientError(["--foo"], "Unknown flag --foo");
  clientError(["-foo=1"], "Unknown flag -foo");
  clientError(["--mtux", "1"], "Unknown flag --mtux; did you mean --mtu?");
  clientError(["--qpp"], "Unknown flag --qpp; did you mean --QPP?");
  clientError(["--qppcount", "7"], "Unknown flag --qppcount; did you mean --QPPCount?");
  clientError(["--sndwind", "7"], "Unknown flag --sndwind; did you mean --sndwnd?");
  clientError(["-t", "x"], "Unknown flag -t: only the server has --target");
  serverError(["--conn", "2"], "Unknown flag --conn: only the client has --conn");
  serverError(["-r", "x:1"], "Unknown flag -r: only the client has --remoteaddr");
});

Deno.test("missing values, bad syntax and stray arguments are refused", () => {
  clientError(["--mtu"], "Missing value for --mtu");
  clientError(["-l"], "Missing value for --localaddr");
  serverError(["-key"], "Missing value for --key");
  clientError(["-c"], "Missing value for -c");
  clientError(["---mtu", "1"], 'Bad flag syntax "---mtu"');
  clientError(["--=1"], 'Bad flag syntax "--=1"');
  clientError(["foo"], 'Unexpected argument "foo"');
  clientError(["--mtu", "1400", "extra"], 'Unexpected argument "extra"');
  clientError(
    ["--nocomp", "false", "--mtu", "1400"],
    'Unexpected argument "false": boolean flags take their value after "=", as in --nocomp=false',
  );
});

Deno.test("non-numeric values for int flags are refused (decimal only)", () => {
  for (const text of ["abc", "1.5", "0x10", "1e3", "", " 1", "12abc", "99999999999999999999"]) {
    clientError(["--mtu", text], `Invalid value "${text}" for --mtu: must be an integer`);
  }
  clientError(["--ds=x"], 'Invalid value "x" for --datashard: must be an integer');
  clientError(["--nocomp=yes"], 'Invalid value "yes" for --nocomp: must be true or false');
  clientError(["--help=maybe"], 'Invalid value "maybe" for --help: must be true or false');
});

Deno.test("out-of-range values are refused with the range", () => {
  const cases: [string, string, string][] = [
    ["mtu", "49", "50..1500"],
    ["mtu", "1501", "50..1500"],
    ["sndwnd", "0", "1..65535"],
    ["sndwnd", "65536", "1..65535"],
    ["rcvwnd", "0", "1..65535"],
    ["rcvwnd", "65536", "1..65535"],
    ["datashard", "256", "0..255"],
    ["datashard", "-1", "0..255"],
    ["parityshard", "256", "0..255"],
    ["conn", "0", "1..65535"],
    ["conn", "65536", "1..65535"],
    ["autoexpire", "-1", "0..2147483647"],
    ["scavengettl", "-1", "0..2147483647"],
    ["keepalive", "0", "1..30"],
    ["keepalive", "31", "1..30"],
    ["smuxbuf", "0", "1..2147483647"],
    ["framesize", "0", "1..65535"],
    ["framesize", "65536", "1..65535"],
    ["interval", "9", "10..5000"],
    ["interval", "5001", "10..5000"],
    ["resend", "-1", "0..2147483647"],
    ["QPPCount", "0", "1..2147483647"],
    ["snmpperiod", "0", "1..2147483647"],
    ["ratelimit", "-1", "0..2147483647"],
    ["closewait", "-1", "0..2147483647"],
    ["dscp", "64", "0..63"],
    ["sockbuf", "-1", "0..2147483647"],
  ];
  for (const [flag, value, range] of cases) {
    clientError([`--${flag}`, value], `Invalid value "${value}" for --${flag}: must be ${range}`);
  }
  clientError(["--smuxver", "3"], 'Invalid value "3" for --smuxver: must be 1 or 2');
  clientError(["--smuxver", "0"], 'Invalid value "0" for --smuxver: must be 1 or 2');
  clientError(["--nodelay", "2"], 'Invalid value "2" for --nodelay: must be 0 or 1');
  clientError(["--nc", "2"], 'Invalid value "2" for --nc: must be 0 or 1');
  // edges are accepted
  const edges = client([
    ...["--mtu", "50", "--sndwnd", "65535", "--rcvwnd", "1", "--keepalive", "30"],
    ...["--framesize", "65535", "--interval", "5000", "--mode", "manual", "--conn", "65535"],
  ]);
  assert.deepEqual(
    [edges.mtu, edges.sndwnd, edges.rcvwnd, edges.keepalive, edges.framesize, edges.interval],
    [50, 65535, 1, 30, 65535, 5000],
  );
});

Deno.test("datashard + parityshard must be at most 256", () => {
  const ok = client(["--ds", "128", "--ps", "128"]);
  assert.deepEqual([ok.datashard, ok.parityshard], [128, 128]);
  clientError(
    ["--ds", "200", "--ps", "100"],
    'Invalid value "100" for --parityshard: datashard + parityshard must be at most 256, got 200 + 100',
  );
});

Deno.test("streambuf must be 1..smuxbuf", () => {
  assert.equal(client(["--smuxbuf", "1000", "--streambuf", "1000"]).streambuf, 1000);
  clientError(
    ["--smuxbuf", "1000", "--streambuf", "1001"],
    'Invalid value "1001" for --streambuf: must be 1..1000 (at most --smuxbuf)',
  );
  clientError(
    ["--streambuf", "0"],
    'Invalid value "0" for --streambuf: must be 1..4194304 (at most --smuxbuf)',
  );
});

Deno.test("unknown crypt and mode are refused (kcptun would fall back silently)", () => {
  for (
    const crypt of [
      "aes",
      "aes-128",
      "aes-128-gcm",
      "aes-192",
      "salsa20",
      "blowfish",
      "twofish",
      "cast5",
      "3des",
      "tea",
      "xtea",
      "xor",
      "sm4",
      "none",
      "null",
    ]
  ) {
    assert.equal(client(["--crypt", crypt]).crypt, crypt);
  }
  clientError(
    ["--crypt", "aes-256"],
    'Invalid value "aes-256" for --crypt: must be one of aes, aes-128, aes-192, salsa20, ' +
      "blowfish, twofish, cast5, 3des, tea, xtea, xor, sm4, none, null, aes-128-gcm",
  );
  clientError(
    ["--mode", "turbo"],
    'Invalid value "turbo" for --mode: must be one of normal, fast, fast2, fast3, manual',
  );
});

Deno.test("--tcp is refused, from a flag or from JSON", () => {
  const reason = "is not supported: kcptun's fake-TCP mode (tcpraw) needs raw sockets, " +
    "which Deno cannot open; run both ends without --tcp";
  clientError(["--tcp"], `--tcp ${reason}`);
  serverError(["--tcp=true"], `--tcp ${reason}`);
  serverError(["-c", "t.json"], `"tcp" in "t.json" ${reason}`, {
    files: { "t.json": '{"tcp": true}' },
  });
  assert.equal(client(["--tcp=false"]).tcp, false);
});

Deno.test("config file errors: unreadable, malformed, not an object, wrong types, bad values", () => {
  clientError(
    ["-c", "missing.json"],
    'Cannot read config file "missing.json": No such file: missing.json',
  );
  for (const text of ["{", '{"mtu": 1400,}', "", "{'mtu': 1}", '{"mtu": 1400} x']) {
    let syntax = "";
    try {
      JSON.parse(text);
    } catch (error) {
      syntax = (error as Error).message;
    }
    assert.notEqual(syntax, "");
    clientError(["-c", "bad.json"], `Cannot parse config file "bad.json": ${syntax}`, {
      files: { "bad.json": text },
    });
  }
  const files = (text: string) => ({ files: { "c.json": text } });
  clientError(
    ["-c", "c.json"],
    'Cannot parse config file "c.json": expected a JSON object, got an array',
    files("[1]"),
  );
  clientError(
    ["-c", "c.json"],
    'Cannot parse config file "c.json": expected a JSON object, got null',
    files("null"),
  );
  clientError(
    ["-c", "c.json"],
    'Invalid type for "mtu" in "c.json": expected an integer, got the string "1400"',
    files('{"mtu": "1400"}'),
  );
  clientError(
    ["-c", "c.json"],
    'Invalid type for "mtu" in "c.json": expected an integer, got the number 1400.5',
    files('{"mtu": 1400.5}'),
  );
  clientError(
    ["-c", "c.json"],
    'Invalid type for "nocomp" in "c.json": expected a boolean, got the number 1',
    files('{"nocomp": 1}'),
  );
  clientError(
    ["-c", "c.json"],
    'Invalid type for "key" in "c.json": expected a string, got an object',
    files('{"key": {}}'),
  );
  clientError(
    ["-c", "c.json"],
    'Invalid type for "crypt" in "c.json": expected a string, got an array',
    files('{"crypt": ["aes"]}'),
  );
  clientError(
    ["-c", "c.json"],
    'Invalid value "9000" for "mtu" in "c.json": must be 50..1500',
    files('{"mtu": 9000}'),
  );
  clientError(
    ["-c", "c.json"],
    'Invalid value "x" for "remoteaddr" in "c.json": must be "host:port" or "host:minport-maxport"',
    files('{"remoteaddr": "x"}'),
  );
  clientError(
    ["-c", "c.json"],
    'Invalid value "0" for "qpp-count" in "c.json": must be 1..2147483647',
    files('{"qpp-count": 0}'),
  );
  // an empty -c means no file, as in kcptun
  assert.equal(client(["-c", ""]).mtu, 1350);
});

// ---------------------------------------------------------------------------
// fuzz: parsing never throws anything but ConfigError

const TOKENS = [
  "-l",
  "-r",
  "-t",
  "--listen",
  "--target",
  "--localaddr",
  "--remoteaddr",
  "--key",
  "--crypt",
  "--mode",
  "--mtu",
  "--sndwnd",
  "--rcvwnd",
  "--ds",
  "--ps",
  "--dscp",
  "--nocomp",
  "--acknodelay",
  "--nodelay",
  "--interval",
  "--resend",
  "--nc",
  "--sockbuf",
  "--smuxver",
  "--smuxbuf",
  "--streambuf",
  "--framesize",
  "--keepalive",
  "--ratelimit",
  "--closewait",
  "--QPP",
  "--QPPCount",
  "--snmplog",
  "--snmpperiod",
  "--log",
  "--quiet",
  "--tcp",
  "--pprof",
  "--conn",
  "--autoexpire",
  "--scavengettl",
  "-c",
  "--",
  "-",
  "help",
  "-h",
  "-v",
  "--mtu=",
  "--nocomp=",
  "0",
  "1",
  "-1",
  "2",
  "30",
  "65535",
  "65536",
  "1400",
  "99999999999999999999",
  "abc",
  "",
  "vps:1",
  ":0",
  "[::1]:80",
  "a:1-2",
  "a:2-1",
  "/tmp/s",
  "aes",
  "null",
  "fast3",
  "manual",
  "true",
  "false",
  "c.json",
  "bad.json",
  "=",
  "--=",
  "[",
  "]",
  ":",
  "é",
  "\u0000",
];
const JSON_FILES: Record<string, string> = {
  "c.json": '{"mtu": 1200, "tcp": false, "mode": "manual", "foo": 1, "interval": 10}',
  "bad.json": '{"mtu": ',
};

Deno.test("fuzz: random argv only ever yields a config, help, version or a ConfigError", () => {
  const random = prng(0x5eed);
  let configs = 0;
  let errors = 0;
  for (let i = 0; i < 3000; i++) {
    const argv: string[] = [];
    const length = Math.floor(random() * 8);
    for (let j = 0; j < length; j++) {
      let token = TOKENS[Math.floor(random() * TOKENS.length)];
      if (random() < 0.2) token += "=" + TOKENS[Math.floor(random() * TOKENS.length)];
      argv.push(token);
    }
    for (const parse of [parseClientConfig, parseServerConfig]) {
      try {
        const result = parse(argv, envOf({ KCPTUN_KEY: "k" }), readerOf(JSON_FILES));
        assert.equal(typeof result, "object");
        configs++;
      } catch (error) {
        assert.ok(error instanceof ConfigError, `argv ${JSON.stringify(argv)} threw ${error}`);
        assert.ok(error.message.length > 0);
        errors++;
      }
    }
  }
  assert.ok(configs > 100 && errors > 100, `configs ${configs}, errors ${errors}`);
});

Deno.test("fuzz: truncated, oversized and random JSON files only yield configs or ConfigErrors", () => {
  const random = prng(0xc0ffee);
  const full = JSON.stringify({
    localaddr: ":3000",
    remoteaddr: "127.0.0.1:29900-29999",
    key: "PASSWORD",
    mtu: 1400,
    nocomp: true,
    "qpp-count": 61,
    smuxbuf: 16777217,
  });
  const texts: string[] = [];
  for (let cut = 0; cut <= full.length; cut++) texts.push(full.slice(0, cut));
  texts.push(full.repeat(1000), '{"mtu": 1e400}', '{"mtu": -0}', '{"__proto__": {"mtu": 1}}');
  for (let i = 0; i < 500; i++) {
    let text = "";
    const length = Math.floor(random() * 40);
    for (let j = 0; j < length; j++) text += String.fromCharCode(Math.floor(random() * 128));
    texts.push(text);
    const chars = [...full];
    chars[Math.floor(random() * chars.length)] = String.fromCharCode(Math.floor(random() * 128));
    texts.push(chars.join(""));
  }
  let ok = 0;
  for (const text of texts) {
    try {
      parseClientConfig(["-c", "f.json"], envOf(), readerOf({ "f.json": text }));
      ok++;
    } catch (error) {
      assert.ok(error instanceof ConfigError, `${JSON.stringify(text)} threw ${error}`);
    }
  }
  assert.ok(ok > 1, `only ${ok} texts parsed`);
});
