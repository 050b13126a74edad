import assert from "node:assert/strict";
import { enableNativeLoop, NativeLoop } from "../../lib/tunnel/_native_loop.ts";
import { seededBytes, sha256 } from "../_helpers/bytes.ts";
import { echoTarget, exchange, hasher, sinkTarget, sourceTarget } from "../_helpers/net.ts";
import { clientConfig, ourClient, ourServer, relayTo, serverConfig } from "./_fixture.ts";
import { startClient } from "../../lib/tunnel/client.ts";
import { startServer } from "../../lib/tunnel/server.ts";

// the command line runs the tunnel on its own loop where it can; so do these tests
// (deno_loop_test.ts runs them again on Deno's loop)
enableNativeLoop();

async function roundTrip(clientArgs: string[], serverArgs: string[], size = 1 << 20) {
  const target = echoTarget();
  const server = ourServer(target.port, serverArgs);
  const client = ourClient(server.addrs[0].port, clientArgs);
  try {
    const data = seededBytes(size, 7);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port });
    const r = await exchange(conn, data);
    assert.equal(r.received, size);
    assert.equal(r.sha256, sha256(data));
    return server.sessions();
  } finally {
    await client.close(1000);
    await server.close(1000);
    await target.close();
  }
}

Deno.test("tunnel: echo 1 MiB through our client and server with defaults", async () => {
  const loop = NativeLoop.get();
  const detached = loop?.detached ?? 0;
  const sessions = await roundTrip([], []);
  if (loop !== undefined) {
    // both UDP sockets and both ends of the piped stream ran on the own loop
    assert.ok(loop.detached - detached >= 4, `${loop.detached - detached} descriptors`);
  }
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0].crypt, "aes");
  assert.equal(sessions[0].compress, true);
  assert.equal(sessions[0].smuxVersion, 2);
});

Deno.test("tunnel: server detects crypt, compression and smux version from the client", async () => {
  for (
    const [crypt, comp, ver] of [
      ["salsa20", true, 1],
      ["none", false, 2],
      ["null", false, 1],
      ["aes-128-gcm", true, 2],
      ["tea", false, 1],
    ] as const
  ) {
    const args = ["--crypt", crypt, "--smuxver", String(ver), ...(comp ? [] : ["--nocomp"])];
    const sessions = await roundTrip(args, [], 64 * 1024);
    assert.equal(sessions[0].crypt, crypt, crypt);
    assert.equal(sessions[0].compress, comp, crypt);
    assert.equal(sessions[0].smuxVersion, ver, crypt);
  }
});

Deno.test("tunnel: FEC off, odd shards and manual mode", async () => {
  await roundTrip(["--ds", "0", "--ps", "0"], ["--ds", "0", "--ps", "0"]);
  await roundTrip(["--ds", "7", "--ps", "5", "--mode", "fast3"], ["--ds", "3", "--ps", "1"]);
  await roundTrip(
    ["--mode", "manual", "--nodelay", "1", "--interval", "15", "--resend", "3", "--nc", "0"],
    ["--mode", "normal", "--mtu", "1200"],
  );
});

Deno.test("tunnel: 100 concurrent streams over one session, each hash-checked", async () => {
  const target = echoTarget();
  const server = ourServer(target.port);
  const client = ourClient(server.addrs[0].port);
  try {
    const results = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
      const data = seededBytes(20_000 + i * 997, 1000 + i);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port });
      const r = await exchange(conn, data);
      return r.sha256 === sha256(data) && r.received === data.length;
    }));
    assert.equal(results.filter(Boolean).length, 100);
    assert.equal(server.sessionCount(), 1);
    assert.equal(client.sessionCount(), 1);
  } finally {
    await client.close(1000);
    await server.close(1000);
    await target.close();
  }
});

