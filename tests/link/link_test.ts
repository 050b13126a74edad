import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  LINK_PROFILES,
  LinkDirection,
  type LinkProfile,
  parseLinkProfile,
} from "../../lib/link/link.ts";
import { Prng } from "../../lib/link/prng.ts";

// ---------------------------------------------------------------------------------------------
// Virtual-clock driver: sends are given as (time, size); every packet carries its index in its
// first 4 bytes; deliveries are pulled exactly at nextDelivery(), so `at` is the precise arrival.

interface Send {
  at: number;
  size: number;
}

interface Arrival {
  id: number;
  at: number;
  packet: Uint8Array;
}

interface Run {
  accepted: boolean[];
  arrivals: Arrival[];
}

function packetId(packet: Uint8Array): number {
  return new DataView(packet.buffer, packet.byteOffset, packet.byteLength).getUint32(0);
}

function drive(link: LinkDirection, sends: readonly Send[]): Run {
  const accepted: boolean[] = [];
  const arrivals: Arrival[] = [];
  const buf = new Uint8Array(65536);
  const view = new DataView(buf.buffer);
  let i = 0;
  for (;;) {
    const tSend = i < sends.length ? sends[i].at : Infinity;
    const tDeliver = link.nextDelivery();
    if (tSend === Infinity && tDeliver === Infinity) break;
    if (tDeliver <= tSend) {
      link.deliver(
        tDeliver,
        (packet) => arrivals.push({ id: packetId(packet), at: tDeliver, packet }),
      );
    } else {
      view.setUint32(0, i);
      // Fill the rest with a per-packet pattern so content can be checked.
      const size = sends[i].size;
      for (let j = 4; j < size; j++) buf[j] = (i + j) & 0xff;
      accepted.push(link.send(buf.subarray(0, size), tSend));
      i++;
    }
  }
  return { accepted, arrivals };
}

function paced(count: number, intervalMs: number, size = 1000): Send[] {
  return Array.from({ length: count }, (_, i) => ({ at: i * intervalMs, size }));
}

function assertInvariant(link: LinkDirection): void {
  const s = link.stats;
  assert.equal(s.sent + s.duplicated, s.delivered + s.lost + s.queueDrops + s.inFlight);
}

function near(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} not within ${expected} ± ${tolerance}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Basics

Deno.test("loopback delivers every packet at once, in order, as a private copy", () => {
  const link = new LinkDirection({}, 1);
  assert.equal(link.nextDelivery(), Infinity);
  assert.equal(link.deliver(Infinity, () => assert.fail("nothing in flight")), 0);
  const src = new Uint8Array([1, 2, 3, 4, 5]);
  assert.equal(link.send(src, 100), true);
  src[0] = 99;
  assert.equal(link.send(src, 100), true);
  assert.equal(link.nextDelivery(), 100);
  assert.equal(link.stats.inFlight, 2);
  const got: Uint8Array[] = [];
  assert.equal(link.deliver(99.999, (p) => got.push(p)), 0);
  assert.equal(link.deliver(100, (p) => got.push(p)), 2);
  assert.deepEqual(got, [new Uint8Array([1, 2, 3, 4, 5]), new Uint8Array([99, 2, 3, 4, 5])]);
  assert.notEqual(got[0].buffer, src.buffer);
  assert.deepEqual(link.stats, {
    sent: 2,
    delivered: 2,
    lost: 0,
    queueDrops: 0,
    duplicated: 0,
    reordered: 0,
    bytesDelivered: 10,
    inFlight: 0,
  });
  assert.equal(link.nextDelivery(), Infinity);
});

Deno.test("a fixed delay is exact", () => {
  const link = new LinkDirection({ delayMs: 20 }, 1);
  const sends = Array.from({ length: 1000 }, (_, i) => ({ at: i * 0.37, size: 100 }));
  const { arrivals } = drive(link, sends);
  assert.equal(arrivals.length, 1000);
  arrivals.forEach((a, i) => {
    assert.equal(a.id, i);
    assert.equal(a.at, sends[i].at + 20);
  });
});

Deno.test("empty packets travel too", () => {
  const link = new LinkDirection({ delayMs: 1, rateBps: 1000 }, 1);
  assert.equal(link.send(new Uint8Array(0), 0), true);
  const got: Uint8Array[] = [];
  assert.equal(link.deliver(1, (p) => got.push(p)), 1);
  assert.deepEqual(got, [new Uint8Array(0)]);
});

Deno.test("a packet sent from inside the sink and already due is delivered in the same call", () => {
  const link = new LinkDirection({}, 1);
  link.send(new Uint8Array([0]), 5);
  const seen: number[] = [];
  const n = link.deliver(5, (p) => {
    seen.push(p[0]);
    if (p[0] < 3) link.send(new Uint8Array([p[0] + 1]), 5);
  });
  assert.equal(n, 4);
  assert.deepEqual(seen, [0, 1, 2, 3]);
});

