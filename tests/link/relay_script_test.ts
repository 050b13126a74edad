import assert from "node:assert/strict";
import { LINK_PROFILES } from "../../lib/link/link.ts";
import { DEFAULT_SOCKBUF, parseHostPort, parseRelayArgs } from "../../scripts/relay.ts";

const SCRIPT = new URL("../../scripts/relay.ts", import.meta.url).pathname;

Deno.test("parseHostPort accepts IPv4, names, bracketed IPv6 and a bare port", () => {
  assert.deepEqual(parseHostPort("listen", "127.0.0.1:4000"), {
    hostname: "127.0.0.1",
    port: 4000,
  });
  assert.deepEqual(parseHostPort("listen", "localhost:0"), { hostname: "localhost", port: 0 });
  assert.deepEqual(parseHostPort("listen", "[::1]:29900"), { hostname: "::1", port: 29900 });
  assert.deepEqual(parseHostPort("listen", ":53"), { hostname: "0.0.0.0", port: 53 });
  for (const bad of ["127.0.0.1", "::1:80", "host:65536", "host:-1", "host:x", "[::1]", ""]) {
    assert.throws(
      () => parseHostPort("target", bad),
      new SyntaxError(`Option --target must be HOST:PORT with port 0..65535, got "${bad}"`),
    );
  }
});

Deno.test("parseRelayArgs builds the relay options", () => {
  const args = parseRelayArgs([
    "--listen",
    "127.0.0.1:4000",
    "--target",
    "127.0.0.1:29900",
    "--profile",
    "lossy-50m-40ms-2pct",
    "--down",
    "delay=5ms",
    "--seed",
    "7",
    "--max-clients",
    "3",
    "--idle-timeout",
    "0",
    "--stats-interval",
    "1000",
    "--sockbuf",
    "1048576",
  ]);
  assert.deepEqual(args, {
    help: false,
    relay: {
      listen: { hostname: "127.0.0.1", port: 4000 },
      target: { hostname: "127.0.0.1", port: 29900 },
      up: LINK_PROFILES["lossy-50m-40ms-2pct"],
      down: { delayMs: 5 },
      seed: 7,
      maxClients: 3,
      idleTimeoutMs: 0,
      sockbuf: 1048576,
    },
    statsIntervalMs: 1000,
  });
  const minimal = parseRelayArgs(["--listen", ":0", "--target", "10.0.0.1:1"]);
  assert.deepEqual(minimal.relay.up, {});
  assert.deepEqual(minimal.relay.down, {});
  assert.equal(minimal.relay.seed, 1);
  assert.equal(minimal.relay.sockbuf, DEFAULT_SOCKBUF);
  assert.equal(
    parseRelayArgs([...["--listen", ":0", "--target", "h:1"], "--sockbuf", "0"]).relay
      .sockbuf,
    0,
  );
  assert.equal(parseRelayArgs(["-h"]).help, true);
});

Deno.test("parseRelayArgs names the bad option", () => {
  const base = ["--listen", ":0", "--target", "127.0.0.1:9"];
  const cases: Array<[string[], string]> = [
    [["--target", "127.0.0.1:9"], "Option --listen is required"],
    [["--listen", ":0"], "Option --target is required"],
    [["--listen", ":0", "--target", "h:0"], 'Option --target must have a port 1..65535, got "h:0"'],
    [[...base, "--seed=-1"], 'Option --seed must be an integer >= 0, got "-1"'],
    [[...base, "--seed", "1.5"], 'Option --seed must be an integer >= 0, got "1.5"'],
    [[...base, "--max-clients", "0"], 'Option --max-clients must be an integer >= 1, got "0"'],
    [[...base, "--sockbuf", "4m"], 'Option --sockbuf must be an integer >= 0, got "4m"'],
    [
      [...base, "--profile", "loss=200%"],
      'Option --profile: Cannot parse link profile: "loss" must be 0..100%, got "200%"',
    ],
    [
      [...base, "--up", "nope"],
      `Option --up: Cannot parse link profile: unknown profile "nope" (known: ${
        Object.keys(LINK_PROFILES).join(", ")
      })`,
    ],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseRelayArgs(args), new SyntaxError(message));
  }
  assert.throws(() => parseRelayArgs([...base, "--bogus"]), SyntaxError);
  assert.throws(() => parseRelayArgs([...base, "extra"]), SyntaxError);
});

async function readLine(reader: ReadableStreamDefaultReader<string>, buffered: string[]) {
  while (!buffered.join("").includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`relay exited early: ${buffered.join("")}`);
    buffered.push(value);
  }
  const all = buffered.join("");
  const nl = all.indexOf("\n");
  buffered.length = 0;
  buffered.push(all.slice(nl + 1));
  return all.slice(0, nl);
}

Deno.test("relay script forwards datagrams and prints counters on SIGTERM", async () => {
  const echo = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const echoPort = (echo.addr as Deno.NetAddr).port;
  const echoLoop = (async () => {
    try {
      for (;;) {
        const [data, from] = await echo.receive();
        await echo.send(data, from);
      }
    } catch {
      // closed
    }
  })();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-net",
      SCRIPT,
      "--listen",
      "127.0.0.1:0",
      "--target",
      `127.0.0.1:${echoPort}`,
      "--profile",
      "delay=1ms",
      "--seed",
      "3",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const buffered: string[] = [];
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const banner = await readLine(reader, buffered);
    const m = /^relay listening on 127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:(\d+)$/.exec(banner);
    assert.ok(m, banner);
    assert.equal(Number(m[2]), echoPort);
    const relayAddr: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: Number(m[1]) };
    for (let i = 0; i < 5; i++) {
      await client.send(new Uint8Array([i, 42]), relayAddr);
      const [data] = await client.receive();
      assert.deepEqual(data, new Uint8Array([i, 42]));
    }
    child.kill("SIGTERM");
    const summary = await readLine(reader, buffered);
    assert.match(summary, /^up sent=5 delivered=5 lost=0 .* \| down sent=5 delivered=5 lost=0 /);
    assert.match(summary, / clients=0 total=1 /);
  } finally {
    client.close();
    await reader.cancel();
    const stderr = await new Response(child.stderr).text();
    const status = await child.status;
    echo.close();
    await echoLoop;
    assert.equal(status.code, 0, stderr);
  }
});
