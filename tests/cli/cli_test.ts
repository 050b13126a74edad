import assert from "node:assert/strict";
import { VERSION } from "../../lib/config/config.ts";

// Only cases that end before a tunnel would start are run here.

const ROOT = new URL("../../", import.meta.url);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...args: string[]): Promise<Outcome> {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await command.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

const CLIENT_FLAGS = [
  "--localaddr value, -l value",
  "--remoteaddr value, -r value",
  "--key value",
  "--crypt value",
  "--mode value",
  "--QPP",
  "--QPPCount value",
  "--conn value",
  "--autoexpire value",
  "--scavengettl value",
  "--mtu value",
  "--ratelimit value",
  "--sndwnd value",
  "--rcvwnd value",
  "--datashard value, --ds value",
  "--parityshard value, --ps value",
  "--dscp value",
  "--nocomp",
  "--acknodelay",
  "--nodelay value",
  "--interval value",
  "--resend value",
  "--nc value",
  "--sockbuf value",
  "--smuxver value",
  "--smuxbuf value",
  "--framesize value",
  "--streambuf value",
  "--keepalive value",
  "--closewait value",
  "--snmplog value",
  "--snmpperiod value",
  "--log value",
  "--quiet",
  "--tcp",
  "--pprof",
  "-c value",
  "--help, -h",
  "--version, -v",
];

const SERVER_ONLY = ["--listen value, -l value", "--target value, -t value"];
const CLIENT_ONLY = CLIENT_FLAGS.slice(0, 2).concat(CLIENT_FLAGS.slice(7, 10));
const SERVER_FLAGS = [...SERVER_ONLY, ...CLIENT_FLAGS.filter((f) => !CLIENT_ONLY.includes(f))];

/** Help lines start with three spaces, the flag names, then at least two spaces. */
function helpLine(help: string, flag: string): string | undefined {
  return help.split("\n").find((line) => line.startsWith(`   ${flag}  `));
}

Deno.test("client --help lists every flag with its default and JSON key, exit 0", async () => {
  const { code, stdout, stderr } = await cli("client", "--help");
  assert.equal(code, 0);
  assert.equal(stderr, "");
  for (const flag of CLIENT_FLAGS) {
    const line = helpLine(stdout, flag);
    assert.ok(line !== undefined, `client help lacks ${flag}`);
    if (!["--help, -h", "--version, -v"].includes(flag)) assert.match(line, /\(default: /, flag);
    if (!["-c value", "--help, -h", "--version, -v"].includes(flag)) {
      assert.match(line, /\[json: [a-z-]+\]$/, flag);
    }
  }
  for (const flag of SERVER_ONLY) assert.equal(helpLine(stdout, flag), undefined);
});

Deno.test("server -h lists every server flag, exit 0", async () => {
  const { code, stdout } = await cli("server", "-h");
  assert.equal(code, 0);
  for (const flag of SERVER_FLAGS) assert.ok(helpLine(stdout, flag), `server help lacks ${flag}`);
  for (const flag of CLIENT_ONLY) assert.equal(helpLine(stdout, flag), undefined, flag);
  assert.match(helpLine(stdout, "--closewait value")!, /\(default: 30;/);
});

Deno.test("--version, -v and the version command print kcptun-ts <VERSION>, exit 0", async () => {
  for (const args of [["--version"], ["version"], ["client", "--version"], ["server", "-v"]]) {
    const { code, stdout, stderr } = await cli(...args);
    assert.equal(code, 0, args.join(" "));
    assert.equal(stdout, `kcptun-ts ${VERSION}\n`, args.join(" "));
    assert.equal(stderr, "");
  }
});

Deno.test("help command and no arguments show the command list", async () => {
  const help = await cli("help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^ {3}client +run the tunnel client/m);
  assert.match(help.stdout, /^ {3}server +run the tunnel server/m);
  const topic = await cli("help", "server");
  assert.equal(topic.code, 0);
  assert.ok(helpLine(topic.stdout, "--target value, -t value"));
  const none = await cli();
  assert.equal(none.code, 2);
  assert.equal(none.stdout, "");
  assert.match(none.stderr, /COMMANDS:/);
});

Deno.test("unknown command → exit 2 with a usage hint", async () => {
  const { code, stdout, stderr } = await cli("clinet", "-l", ":1");
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.equal(stderr, 'Unknown command "clinet"\nRun "cli.ts help" for usage.\n');
});

Deno.test("unknown flag → exit 2, message and usage hint on stderr", async () => {
  const { code, stdout, stderr } = await cli("client", "--foo");
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.equal(stderr, 'Unknown flag --foo\nRun "cli.ts client --help" for usage.\n');
});

Deno.test("bad values → exit 2", async () => {
  const mtu = await cli("client", "-mtu", "9000");
  assert.equal(mtu.code, 2);
  assert.equal(
    mtu.stderr,
    'Invalid value "9000" for --mtu: must be 50..1500\nRun "cli.ts client --help" for usage.\n',
  );
  const nan = await cli("server", "--sndwnd=lots");
  assert.equal(nan.code, 2);
  assert.equal(
    nan.stderr,
    'Invalid value "lots" for --sndwnd: must be an integer\nRun "cli.ts server --help" for usage.\n',
  );
});

Deno.test("malformed JSON config file → exit 2 naming the file", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(file, '{"mtu": 1400,');
    const { code, stderr } = await cli("server", "-c", file);
    assert.equal(code, 2);
    assert.ok(stderr.startsWith(`Cannot parse config file "${file}": `), stderr);
    const missing = await cli("client", "-c", file + ".missing");
    assert.equal(missing.code, 2);
    assert.ok(missing.stderr.startsWith(`Cannot read config file "${file}.missing": `));
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("--tcp → exit 2 with a clear message", async () => {
  const { code, stderr } = await cli("client", "--tcp");
  assert.equal(code, 2);
  assert.match(stderr, /^--tcp is not supported: .*raw sockets.*Deno cannot open/);
});

Deno.test("warnings are printed once before start; a runtime error exits 1", async () => {
  // The log file cannot be opened, so the run fails before any tunnel starts.
  const log = "/nonexistent-kcptun-ts-dir/kcptun.log";
  const { code, stdout, stderr } = await cli("client", "--pprof", "--log", log);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  const lines = stderr.trimEnd().split("\n");
  assert.deepEqual(lines.slice(0, 1), [
    "Warning: --pprof is not supported by Deno; ignored (use deno run --inspect to profile)",
  ]);
  assert.equal(lines.length, 2, stderr);
  assert.match(lines[1], /^Error: Cannot open log file "\/nonexistent-kcptun-ts-dir\/kcptun\.log"/);
});