// ---------------------------------------------------------------------------------------------
// Loss

Deno.test("Bernoulli loss 10 % over 100 000 packets loses 10 % ± 0.5 %", () => {
  const link = new LinkDirection({ loss: 0.1 }, 2024);
  const { accepted, arrivals } = drive(link, paced(100_000, 1, 8));
  const lost = accepted.filter((ok) => !ok).length;
  near(lost / 100_000, 0.1, 0.005, "loss rate");
  assert.equal(link.stats.lost, lost);
  assert.equal(link.stats.delivered, 100_000 - lost);
  assert.equal(arrivals.length, 100_000 - lost);
  // Exactly the accepted packets arrive, in order.
  const expectedIds = accepted.flatMap((ok, i) => ok ? [i] : []);
  assert.deepEqual(arrivals.map((a) => a.id), expectedIds);
  assertInvariant(link);
});

Deno.test("loss 0 never drops and loss 1 always drops", () => {
  const none = new LinkDirection({ loss: 0 }, 1);
  const all = new LinkDirection({ loss: 1 }, 1);
  for (let i = 0; i < 10_000; i++) {
    assert.equal(none.send(new Uint8Array(1), i), true);
    assert.equal(all.send(new Uint8Array(1), i), false);
  }
  assert.equal(none.stats.lost, 0);
  assert.equal(all.stats.lost, 10_000);
  assert.equal(all.nextDelivery(), Infinity);
});

function lossRuns(accepted: boolean[]): number[] {
  const runs: number[] = [];
  let run = 0;
  for (const ok of accepted) {
    if (!ok) run++;
    else if (run > 0) {
      runs.push(run);
      run = 0;
    }
  }
  if (run > 0) runs.push(run);
  return runs;
}

Deno.test("Gilbert–Elliott loss: mean burst ≈ 1/pBadToGood, mean loss = πBad", () => {
  const link = new LinkDirection({ burst: { pGoodToBad: 0.02, pBadToGood: 0.25 } }, 77);
  const { accepted } = drive(link, paced(200_000, 1, 4));
  const runs = lossRuns(accepted);
  const meanBurst = runs.reduce((a, b) => a + b, 0) / runs.length;
  near(meanBurst, 1 / 0.25, 0.2, "mean burst length");
  near(link.stats.lost / 200_000, 0.02 / 0.27, 0.005, "loss rate");
  // Much burstier than Bernoulli loss at the same rate (mean run 1 / (1 - p) ≈ 1.08).
  assert.ok(runs.filter((r) => r >= 4).length > runs.length * 0.3);
});

Deno.test("Gilbert–Elliott loss with per-state loss rates", () => {
  const burst = { pGoodToBad: 0.05, pBadToGood: 0.2, lossGood: 0.01, lossBad: 0.5 };
  const link = new LinkDirection({ burst }, 8);
  drive(link, paced(200_000, 1, 4));
  // Stationary P(bad) = 0.05 / 0.25 = 0.2 → loss = 0.8 · 0.01 + 0.2 · 0.5 = 0.108.
  near(link.stats.lost / 200_000, 0.108, 0.006, "loss rate");
});

Deno.test("burst overrides loss", () => {
  const link = new LinkDirection({ loss: 1, burst: { pGoodToBad: 0, pBadToGood: 1 } }, 3);
  for (let i = 0; i < 1000; i++) assert.equal(link.send(new Uint8Array(1), i), true);
});

Deno.test("bursty-20m-80ms-10pct averages 10 % loss in bursts of ≈ 3.3", () => {
  const link = new LinkDirection(LINK_PROFILES["bursty-20m-80ms-10pct"], 4);
  // 1200 B every 1 ms = 9.6 Mbit/s, under the 20 Mbit/s rate: no queue drops.
  const { accepted } = drive(link, paced(200_000, 1, 1200));
  assert.equal(link.stats.queueDrops, 0);
  near(link.stats.lost / 200_000, 0.1, 0.005, "loss rate");
  const runs = lossRuns(accepted);
  near(runs.reduce((a, b) => a + b, 0) / runs.length, 1 / 0.3, 0.15, "mean burst length");
});

// ---------------------------------------------------------------------------------------------
// Bottleneck

