import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startUdpRelay, type UdpRelayOptions } from "../../lib/link/relay.ts";
import { socketBuffers } from "../../lib/tunnel/sockbuf.ts";
import { Prng } from "../../lib/link/prng.ts";

const LOOPBACK = "127.0.0.1";

interface Echo {
  addr: Deno.NetAddr;
  received: () => number;
  close: () => Promise<void>;
}

/** UDP echo server on an ephemeral loopback port. */
function startEcho(): Echo {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: LOOPBACK, port: 0 });
  let received = 0;
  const loop = (async () => {
    const buf = new Uint8Array(65536);
    for (;;) {
      let data: Uint8Array;
      let from: Deno.Addr;
      try {
        [data, from] = await socket.receive(buf);
      } catch {
        return;
      }
      received++;
      try {
        await socket.send(data, from);
      } catch {
        return;
      }
    }
  })();
  return {
    addr: socket.addr as Deno.NetAddr,
    received: () => received,
    close: async () => {
      socket.close();
      await loop;
    },
  };
}

/** Wait for a condition driven by real sockets; fails after `ms`. Not a timing assertion. */
async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

class Client {
  readonly socket = Deno.listenDatagram({ transport: "udp", hostname: LOOPBACK, port: 0 });
  #closed = false;

  send(data: Uint8Array, to: Deno.NetAddr): Promise<number> {
    return this.socket.send(data, to);
  }

  /** Receive exactly `n` datagrams; closes the socket (failing the test) after `ms`. */
  async receive(n: number, ms = 5000): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    const timer = setTimeout(() => this.close(), ms);
    try {
      while (out.length < n) {
        const [data] = await this.socket.receive();
        out.push(data.slice());
      }
    } finally {
      clearTimeout(timer);
    }
    return out;
  }

  close(): void {
    if (!this.#closed) this.socket.close();
    this.#closed = true;
  }
}

function tagged(marker: number, id: number, size: number, prng: Prng): Uint8Array {
  const packet = new Uint8Array(Math.max(8, size));
  prng.fill(packet);
  const view = new DataView(packet.buffer);
  view.setUint32(0, marker);
  view.setUint32(4, id);
  return packet;
}

function idOf(packet: Uint8Array): string {
  const view = new DataView(packet.buffer, packet.byteOffset);
  return `${view.getUint32(0)}/${view.getUint32(4)}`;
}

function digest(packets: Uint8Array[]): string {
  const sorted = [...packets].sort((a, b) => idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0);
  const hash = createHash("sha256");
  for (const p of sorted) hash.update(p);
  return hash.digest("hex");
}

/** Exchange `count` datagrams in windows (so no socket buffer overflows) and return the echoes. */
async function exchange(
  client: Client,
  to: Deno.NetAddr,
  marker: number,
  count: number,
  prng: Prng,
): Promise<{ sent: Uint8Array[]; got: Uint8Array[] }> {
  const sent: Uint8Array[] = [];
  const got: Uint8Array[] = [];
  for (let base = 0; base < count; base += 20) {
    const batch = Math.min(20, count - base);
    for (let i = 0; i < batch; i++) {
      const packet = tagged(marker, base + i, 1 + prng.int(1400), prng);
      sent.push(packet);
      await client.send(packet, to);
    }
    got.push(...await client.receive(batch));
  }
  return { sent, got };
}

function options(target: Deno.NetAddr, extra: Partial<UdpRelayOptions>): UdpRelayOptions {
  return {
    listen: { hostname: LOOPBACK, port: 0 },
    target: { hostname: LOOPBACK, port: target.port },
    up: {},
    down: {},
    seed: 1,
    ...extra,
  };
}

Deno.test("relay with loss 0 delivers every datagram both ways, byte for byte", async () => {
  const echo = startEcho();
  const ac = new AbortController();
  const relay = await startUdpRelay(options(echo.addr, { signal: ac.signal }));
  assert.equal(relay.addr.hostname, LOOPBACK);
  assert.ok(relay.addr.port > 0);
  const client = new Client();
  const { sent, got } = await exchange(client, relay.addr, 7, 300, new Prng(1));
  assert.equal(got.length, 300);
  assert.equal(digest(got), digest(sent));
  const bytes = sent.reduce((a, p) => a + p.length, 0);
  const s = relay.stats;
  assert.equal(echo.received(), 300);
  assert.deepEqual(
    [s.up.sent, s.up.delivered, s.up.lost, s.up.bytesDelivered, s.up.inFlight],
    [300, 300, 0, bytes, 0],
  );
  assert.deepEqual(
    [s.down.sent, s.down.delivered, s.down.lost, s.down.bytesDelivered, s.down.inFlight],
    [300, 300, 0, bytes, 0],
  );
  assert.deepEqual(
    [s.clients, s.clientsTotal, s.rejectedPackets, s.strayPackets, s.sendErrors, s.receiveErrors],
    [1, 1, 0, 0, 0, 0],
  );
  ac.abort();
  await relay.closed;
  assert.equal(relay.stats.clients, 0);
  client.close();
  await echo.close();
  // The listen port is free again: closing really closed it.
  const again = Deno.listenDatagram({
    transport: "udp",
    hostname: LOOPBACK,
    port: relay.addr.port,
  });
  again.close();
});

