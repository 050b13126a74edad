// UdpEndpoint over real loopback sockets, batched (sendmmsg/recvmmsg, GSO) and plain: every
// datagram arrives intact and in order, bursts are drained in batches, nothing throws.

import assert from "node:assert/strict";
import { UdpEndpoint, type UdpEndpointOptions } from "../../lib/tunnel/udp.ts";
import { BATCH, NativeUdp, parseIpv4, SLOT } from "../../lib/tunnel/_udp_native.ts";
import { Prng } from "../../lib/link/prng.ts";

const batchedHere = (() => {
  const probe = new UdpEndpoint("127.0.0.1", 0);
  const on = probe.batched;
  probe.close();
  return on;
})();

/** A receiving endpoint that records datagrams and can wait for a count. */
function receiver(options?: UdpEndpointOptions) {
  const ep = new UdpEndpoint("127.0.0.1", 0, 0, options);
  const got: Uint8Array[] = [];
  const froms: Deno.NetAddr[] = [];
  let want = Infinity;
  let wake: () => void = () => {};
  const loop = ep.start((buf, n, from) => {
    got.push(buf.slice(0, n));
    froms.push(from);
    if (got.length >= want) wake();
  });
  return {
    ep,
    got,
    froms,
    loop,
    /** Resolves once `n` datagrams arrived; fails (instead of hanging) if one is lost. */
    until(n: number): Promise<void> {
      if (got.length >= n) return Promise.resolve();
      want = n;
      return new Promise((resolve, reject) => {
        const guard = setTimeout(
          () => reject(new Error(`Only ${got.length} of ${n} datagrams arrived`)),
          10_000,
        );
        wake = () => {
          clearTimeout(guard);
          resolve();
        };
      });
    },
  };
}

/** Sorted hex forms: Deno's own `send` resolves each address on a thread pool and may reorder. */
function unordered(list: Uint8Array[]): string[] {
  return list.map((d) => Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("")).sort();
}

/** Datagrams of mixed sizes: runs of equal full-size ones (GSO), shorter ones, tiny ones. */
function datagrams(count: number, seed: number): Uint8Array[] {
  const rng = new Prng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const r = rng.int(10);
    const len = r < 6 ? 1350 : r < 8 ? 1 + rng.int(1500) : rng.int(24);
    const d = new Uint8Array(len);
    rng.fill(d);
    out.push(d);
  }
  return out;
}

async function transfer(send: UdpEndpointOptions, recv: UdpEndpointOptions) {
  const rx = receiver(recv);
  const tx = new UdpEndpoint("127.0.0.1", 0, 0, send);
  const all = datagrams(600, 11);
  // bursts of one batch per event-loop turn, each awaited at the receiver: no buffer overflows
  for (let i = 0; i < all.length; i += BATCH) {
    const burst = all.slice(i, i + BATCH);
    for (const d of burst) tx.send(d, d.length, rx.ep.addr);
    await rx.until(i + burst.length);
  }
  await tx.flushed();
  tx.close();
  rx.ep.close();
  await rx.loop;
  return { all, rx, tx };
}

Deno.test({
  name: "batched endpoints deliver every datagram intact and in order, draining bursts",
  ignore: !batchedHere,
  async fn() {
    const { all, rx, tx } = await transfer({}, {});
    assert.equal(tx.batched, true);
    assert.equal(rx.got.length, all.length);
    rx.got.forEach((d, i) => assert.deepEqual(d, all[i], `datagram ${i}`));
    assert.equal(tx.batchedSends, all.length);
    assert.equal(tx.sendErrors, 0);
    // each burst wakes Deno's receive once and the rest is drained in batches
    assert.ok(rx.ep.batchedReceives >= all.length - Math.ceil(all.length / BATCH) * 2);
    // the sender is seen at its bound address, one object per address
    const port = tx.addr.port;
    assert.ok(rx.froms.every((f) => f.hostname === "127.0.0.1" && f.port === port));
    // (batched receives reuse one object; each wake-up's first datagram is Deno's own)
    assert.ok(new Set(rx.froms).size <= 1 + rx.got.length - rx.ep.batchedReceives);
  },
});

Deno.test({
  name: "GSO off, batching off and mixed ends deliver the same datagrams",
  ignore: !batchedHere,
  async fn() {
    for (
      const [send, recv] of [
        [{ gso: false }, {}],
        [{ batched: false }, {}],
        [{}, { batched: false }],
      ] as [UdpEndpointOptions, UdpEndpointOptions][]
    ) {
      const { all, rx, tx } = await transfer(send, recv);
      assert.equal(tx.batched, send.batched ?? true);
      assert.equal(rx.got.length, all.length);
      if (tx.batched) rx.got.forEach((d, i) => assert.deepEqual(d, all[i], `datagram ${i}`));
      else assert.deepEqual(unordered(rx.got), unordered(all));
      if (recv.batched === false) assert.equal(rx.ep.batchedReceives, 0);
    }
  },
});

Deno.test("plain endpoints (no batching) deliver every datagram (in some order)", async () => {
  const { all, rx, tx } = await transfer({ batched: false }, { batched: false });
  assert.equal(tx.batched, false);
  assert.equal(tx.batchedSends, 0);
  assert.equal(rx.got.length, all.length);
  assert.deepEqual(unordered(rx.got), unordered(all));
});