Deno.test("rate limit serialises packets back to back", () => {
  // 10 Mbit/s: a 1250-byte packet takes exactly 1 ms.
  const link = new LinkDirection({ rateBps: 10_000_000, queueBytes: 10_000_000, delayMs: 5 }, 1);
  const sends = Array.from({ length: 1000 }, () => ({ at: 0, size: 1250 }));
  const { arrivals } = drive(link, sends);
  assert.equal(arrivals.length, 1000);
  arrivals.forEach((a, i) => {
    assert.equal(a.id, i);
    near(a.at, 5 + (i + 1), 1e-9, `arrival ${i}`);
  });
});

Deno.test("rate limit: delivered throughput equals rateBps within 1 % under overload", () => {
  const rateBps = 20_000_000;
  const link = new LinkDirection({ rateBps, delayMs: 3, jitterMs: 1 }, 9);
  const sizes = new Prng(1);
  // Offer about 2× the rate: mean size 732 B every 0.15 ms ≈ 39 Mbit/s, for 2 s.
  const sends: Send[] = [];
  for (let t = 0; t < 2000; t += 0.15) sends.push({ at: t, size: 64 + sizes.int(1337) });
  const offeredBytes = sends.reduce((a, s) => a + s.size, 0);
  const { accepted, arrivals } = drive(link, sends);
  const s = link.stats;
  assert.ok(s.queueDrops > sends.length * 0.3, `queue drops ${s.queueDrops}`);
  assert.equal(s.queueDrops, accepted.filter((ok) => !ok).length);
  assert.equal(s.delivered, arrivals.length);
  // Throughput measured over the arrivals after the first second (queue full, link saturated).
  const window = arrivals.filter((a) => a.at >= 1000 && a.at <= 2000);
  const bytes = window.slice(1).reduce((a, x) => a + x.packet.length, 0);
  const measured = bytes * 8 / ((window[window.length - 1].at - window[0].at) / 1000);
  near(measured / rateBps, 1, 0.01, "throughput / rate");
  const droppedBytes = sends.reduce((a, x, i) => a + (accepted[i] ? 0 : x.size), 0);
  assert.equal(s.bytesDelivered + droppedBytes, offeredBytes);
  assertInvariant(link);
});

Deno.test("queue overflow tail-drops exactly when the backlog is full", () => {
  // 8 Mbit/s = 1000 B/ms; queue 10 000 B.
  const link = new LinkDirection({ rateBps: 8_000_000, queueBytes: 10_000 }, 1);
  const packet = new Uint8Array(1000);
  const burst = Array.from({ length: 20 }, () => link.send(packet, 0));
  assert.deepEqual(burst, [...new Array(10).fill(true), ...new Array(10).fill(false)]);
  assert.equal(link.stats.queueDrops, 10);
  // After 5 ms, 5000 B have drained: 5 more fit, the 6th does not.
  const later = Array.from({ length: 6 }, () => link.send(packet, 5));
  assert.deepEqual(later, [true, true, true, true, true, false]);
  // A dropped packet takes no bandwidth: deliveries every 1 ms from 1 to 15.
  const times: number[] = [];
  while (link.nextDelivery() < Infinity) {
    const t = link.nextDelivery();
    link.deliver(t, () => times.push(t));
  }
  assert.deepEqual(times, Array.from({ length: 15 }, (_, i) => i + 1));
  assertInvariant(link);
});

Deno.test("queueing delay never exceeds the queue drain time", () => {
  const link = new LinkDirection({ rateBps: 8_000_000, queueBytes: 50_000 }, 2);
  const sizes = new Prng(2);
  const sends: Send[] = [];
  for (let t = 0; t < 500; t += 0.5) sends.push({ at: t, size: 100 + sizes.int(1300) });
  const { arrivals } = drive(link, sends);
  assert.ok(link.stats.queueDrops > 0);
  let max = 0;
  for (const a of arrivals) max = Math.max(max, a.at - sends[a.id].at);
  // 50 000 B at 1000 B/ms = 50 ms.
  assert.ok(max <= 50 + 1e-6, `max sojourn ${max}`);
  assert.ok(max > 48, `queue never filled: ${max}`);
});

Deno.test("an empty queue admits a packet larger than the queue", () => {
  const link = new LinkDirection({ rateBps: 8_000_000, queueBytes: 100 }, 1);
  assert.equal(link.send(new Uint8Array(1500), 0), true);
  assert.equal(link.send(new Uint8Array(1), 0), false);
  assert.equal(link.send(new Uint8Array(1), 1.5), true);
});

Deno.test("default queue is 50 ms at the rate, at least 64 KiB", () => {
  // 80 Mbit/s = 10 000 B/ms → 500 000 B. Burst 1000-byte packets at t = 0.
  const fast = new LinkDirection({ rateBps: 80_000_000 }, 1);
  let n = 0;
  while (fast.send(new Uint8Array(1000), 0)) n++;
  assert.equal(n, 500);
  // 1 Mbit/s → 6250 B by the rule, so the 65 536 B floor applies.
  const slow = new LinkDirection({ rateBps: 1_000_000 }, 1);
  n = 0;
  while (slow.send(new Uint8Array(1024), 0)) n++;
  assert.equal(n, 64);
});

