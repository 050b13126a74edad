/**
 * Session lifecycle over real loopback sockets: port ranges, --autoexpire and the scavenger,
 * the client's source check, and the server's reconnect rule (a new conv from a known address
 * replaces the session when its first segment has sn 0).
 */
import assert from "node:assert/strict";
import { seededBytes, sha256 } from "../_helpers/bytes.ts";
import { echoTarget, exchange } from "../_helpers/net.ts";
import { clientConfig, ourClient, ourServer, serverConfig } from "./_fixture.ts";
import { startServer } from "../../lib/tunnel/server.ts";
import { startClient } from "../../lib/tunnel/client.ts";
import { KcpSession } from "../../lib/session/kcp_session.ts";
import { createPacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { deriveKey } from "../../lib/crypt/kdf.ts";

async function echoOnce(port: number, size: number, seed: number) {
  const data = seededBytes(size, seed);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const r = await exchange(conn, data);
  assert.equal(r.sha256, sha256(data));
}

function delay(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Three consecutive free UDP ports. */
function freeRange(): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const socks: Deno.DatagramConn[] = [];
    try {
      for (let p = base; p < base + 3; p++) {
        socks.push(Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: p }));
      }
      return base;
    } catch {
      // taken: try another base
    } finally {
      for (const s of socks) s.close();
    }
  }
  throw new Error("no free port range");
}

Deno.test("lifecycle: server listens on a port range; clients pick ports from the range", async () => {
  const target = echoTarget();
  const base = freeRange();
  const server = startServer(
    serverConfig(["-l", `127.0.0.1:${base}-${base + 2}`, "-t", `127.0.0.1:${target.port}`]),
  );
  const cfg = clientConfig([
    "-l",
    "127.0.0.1:1",
    "-r",
    `127.0.0.1:${base}-${base + 2}`,
    "--conn",
    "6",
  ]);
  cfg.localaddr = { kind: "tcp", host: "127.0.0.1", port: 0 };
  const client = startClient(cfg);
  try {
    assert.deepEqual(server.addrs.map((a) => a.port), [base, base + 1, base + 2]);
    const port = (client.addr as Deno.NetAddr).port;
    for (let i = 0; i < 6; i++) await echoOnce(port, 50_000, i);
    const remotes = new Set(client.sessions().map((s) => s.remote));
    assert.equal(client.sessionCount(), 6);
    for (const r of remotes) {
      assert.match(r, new RegExp(`^127\\.0\\.0\\.1:(${base}|${base + 1}|${base + 2})$`));
    }
    assert.equal(server.sessionCount(), 6);
  } finally {
    await client.close(1000);
    await server.close(1000);
    await target.close();
  }
});

Deno.test("lifecycle: --autoexpire moves new streams to a new session; the scavenger closes the old", async () => {
  const target = echoTarget();
  const server = ourServer(target.port);
  const client = ourClient(server.addrs[0].port, ["--autoexpire", "1", "--scavengettl", "1"]);
  try {
    await echoOnce(client.port, 10_000, 1);
    const first = client.sessions()[0].conv;
    await delay(1100); // past the 1 s expiry
    await echoOnce(client.port, 10_000, 2);
    const convs = client.sessions().map((s) => s.conv);
    assert.equal(convs.length, 2);
    assert.ok(convs.includes(first));
    assert.ok(client.sessions().find((s) => s.conv === first)!.expired);
    // expiry (1 s) + scavengettl (1 s) + scavenger tick (1 s) at most
    for (let i = 0; i < 40 && client.sessions().some((s) => s.conv === first); i++) {
      await delay(100);
    }
    assert.deepEqual(client.sessions().map((s) => s.conv).includes(first), false);
    await echoOnce(client.port, 10_000, 3); // the new session still serves
  } finally {
    await client.close(1000);
    await server.close(1000);
    await target.close();
  }
});

/** A datagram carrying one KCP PUSH with sn 0 for `conv`, sealed with the default key. */
function pushDatagram(conv: number): Uint8Array {
  const crypt = createPacketCrypt(
    "aes",
    deriveKey("it's a secrect"),
    (b) => crypto.getRandomValues(b),
  );
  let out: Uint8Array | undefined;
  const s = new KcpSession({ conv, crypt }, (b, n) => out ??= b.slice(0, n), 0);
  s.send(new Uint8Array([0xff, 6, 0, 0, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]), 0); // a snappy identifier
  s.flush(0);
  return out!;
}

Deno.test("lifecycle: server replaces a session when a known address starts a new conv at sn 0", async () => {
  const target = echoTarget();
  const server = ourServer(target.port, ["--crypt", "aes"]);
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await sock.send(pushDatagram(0x1111), server.addrs[0]);
    await sock.receive(); // its ACK
    assert.deepEqual(server.sessions().map((s) => s.conv), [0x1111]);
    await sock.send(pushDatagram(0x2222), server.addrs[0]);
    await sock.receive();
    assert.deepEqual(server.sessions().map((s) => s.conv), [0x2222]);
    assert.equal(server.snmp.PassiveOpens, 2);
  } finally {
    sock.close();
    await server.close(1000);
    await target.close();
  }
});

Deno.test("lifecycle: the client accepts datagrams only from its server's address", async () => {
  const target = echoTarget();
  const server = ourServer(target.port);
  const client = ourClient(server.addrs[0].port);
  const stranger = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await echoOnce(client.port, 10_000, 1);
    const { conv, localPort } = client.sessions()[0];
    const before = client.snmp.InErrs;
    await stranger.send(pushDatagram(conv), {
      transport: "udp",
      hostname: "127.0.0.1",
      port: localPort,
    });
    for (let i = 0; i < 50 && client.snmp.InErrs === before; i++) await delay(10);
    assert.equal(client.snmp.InErrs, before + 1);
    await echoOnce(client.port, 10_000, 2); // unharmed
  } finally {
    stranger.close();
    await client.close(1000);
    await server.close(1000);
    await target.close();
  }
});