Deno.test("relay sockbuf sizes the listening and upstream sockets (Linux)", async () => {
  if (Deno.build.os !== "linux") {
    console.warn("SKIPPING relay sockbuf test: SO_RCVBUF through libc is Linux-only");
    return;
  }
  const echo = startEcho();
  const ac = new AbortController();
  const relay = await startUdpRelay(options(echo.addr, { signal: ac.signal, sockbuf: 1 << 20 }));
  assert.equal(relay.sockbufError, undefined);
  const sizes = socketBuffers(relay.addr.port);
  assert.ok(typeof sizes !== "string", String(sizes));
  // Linux reports twice the requested size (its bookkeeping overhead)
  assert.deepEqual(sizes, { rcv: 2 << 20, snd: 2 << 20 });
  const client = new Client();
  const { got } = await exchange(client, relay.addr, 9, 20, new Prng(5));
  assert.equal(got.length, 20);
  ac.abort();
  await relay.closed;
  client.close();
  await echo.close();
  await assert.rejects(
    startUdpRelay(options(echo.addr, { sockbuf: -1 })),
    new RangeError('Relay "sockbuf" must be an integer >= 0, got -1'),
  );
});

Deno.test("relay with loss 1 upstream delivers nothing", async () => {
  const echo = startEcho();
  const ac = new AbortController();
  const relay = await startUdpRelay(options(echo.addr, { up: { loss: 1 }, signal: ac.signal }));
  const client = new Client();
  const packet = new Uint8Array(100);
  for (let i = 0; i < 100; i++) await client.send(packet, relay.addr);
  await waitFor("100 losses", () => relay.stats.up.lost === 100);
  assert.equal(relay.stats.up.delivered, 0);
  assert.equal(relay.stats.up.inFlight, 0);
  assert.equal(echo.received(), 0);
  assert.equal(relay.stats.down.sent, 0);
  ac.abort();
  await relay.closed;
  client.close();
  await echo.close();
});

Deno.test("relay with loss 1 downstream drops every echo", async () => {
  const echo = startEcho();
  const ac = new AbortController();
  const relay = await startUdpRelay(options(echo.addr, { down: { loss: 1 }, signal: ac.signal }));
  const client = new Client();
  const packet = new Uint8Array(100);
  for (let i = 0; i < 50; i++) await client.send(packet, relay.addr);
  await waitFor("50 echoes lost", () => relay.stats.down.lost === 50);
  assert.equal(echo.received(), 50);
  assert.equal(relay.stats.up.delivered, 50);
  assert.equal(relay.stats.down.delivered, 0);
  ac.abort();
  await relay.closed;
  client.close();
  await echo.close();
});

Deno.test("relay maps several clients to their own upstream sockets", async () => {
  const echo = startEcho();
  const ac = new AbortController();
  const relay = await startUdpRelay(options(echo.addr, { signal: ac.signal }));
  const a = new Client();
  const b = new Client();
  const [ra, rb] = await Promise.all([
    exchange(a, relay.addr, 1, 60, new Prng(10)),
    exchange(b, relay.addr, 2, 60, new Prng(20)),
  ]);
  // Each client got back exactly its own datagrams.
  assert.equal(digest(ra.got), digest(ra.sent));
  assert.equal(digest(rb.got), digest(rb.sent));
  assert.ok(ra.got.every((p) => new DataView(p.buffer).getUint32(0) === 1));
  assert.ok(rb.got.every((p) => new DataView(p.buffer).getUint32(0) === 2));
  assert.equal(relay.stats.clients, 2);
  assert.equal(relay.stats.clientsTotal, 2);
  assert.equal(relay.stats.up.delivered, 120);
  ac.abort();
  await relay.closed;
  a.close();
  b.close();
  await echo.close();
});

Deno.test("relay holds datagrams for the link delay", async () => {
  const echo = startEcho();
  const ac = new AbortController();
  const relay = await startUdpRelay(
    options(echo.addr, { up: { delayMs: 15 }, down: { delayMs: 15 }, signal: ac.signal }),
  );
  const client = new Client();
  // Lower bound only: the relay must never deliver before the link says so.
  const t0 = performance.now();
  await client.send(new Uint8Array([1, 2, 3]), relay.addr);
  const [echoed] = await client.receive(1);
  assert.ok(performance.now() - t0 >= 30, `round trip ${performance.now() - t0} ms`);
  assert.deepEqual(echoed, new Uint8Array([1, 2, 3]));
  ac.abort();
  await relay.closed;
  client.close();
  await echo.close();
});