// ---------------------------------------------------------------------------------------------
// Delay, jitter, reordering, duplication

Deno.test("jitter stays within delay ± jitter and is uniform when packets are sparse", () => {
  const link = new LinkDirection({ delayMs: 50, jitterMs: 10 }, 5);
  // 25 ms apart > 2 × jitter, so FIFO never constrains an arrival.
  const { arrivals } = drive(link, paced(20_000, 25, 16));
  const bins = new Array<number>(10).fill(0);
  let min = Infinity;
  let max = -Infinity;
  for (const a of arrivals) {
    const d = a.at - a.id * 25;
    min = Math.min(min, d);
    max = Math.max(max, d);
    bins[Math.min(9, Math.floor(d - 40) >> 1)]++;
  }
  assert.ok(min >= 40 && min < 40.05, `min ${min}`);
  assert.ok(max <= 60 && max > 59.95, `max ${max}`);
  const chi = bins.reduce((acc, o) => acc + (o - 2000) ** 2 / 2000, 0);
  assert.ok(chi < 27.9, `chi-square ${chi}`);
});

Deno.test("jitter keeps FIFO order and the delay bounds when packets are dense", () => {
  const link = new LinkDirection({ delayMs: 50, jitterMs: 10, rateBps: 50_000_000 }, 6);
  const sends = paced(20_000, 0.1, 500);
  const { arrivals } = drive(link, sends);
  assert.equal(arrivals.length, 20_000);
  arrivals.forEach((a, i) => {
    assert.equal(a.id, i);
    // Departure = send + 500 B at 6250 B/ms = 0.08 ms (the link is never backlogged here).
    const d = a.at - sends[i].at - 0.08;
    assert.ok(d >= 40 - 1e-9 && d <= 60 + 1e-9, `delay ${d}`);
  });
});

Deno.test("jitter larger than the delay clamps at zero delay", () => {
  const link = new LinkDirection({ delayMs: 2, jitterMs: 10 }, 7);
  const { arrivals } = drive(link, paced(10_000, 30, 8));
  const delays = arrivals.map((a) => a.at - a.id * 30);
  assert.ok(delays.every((d) => d >= 0 && d <= 12));
  // P(2 + U(-10, 10) < 0) = 40 %.
  near(delays.filter((d) => d === 0).length / 10_000, 0.4, 0.02, "zero-delay share");
});

Deno.test("reorder holds packets back by reorderDelayMs and lets later ones overtake", () => {
  const link = new LinkDirection({ delayMs: 20, reorder: 0.1, reorderDelayMs: 10 }, 11);
  const { arrivals } = drive(link, paced(20_000, 1, 8));
  assert.equal(arrivals.length, 20_000);
  const held = arrivals.filter((a) => a.at - a.id === 30);
  const normal = arrivals.filter((a) => a.at - a.id === 20);
  assert.equal(held.length + normal.length, 20_000);
  assert.equal(held.length, link.stats.reordered);
  near(held.length / 20_000, 0.1, 0.01, "reorder rate");
  // Not FIFO overall, but FIFO among the packets that were not held back.
  let inversions = 0;
  for (let i = 1; i < arrivals.length; i++) if (arrivals[i].id < arrivals[i - 1].id) inversions++;
  assert.ok(inversions > 1000, `inversions ${inversions}`);
  for (let i = 1; i < normal.length; i++) assert.ok(normal[i].id > normal[i - 1].id);
});

Deno.test("without reorder nothing is reordered even under jitter, loss and duplication", () => {
  const link = new LinkDirection(
    { delayMs: 30, jitterMs: 25, loss: 0.05, duplicate: 0.05, rateBps: 10_000_000 },
    12,
  );
  const { arrivals } = drive(link, paced(20_000, 0.5, 600));
  for (let i = 1; i < arrivals.length; i++) assert.ok(arrivals[i].id >= arrivals[i - 1].id);
  assert.equal(link.stats.reordered, 0);
});