Deno.test("tunnel: a small stream gets through while a bulk stream keeps the send queue full", async () => {
  // A 8 MiB echo over a 100 Mbit/s link keeps each end's KCP queue at its gate (128 segments).
  // A 16-byte ping on a second stream must not wait for the bulk stream to run out of data: it
  // is answered while most of the echo is still to come.
  const target = echoTarget();
  const windows = ["--nocomp", "--sndwnd", "128", "--rcvwnd", "128"];
  const server = ourServer(target.port, windows);
  const relay = (await relayTo(server.addrs[0].port, "rate=100mbit,delay=5ms"))!;
  const client = ourClient(relay.port, windows);
  const size = 8 << 20;
  try {
    const data = seededBytes(size, 8);
    const bulk = await Deno.connect({ hostname: "127.0.0.1", port: client.port });
    const h = hasher();
    let back = 0;
    let started!: () => void;
    const flowing = new Promise<void>((r) => started = r);
    const reader = (async () => {
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await bulk.read(buf);
        if (n === null) return;
        h.update(buf.subarray(0, n));
        back += n;
        if (back >= 1 << 20) started();
      }
    })();
    const writer = (async () => {
      for (let off = 0; off < size;) off += await bulk.write(data.subarray(off, off + 65536));
      await bulk.closeWrite();
    })();
    await flowing;
    const ping = await Deno.connect({ hostname: "127.0.0.1", port: client.port });
    const echoed = await exchange(ping, new Uint8Array(16).fill(0x5a));
    const backAtPing = back;
    await writer;
    await reader;
    bulk.close();
    assert.equal(echoed.received, 16);
    assert.equal(back, size);
    assert.equal(h.hex(), sha256(data));
    assert.ok(backAtPing < size / 2, `ping answered only after ${backAtPing} of ${size} bytes`);
  } finally {
    await client.close(1000);
    await server.close(1000);
    await relay.stop();
    await target.close();
  }
});

Deno.test("tunnel: half-close — upload then EOF, then the target's reply still arrives", async () => {
  // the target reads to EOF, then sends its answer: data after the client's FIN must arrive
  const target = sourceTarget(300_000, 3, true);
  const server = ourServer(target.port);
  const client = ourClient(server.addrs[0].port, ["--conn", "2"]);
  try {
    const upload = seededBytes(200_000, 4);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port });
    const r = await exchange(conn, upload, { halfClose: true });
    assert.equal(r.received, 300_000);
    assert.equal(r.sha256, sha256(seededBytes(300_000, 3)));
    await target.finished(1);
    assert.equal(target.records[0].received, 200_000);
    assert.equal(target.records[0].sha256, sha256(upload));
  } finally {
    await client.close(1000);
    await server.close(1000);
    await target.close();
  }
});

Deno.test("tunnel: unreachable target closes only that stream", async () => {
  // a port nothing listens on
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (l.addr as Deno.NetAddr).port;
  l.close();
  const server = ourServer(deadPort);
  const client = ourClient(server.addrs[0].port);
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port });
    const r = await exchange(conn, seededBytes(1000, 1));
    assert.equal(r.received, 0); // closed by the tunnel, nothing echoed
    assert.equal(server.sessionCount(), 1); // the session survives
  } finally {
    await client.close(1000);
    await server.close(1000);
  }
});

Deno.test("tunnel: junk datagrams are counted and dropped, the server keeps serving", async () => {
  const target = sinkTarget();
  const server = ourServer(target.port);
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    for (const len of [0, 1, 19, 20, 27, 100, 1400, 1500]) {
      await sock.send(seededBytes(len, len), server.addrs[0]);
    }
    const client = ourClient(server.addrs[0].port);
    try {
      const data = seededBytes(100_000, 9);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port });
      await exchange(conn, data);
      await target.finished(1);
      assert.equal(target.records[0].sha256, sha256(data));
    } finally {
      await client.close(1000);
    }
    assert.ok(server.snmp.InCsumErrors >= 7, `InCsumErrors ${server.snmp.InCsumErrors}`);
  } finally {
    sock.close();
    await server.close(1000);
    await target.close();
  }
});