Deno.test("a burst larger than a batch is sent in several system calls, in order", async () => {
  const rx = receiver();
  const tx = new UdpEndpoint("127.0.0.1", 0);
  const all = datagrams(3 * BATCH + 5, 5).map((d) => d.subarray(0, Math.min(d.length, 64)));
  for (const d of all) tx.send(d, d.length, rx.ep.addr);
  await rx.until(all.length);
  rx.got.forEach((d, i) => assert.deepEqual(d, all[i], `datagram ${i}`));
  await tx.flushed();
  tx.close();
  rx.ep.close();
  await rx.loop;
});

Deno.test("close sends what is batched, later sends are dropped, oversized sends do not throw", async () => {
  const rx = receiver();
  const tx = new UdpEndpoint("127.0.0.1", 0);
  const big = new Uint8Array(3000).fill(7);
  tx.send(big, big.length, rx.ep.addr); // larger than a slot: Deno's send, truncated at receipt
  tx.send(Uint8Array.of(1, 2, 3), 3, rx.ep.addr);
  await tx.flushed();
  tx.send(Uint8Array.of(4), 1, rx.ep.addr);
  tx.close(); // the batched datagram still leaves
  tx.send(Uint8Array.of(5), 1, rx.ep.addr);
  await rx.until(3);
  // the first two went through Deno's send (in either order), the third was batched
  assert.deepEqual(
    unordered(rx.got.slice(0, 2)),
    unordered([big.subarray(0, 2048), Uint8Array.of(1, 2, 3)]),
  );
  assert.deepEqual(rx.got[2], Uint8Array.of(4));
  assert.equal(tx.sendErrors, 0);
  rx.ep.close();
  await rx.loop;
  assert.equal(rx.got.length, 3);
});

Deno.test("a throwing handler is counted and the loop keeps receiving", async () => {
  const ep = new UdpEndpoint("127.0.0.1", 0);
  const tx = new UdpEndpoint("127.0.0.1", 0);
  let calls = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => done = r);
  const errors = console.error;
  console.error = () => {};
  try {
    const loop = ep.start(() => {
      if (++calls === 10) done();
      throw new Error("handler bug");
    });
    for (let i = 0; i < 10; i++) tx.send(Uint8Array.of(i), 1, ep.addr);
    await all;
    assert.equal(ep.receiveErrors, 10);
    await tx.flushed();
    tx.close();
    ep.close();
    await loop;
  } finally {
    console.error = errors;
  }
});

Deno.test({
  name: "the batch queue refuses what it cannot send: non-IPv4 names, datagrams over a slot",
  ignore: !batchedHere,
  fn() {
    const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      const native = NativeUdp.open(conn.addr as Deno.NetAddr)!;
      assert.ok(native !== undefined);
      const to = (hostname: string): Deno.NetAddr => ({ transport: "udp", hostname, port: 9 });
      const one = new Uint8Array(SLOT + 1);
      assert.equal(native.queue(one, 1, to("localhost")), false);
      assert.equal(native.queue(one, 1, to("::1")), false);
      assert.equal(native.queue(one, SLOT + 1, to("127.0.0.1")), false);
      assert.equal(native.queued, 0);
      assert.equal(native.queue(one, SLOT, to("127.0.0.1")), true);
      assert.equal(native.queued, 1);
      assert.equal(native.unsent(0).bytes.length, SLOT);
      native.clear();
      assert.equal(native.queued, 0);
    } finally {
      conn.close();
    }
  },
});

Deno.test({
  name: "a run of equal datagrams to one address leaves as one GSO message",
  ignore: !batchedHere,
  async fn() {
    const rx = receiver();
    const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      const native = NativeUdp.open(conn.addr as Deno.NetAddr)!;
      const all = datagrams(40, 3).map((d, i) => {
        const x = new Uint8Array(i === 39 ? 77 : 1350); // 39 full, one shorter tail
        x.set(d.subarray(0, x.length));
        x[0] = i;
        return x;
      });
      for (const d of all) assert.ok(native.queue(d, d.length, rx.ep.addr));
      const result = { sent: 0, errors: 0 };
      native.flush(result);
      assert.deepEqual(result, { sent: 40, errors: 0 });
      assert.equal(native.sendCalls, 1);
      if (native.gsoRefused === 0) assert.equal(native.gsoMessages, 1);
      await rx.until(40);
      rx.got.forEach((d, i) => assert.deepEqual(d, all[i], `datagram ${i}`));
    } finally {
      conn.close();
      rx.ep.close();
      await rx.loop;
    }
  },
});

Deno.test("parseIpv4 accepts dotted quads only", () => {
  assert.equal(parseIpv4("127.0.0.1"), 0x7f000001);
  assert.equal(parseIpv4("0.0.0.0"), 0);
  assert.equal(parseIpv4("255.255.255.255"), 0xffffffff);
  assert.equal(parseIpv4("10.1.2.3"), 0x0a010203);
  for (
    const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "1..2.3",
      "1.2.3.",
      ".1.2.3",
      "1.2.3.4 ",
      "::1",
      "localhost",
      "1.2.3.0004",
    ]
  ) {
    assert.equal(parseIpv4(bad), -1, bad);
  }
});