Deno.test("duplicates are counted, separate copies, delivered right after the original", () => {
  const link = new LinkDirection({ duplicate: 0.05, delayMs: 1 }, 13);
  const { arrivals } = drive(link, paced(100_000, 1, 8));
  const s = link.stats;
  near(s.duplicated / 100_000, 0.05, 0.005, "duplicate rate");
  assert.equal(arrivals.length, 100_000 + s.duplicated);
  assert.equal(s.delivered, arrivals.length);
  let twins = 0;
  for (let i = 1; i < arrivals.length; i++) {
    if (arrivals[i].id === arrivals[i - 1].id) {
      twins++;
      assert.equal(arrivals[i].at, arrivals[i - 1].at);
      assert.deepEqual(arrivals[i].packet, arrivals[i - 1].packet);
      assert.notEqual(arrivals[i].packet, arrivals[i - 1].packet);
      assert.notEqual(arrivals[i].packet.buffer, arrivals[i - 1].packet.buffer);
    }
  }
  assert.equal(twins, s.duplicated);
  assertInvariant(link);
});

// ---------------------------------------------------------------------------------------------
// Determinism

function fingerprint(profile: LinkProfile, seed: number): string {
  const link = new LinkDirection(profile, seed);
  const sizes = new Prng(1234);
  const sends: Send[] = [];
  for (let t = 0; t < 3000; t += 0.2) sends.push({ at: t, size: 4 + sizes.int(1400) });
  const { arrivals } = drive(link, sends);
  const hash = createHash("sha256");
  const stamp = new DataView(new ArrayBuffer(12));
  for (const a of arrivals) {
    stamp.setFloat64(0, a.at);
    stamp.setUint32(8, a.id);
    hash.update(new Uint8Array(stamp.buffer));
    hash.update(a.packet);
  }
  return `${hash.digest("hex")} ${JSON.stringify(link.stats)}`;
}

Deno.test("same seed → identical deliveries; another seed → different", () => {
  const profile = LINK_PROFILES["chaos-10m-60ms"];
  const a = fingerprint(profile, 42);
  assert.equal(fingerprint(profile, 42), a);
  assert.notEqual(fingerprint(profile, 43), a);
});

Deno.test("each random feature has its own stream: loss pattern ignores other features", () => {
  const plain = new LinkDirection({ loss: 0.1 }, 21);
  const busy = new LinkDirection(
    { loss: 0.1, jitterMs: 5, delayMs: 10, reorder: 0.2, duplicate: 0.1 },
    21,
  );
  const a = drive(plain, paced(10_000, 1, 8)).accepted;
  const b = drive(busy, paced(10_000, 1, 8)).accepted;
  assert.deepEqual(b, a);
});

// ---------------------------------------------------------------------------------------------
// Counters and validation

Deno.test("stats invariant holds mid-flight", () => {
  const link = new LinkDirection(LINK_PROFILES["chaos-10m-60ms"], 3);
  const packet = new Uint8Array(1200);
  for (let t = 0; t < 200; t += 0.5) {
    link.send(packet, t);
    link.deliver(t, () => {});
    assertInvariant(link);
  }
  assert.ok(link.stats.inFlight > 0);
  link.deliver(Infinity, () => {});
  assert.equal(link.stats.inFlight, 0);
  assertInvariant(link);
});

Deno.test("every named profile constructs and is frozen", () => {
  assert.deepEqual(Object.keys(LINK_PROFILES), [
    "loopback",
    "clean-100m-20ms",
    "lossy-50m-40ms-2pct",
    "bursty-20m-80ms-10pct",
    "jitter-10m-120ms-5pct",
    "chaos-10m-60ms",
  ]);
  for (const [name, profile] of Object.entries(LINK_PROFILES)) {
    assert.ok(Object.isFrozen(profile), name);
    new LinkDirection(profile, 1);
  }
  assert.ok(Object.isFrozen(LINK_PROFILES));
  assert.deepEqual(LINK_PROFILES["clean-100m-20ms"], { rateBps: 100_000_000, delayMs: 10 });
  assert.deepEqual(LINK_PROFILES["lossy-50m-40ms-2pct"], {
    rateBps: 50_000_000,
    delayMs: 20,
    loss: 0.02,
  });
  assert.deepEqual(LINK_PROFILES["jitter-10m-120ms-5pct"], {
    rateBps: 10_000_000,
    delayMs: 60,
    jitterMs: 20,
    loss: 0.05,
  });
});

Deno.test("lossy-50m-40ms-2pct and jitter-10m-120ms-5pct lose what they say", () => {
  const lossy = new LinkDirection(LINK_PROFILES["lossy-50m-40ms-2pct"], 1);
  drive(lossy, paced(100_000, 0.5, 1200));
  near(lossy.stats.lost / 100_000, 0.02, 0.002, "lossy loss");
  const jitter = new LinkDirection(LINK_PROFILES["jitter-10m-120ms-5pct"], 1);
  const { arrivals } = drive(jitter, paced(50_000, 2, 1200));
  near(jitter.stats.lost / 50_000, 0.05, 0.004, "jitter loss");
  // 1200 B at 10 Mbit/s = 0.96 ms serialisation, then 60 ± 20 ms.
  for (const a of arrivals) {
    const d = a.at - a.id * 2 - 0.96;
    assert.ok(d >= 40 - 1e-9 && d <= 80 + 1e-9, `delay ${d}`);
  }
});