Deno.test("relay bottleneck tail-drops a burst and forwards the rest", async () => {
  const echo = startEcho();
  const ac = new AbortController();
  // 800 kbit/s = 100 B/ms with room for 5000 B (50 ms): a 30 × 1000 B burst cannot all fit
  // unless it took the relay over 250 ms to read it.
  const relay = await startUdpRelay(
    options(echo.addr, { up: { rateBps: 800_000, queueBytes: 5000 }, signal: ac.signal }),
  );
  const client = new Client();
  const packet = new Uint8Array(1000);
  await Promise.all(Array.from({ length: 30 }, () => client.send(packet, relay.addr)));
  const up = relay.stats.up;
  await waitFor("the burst to pass", () => up.sent === 30 && up.inFlight === 0);
  assert.ok(up.queueDrops > 0, "no queue drops");
  assert.equal(up.delivered + up.queueDrops, 30);
  const got = await client.receive(up.delivered);
  assert.equal(got.length, up.delivered);
  ac.abort();
  await relay.closed;
  client.close();
  await echo.close();
});

Deno.test("relay rejects clients beyond maxClients", async () => {
  const echo = startEcho();
  const ac = new AbortController();
  const relay = await startUdpRelay(options(echo.addr, { maxClients: 1, signal: ac.signal }));
  const a = new Client();
  const b = new Client();
  await exchange(a, relay.addr, 1, 5, new Prng(1));
  for (let i = 0; i < 10; i++) await b.send(new Uint8Array(10), relay.addr);
  await waitFor("10 rejections", () => relay.stats.rejectedPackets === 10);
  assert.equal(relay.stats.clientsTotal, 1);
  assert.equal(relay.stats.up.sent, 5);
  ac.abort();
  await relay.closed;
  a.close();
  b.close();
  await echo.close();
});

Deno.test("relay expires idle clients when a new one arrives", async () => {
  const echo = startEcho();
  const ac = new AbortController();
  let now = 0;
  const relay = await startUdpRelay(
    options(echo.addr, { idleTimeoutMs: 1000, clock: () => now, signal: ac.signal }),
  );
  const a = new Client();
  const b = new Client();
  await exchange(a, relay.addr, 1, 3, new Prng(1));
  now = 5000;
  await exchange(b, relay.addr, 2, 3, new Prng(2));
  assert.equal(relay.stats.clientsExpired, 1);
  assert.equal(relay.stats.clients, 1);
  // A comes back: a fresh mapping; B (seen at 5000) is not idle and stays.
  const again = await exchange(a, relay.addr, 1, 3, new Prng(3));
  assert.equal(digest(again.got), digest(again.sent));
  assert.equal(relay.stats.clientsTotal, 3);
  assert.equal(relay.stats.clients, 2);
  ac.abort();
  await relay.closed;
  a.close();
  b.close();
  await echo.close();
});

Deno.test("relay started with an aborted signal closes at once", async () => {
  const relay = await startUdpRelay(
    options({ transport: "udp", hostname: LOOPBACK, port: 9 }, { signal: AbortSignal.abort() }),
  );
  await relay.closed;
  assert.equal(relay.stats.clients, 0);
});

Deno.test("relay rejects bad options", async () => {
  const target: Deno.NetAddr = { transport: "udp", hostname: LOOPBACK, port: 9 };
  const cases: Array<[Partial<UdpRelayOptions>, Error]> = [
    [
      { listen: { hostname: LOOPBACK, port: 70000 } },
      new RangeError('Relay "listen.port" must be 0..65535, got 70000'),
    ],
    [
      { target: { hostname: LOOPBACK, port: 0 } },
      new RangeError('Relay "target.port" must be 1..65535, got 0'),
    ],
    [
      { target: { hostname: "", port: 1 } },
      new TypeError('Relay "target.hostname" must be a non-empty string, got '),
    ],
    [{ maxClients: 0 }, new RangeError('Relay "maxClients" must be an integer >= 1, got 0')],
    [
      { idleTimeoutMs: -1 },
      new RangeError('Relay "idleTimeoutMs" must be a finite number >= 0, got -1'),
    ],
    [{ up: { loss: 2 } }, new RangeError('Link profile "loss" must be 0..1, got 2')],
    [{ seed: NaN }, new RangeError("Seed must be a finite number, got NaN")],
  ];
  for (const [extra, error] of cases) {
    await assert.rejects(startUdpRelay(options(target, extra)), error);
  }
});