Deno.test("tunnel: --QPP on both ends carries the stream; one end alone garbles it", async () => {
  await roundTrip(["--QPP", "--key", "q"], ["--QPP", "--key", "q"], 256 * 1024);
  // only the client permutes: the target receives the same length, different bytes
  const target = sinkTarget();
  const server = ourServer(target.port, ["--key", "q"]);
  const client = ourClient(server.addrs[0].port, ["--QPP", "--key", "q"]);
  try {
    const data = seededBytes(100_000, 8);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port });
    await exchange(conn, data);
    await target.finished(1);
    assert.equal(target.records[0].received, data.length);
    assert.notEqual(target.records[0].sha256, sha256(data));
  } finally {
    await client.close(1000);
    await server.close(1000);
    await target.close();
  }
});

Deno.test("tunnel: unix socket on the client's local side and as the server's target", async () => {
  const dir = Deno.makeTempDirSync();
  const targetPath = `${dir}/target.sock`;
  const localPath = `${dir}/local.sock`;
  const listener = Deno.listen({ transport: "unix", path: targetPath });
  const served = (async () => {
    const conn = await listener.accept() as Deno.UnixConn;
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      let off = 0;
      while (off < n) off += await conn.write(buf.subarray(off, n));
    }
    await conn.closeWrite();
    conn.close();
  })();
  const server = ourServer(1, ["-t", targetPath]);
  const cfgArgs = ["-l", localPath, "-r", `127.0.0.1:${server.addrs[0].port}`];
  const { startClient } = await import("../../lib/tunnel/client.ts");
  const { clientConfig } = await import("./_fixture.ts");
  const client = startClient(clientConfig(cfgArgs));
  try {
    const data = seededBytes(300_000, 5);
    const conn = await Deno.connect({ transport: "unix", path: localPath });
    const r = await exchange(conn, data);
    assert.equal(r.sha256, sha256(data));
    await served;
  } finally {
    await client.close(1000);
    await server.close(1000);
    listener.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("tunnel: --ratelimit paces each session's datagrams (latest kcptun)", async () => {
  // 400 KB at 200 kB/s with a 96 kB burst cannot take less than ~1.5 s of sending
  const target = sinkTarget();
  const server = ourServer(target.port);
  const client = ourClient(server.addrs[0].port, ["--ratelimit", "200000", "--nocomp"]);
  try {
    const data = seededBytes(400_000, 6);
    const t0 = performance.now();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: client.port });
    await exchange(conn, data);
    await target.finished(1);
    const ms = performance.now() - t0;
    assert.equal(target.records[0].sha256, sha256(data));
    assert.ok(ms >= 1400, `took only ${ms.toFixed(0)} ms`);
  } finally {
    await client.close(1000);
    await server.close(1000);
    await target.close();
  }
});

Deno.test("tunnel: over IPv6 UDP (Deno's receive, the own loop's timers and pipes)", async () => {
  try {
    Deno.listenDatagram({ transport: "udp", hostname: "::1", port: 0 }).close();
  } catch {
    console.log("IPv6 loopback unavailable: skipped");
    return;
  }
  const target = echoTarget();
  const sc = serverConfig(["-l", "[::1]:1", "-t", `127.0.0.1:${target.port}`]);
  sc.listen = { ...sc.listen, portMin: 0, portMax: 0 };
  const server = startServer(sc);
  const cc = clientConfig(["-l", "127.0.0.1:1", "-r", `[::1]:${server.addrs[0].port}`]);
  if (cc.localaddr.kind === "tcp") cc.localaddr = { ...cc.localaddr, port: 0 };
  const client = startClient(cc);
  try {
    const data = seededBytes(1 << 20, 11);
    const port = (client.addr as Deno.NetAddr).port;
    const r = await exchange(await Deno.connect({ hostname: "127.0.0.1", port }), data);
    assert.equal(r.sha256, sha256(data));
    assert.equal(server.sessions().length, 1);
  } finally {
    await client.close(1000);
    await server.close(1000);
    await target.close();
  }
});