Deno.test("LinkDirection rejects bad profiles with a message naming the field", () => {
  const cases: Array<[unknown, Error]> = [
    [{ loss: 1.5 }, new RangeError('Link profile "loss" must be 0..1, got 1.5')],
    [{ loss: -0.1 }, new RangeError('Link profile "loss" must be 0..1, got -0.1')],
    [{ loss: NaN }, new RangeError('Link profile "loss" must be 0..1, got NaN')],
    [{ loss: "2%" }, new TypeError('Link profile "loss" must be a number, got string')],
    [
      { delayMs: -1 },
      new RangeError('Link profile "delayMs" must be a finite number >= 0, got -1'),
    ],
    [
      { jitterMs: Infinity },
      new RangeError('Link profile "jitterMs" must be a finite number >= 0, got Infinity'),
    ],
    [
      { rateBps: -5 },
      new RangeError('Link profile "rateBps" must be a finite number >= 0, got -5'),
    ],
    [
      { queueBytes: -1 },
      new RangeError('Link profile "queueBytes" must be a finite number >= 0, got -1'),
    ],
    [{ reorder: 2 }, new RangeError('Link profile "reorder" must be 0..1, got 2')],
    [
      { reorderDelayMs: -3 },
      new RangeError('Link profile "reorderDelayMs" must be a finite number >= 0, got -3'),
    ],
    [{ duplicate: 1.01 }, new RangeError('Link profile "duplicate" must be 0..1, got 1.01')],
    [{ burst: 0.1 }, new TypeError('Link profile "burst" must be an object, got 0.1')],
    [{ burst: { pBadToGood: 0.3 } }, new TypeError('Link profile "burst.pGoodToBad" is required')],
    [{ burst: { pGoodToBad: 0.3 } }, new TypeError('Link profile "burst.pBadToGood" is required')],
    [
      { burst: { pGoodToBad: 0.1, pBadToGood: 0.3, lossBad: 3 } },
      new RangeError('Link profile "burst.lossBad" must be 0..1, got 3'),
    ],
    [null, new TypeError("Link profile must be an object, got null")],
  ];
  for (const [profile, error] of cases) {
    assert.throws(() => new LinkDirection(profile as LinkProfile, 1), error);
  }
  assert.throws(
    () => new LinkDirection({}, NaN),
    new RangeError("Seed must be a finite number, got NaN"),
  );
});

// ---------------------------------------------------------------------------------------------
// parseLinkProfile

Deno.test("parseLinkProfile parses every key and unit", () => {
  const cases: Array<[string, LinkProfile]> = [
    [
      "loss=2%,delay=20ms,jitter=5ms,rate=50mbit,queue=256kb,reorder=1%,dup=0.5%",
      {
        loss: 0.02,
        delayMs: 20,
        jitterMs: 5,
        rateBps: 50_000_000,
        queueBytes: 262_144,
        reorder: 0.01,
        duplicate: 0.005,
      },
    ],
    ["loss=0.07", { loss: 0.07 }],
    ["loss=7%", { loss: 0.07 }],
    ["loss=100%", { loss: 1 }],
    ["loss=.5", { loss: 0.5 }],
    [" Loss = 3% , DELAY=1.5S ", { loss: 0.03, delayMs: 1500 }],
    ["delay=500us", { delayMs: 0.5 }],
    ["delay=12", { delayMs: 12 }],
    ["rate=0", { rateBps: 0 }],
    ["rate=800kbit", { rateBps: 800_000 }],
    ["rate=1gbit", { rateBps: 1e9 }],
    ["rate=50m", { rateBps: 50_000_000 }],
    ["rate=9600", { rateBps: 9600 }],
    ["rate=2.5mbit", { rateBps: 2_500_000 }],
    ["queue=1mb", { queueBytes: 1_048_576 }],
    ["queue=64kib", { queueBytes: 65_536 }],
    ["queue=1500b", { queueBytes: 1500 }],
    ["queue=1.5kb", { queueBytes: 1536 }],
    ["queue=1500", { queueBytes: 1500 }],
    ["reorder=5%,reorder-delay=15ms", { reorder: 0.05, reorderDelayMs: 15 }],
    ["duplicate=2%", { duplicate: 0.02 }],
    ["burst=3%/30%", { burst: { pGoodToBad: 0.03, pBadToGood: 0.3 } }],
    [
      "burst=0.05/0.2/1%/50%",
      { burst: { pGoodToBad: 0.05, pBadToGood: 0.2, lossGood: 0.01, lossBad: 0.5 } },
    ],
    ["loopback", {}],
    ["LOOPBACK", {}],
    ["clean-100m-20ms", { rateBps: 100_000_000, delayMs: 10 }],
    ["lossy-50m-40ms-2pct,jitter=3ms", {
      rateBps: 50_000_000,
      delayMs: 20,
      loss: 0.02,
      jitterMs: 3,
    }],
    ["lossy-50m-40ms-2pct,loss=0", { rateBps: 50_000_000, delayMs: 20, loss: 0 }],
    // An explicit loss replaces an inherited burst, and vice versa.
    ["bursty-20m-80ms-10pct,loss=1%", { rateBps: 20_000_000, delayMs: 40, loss: 0.01 }],
    ["lossy-50m-40ms-2pct,burst=1%/50%", {
      rateBps: 50_000_000,
      delayMs: 20,
      burst: { pGoodToBad: 0.01, pBadToGood: 0.5 },
    }],
  ];
  for (const [spec, expected] of cases) assert.deepEqual(parseLinkProfile(spec), expected, spec);
});

Deno.test("parseLinkProfile returns a fresh object", () => {
  const p = parseLinkProfile("bursty-20m-80ms-10pct");
  assert.deepEqual(p, LINK_PROFILES["bursty-20m-80ms-10pct"]);
  assert.notEqual(p, LINK_PROFILES["bursty-20m-80ms-10pct"]);
  p.burst!.pBadToGood = 0.9;
  p.delayMs = 1;
  assert.equal(LINK_PROFILES["bursty-20m-80ms-10pct"].burst!.pBadToGood, 0.3);
  assert.equal(LINK_PROFILES["bursty-20m-80ms-10pct"].delayMs, 40);
});

Deno.test("parseLinkProfile rejects bad specs with exact messages", () => {
  const P = "Cannot parse link profile: ";
  const known = "loopback, clean-100m-20ms, lossy-50m-40ms-2pct, bursty-20m-80ms-10pct, " +
    "jitter-10m-120ms-5pct, chaos-10m-60ms";
  const keys = "loss, burst, delay, jitter, rate, queue, reorder, reorder-delay, dup";
  const cases: Array<[string, Error]> = [
    ["", new SyntaxError(`${P}spec is empty`)],
    ["   ", new SyntaxError(`${P}spec is empty`)],
    ["foo", new RangeError(`${P}unknown profile "foo" (known: ${known})`)],
    ["constructor", new RangeError(`${P}unknown profile "constructor" (known: ${known})`)],
    ["loss=1%,,delay=2ms", new SyntaxError(`${P}empty item in "loss=1%,,delay=2ms"`)],
    ["loss=1%,", new SyntaxError(`${P}empty item in "loss=1%,"`)],
    ["loss=1%,loopback", new SyntaxError(`${P}expected key=value, got "loopback"`)],
    ["speed=5", new SyntaxError(`${P}unknown key "speed" (known: ${keys})`)],
    ["=5", new SyntaxError(`${P}unknown key "" (known: ${keys})`)],
    ["loss=1%,LOSS=2%", new SyntaxError(`${P}key "loss" is given twice`)],
    ["dup=1%,duplicate=2%", new SyntaxError(`${P}key "duplicate" is given twice`)],
    ["loss=150%", new RangeError(`${P}"loss" must be 0..100%, got "150%"`)],
    ["loss=2", new RangeError(`${P}"loss" must be 0..100%, got "2"`)],
    ["loss=abc", new SyntaxError(`${P}"loss" must be a probability like 2% or 0.02, got "abc"`)],
    ["loss=-1%", new SyntaxError(`${P}"loss" must be a probability like 2% or 0.02, got "-1%"`)],
    ["loss=", new SyntaxError(`${P}"loss" must be a probability like 2% or 0.02, got ""`)],
    ["loss=1e-3", new SyntaxError(`${P}"loss" must be a probability like 2% or 0.02, got "1e-3"`)],
    [
      "delay=20 ms s",
      new SyntaxError(`${P}"delay" must be a duration like 20ms, 1.5s or 500us, got "20 ms s"`),
    ],
    [
      "jitter=5min",
      new SyntaxError(`${P}"jitter" must be a duration like 20ms, 1.5s or 500us, got "5min"`),
    ],
    [
      "rate=50mbps",
      new SyntaxError(
        `${P}"rate" must be a rate like 50mbit, 800kbit or 0 (unlimited), got "50mbps"`,
      ),
    ],
    [
      "queue=12 apples",
      new SyntaxError(`${P}"queue" must be a size like 256kb, 1mb or 1500b, got "12 apples"`),
    ],
    [
      `rate=${"9".repeat(400)}`,
      new RangeError(`${P}"rate" is too large, got "${"9".repeat(400)}"`),
    ],
    [
      "burst=10%",
      new SyntaxError(
        `${P}"burst" must be pGoodToBad/pBadToGood or pGoodToBad/pBadToGood/lossGood/lossBad ` +
          `like 3%/30%, got "10%"`,
      ),
    ],
    [
      "burst=1/2/3",
      new SyntaxError(
        `${P}"burst" must be pGoodToBad/pBadToGood or pGoodToBad/pBadToGood/lossGood/lossBad ` +
          `like 3%/30%, got "1/2/3"`,
      ),
    ],
    ["burst=1%/x", new SyntaxError(`${P}"burst" must be a probability like 2% or 0.02, got "x"`)],
    ["burst=1%/200%", new RangeError(`${P}"burst" must be 0..100%, got "200%"`)],
    ["loss=1%,burst=1%/2%", new SyntaxError(`${P}"loss" and "burst" cannot both be given`)],
  ];
  for (const [spec, error] of cases) assert.throws(() => parseLinkProfile(spec), error, spec);
  assert.throws(
    () => parseLinkProfile(5 as unknown as string),
    new TypeError("Link profile spec must be a string, got number"),
  );
});

Deno.test("parseLinkProfile fuzz: random specs parse into valid profiles or throw Syntax/RangeError", () => {
  const prng = new Prng(31337);
  const tokens = [
    "loss",
    "burst",
    "delay",
    "jitter",
    "rate",
    "queue",
    "reorder",
    "reorder-delay",
    "dup",
    "=",
    ",",
    "%",
    "/",
    ".",
    "0",
    "1",
    "5",
    "9",
    "50",
    "100",
    "ms",
    "s",
    "us",
    "kbit",
    "mbit",
    "gbit",
    "kb",
    "mb",
    "b",
    " ",
    "-",
    "e",
    "x",
    "loopback",
    "chaos-10m-60ms",
    "",
  ];
  const keys = tokens.slice(0, 9);
  const units = ["", "", "%", "ms", "s", "us", "kbit", "mbit", "kb", "mb", "b", "x"];
  let parsed = 0;
  for (let i = 0; i < 20_000; i++) {
    let spec = "";
    if (i % 3 === 0) {
      // Raw code units.
      const n = prng.int(24);
      for (let j = 0; j < n; j++) spec += String.fromCharCode(prng.int(0x3000));
    } else if (i % 3 === 1) {
      // Token soup.
      const n = 1 + prng.int(12);
      for (let j = 0; j < n; j++) spec += tokens[prng.int(tokens.length)];
    } else {
      // Mostly well-formed key=number+unit items, some with a wrong unit or out of range.
      const n = 1 + prng.int(3);
      const items: string[] = [];
      for (let j = 0; j < n; j++) {
        const key = keys[prng.int(keys.length)];
        const num = () => `${prng.int(3) === 0 ? prng.int(200) : prng.int(1000) / 1000}`;
        const unit = () => units[prng.int(units.length)];
        items.push(
          key === "burst"
            ? `${key}=${num()}${unit()}/${num()}${unit()}`
            : `${key}=${num()}${unit()}`,
        );
      }
      spec = items.join(",");
    }
    let profile: LinkProfile;
    try {
      profile = parseLinkProfile(spec);
    } catch (e) {
      assert.ok(e instanceof SyntaxError || e instanceof RangeError, `${spec}: ${e}`);
      continue;
    }
    parsed++;
    // Whatever parses must be accepted by the emulator.
    new LinkDirection(profile, 1);
  }
  assert.ok(parsed > 500, `only ${parsed} random specs parsed`);
});

Deno.test("tags travel with their packets and duplicates", () => {
  const link = new LinkDirection({ delayMs: 5, jitterMs: 4, reorder: 0.3, duplicate: 0.3 }, 19);
  const prng = new Prng(19);
  const sent = new Map<number, number>();
  for (let i = 0; i < 5000; i++) {
    const tag = prng.int(1000);
    const packet = new Uint8Array(4);
    new DataView(packet.buffer).setUint32(0, i);
    sent.set(i, tag);
    link.send(packet, i * 0.5, tag);
  }
  let count = 0;
  link.deliver(Infinity, (packet, tag) => {
    assert.equal(tag, sent.get(packetId(packet)));
    count++;
  });
  assert.equal(count, 5000 + link.stats.duplicated);
  // Without a tag, the sink sees 0.
  link.send(new Uint8Array(4), 0);
  link.deliver(Infinity, (_p, tag) => assert.equal(tag, 0));
});
