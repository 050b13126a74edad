import assert from "node:assert/strict";
import {
  ACK_BATCHES_PER_ROUND,
  ACK_GAP_WINDOW_GAIN,
  INITIAL_WINDOW,
  MIN_WINDOW,
  RateController,
  WINDOW_RTT_FLOOR_MS,
} from "../../lib/session/rate_control.ts";
import { KcpSession } from "../../lib/session/kcp_session.ts";
import { createPacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { deriveKey } from "../../lib/crypt/kdf.ts";
import { LinkDirection, parseLinkProfile } from "../../lib/link/link.ts";
import { Prng } from "../../lib/link/prng.ts";
import { Kcp } from "../../lib/kcp/kcp.ts";

Deno.test("rate control: startup, drain, probe; pacing and window follow the estimate", () => {
  const rc = new RateController(1322);
  assert.equal(rc.pacingRate(), 0); // nothing measured: unpaced
  assert.equal(rc.window(), INITIAL_WINDOW);
  let delivered = 0;
  let now = 0;
  rc.update(now, { delivered, rtt: 100, inflight: 10 }); // first call starts a round
  // rounds of 100 ms delivering 100 kB, then 200 kB, then flat at 300 kB
  const perRound = [100_000, 200_000, 300_000, 300_000, 300_000, 300_000, 300_000];
  const states: string[] = [];
  for (const bytes of perRound) {
    now += 100;
    delivered += bytes;
    rc.update(now, { delivered, rtt: 100, inflight: 10 });
    states.push(rc.state);
  }
  assert.deepEqual(states, [
    "startup",
    "startup",
    "startup",
    "startup",
    "startup",
    "drain",
    "probe",
  ]);
  assert.equal(rc.bottleneckRate, 3_000_000); // 300 kB per 100 ms
  assert.equal(rc.minRtt, 100);
  // probe cycle starts at gain 1.25
  assert.equal(rc.pacingRate(), 3_750_000);
  // window: 1.5 × BDP = 1.5 × 3 MB/s × 0.1 s / 1322 B would be 341 segments, but this peer
  // ACKs once per 100 ms round: 1.15 × (100 + 100) ms × 3 MB/s / 1322 B
  assert.equal(rc.window(), 522);
  // an idle round (nothing delivered, nothing in flight) changes nothing
  now += 100;
  rc.update(now, { delivered, rtt: 100, inflight: 0 });
  assert.equal(rc.bottleneckRate, 3_000_000);
});

/** Feeds `rc` 100 ms rounds at a 100 ms RTT; each call delivers `bytes` and returns the state. */
/** Feeds `rc` a delivery of `bytes` every `stepMs` from 0 to `untilMs`, at a fixed RTT. */
function steadily(
  rc: RateController,
  o: { stepMs: number; bytes: number; rtt: number; inflight: number; untilMs: number },
): void {
  let delivered = 0;
  rc.update(0, { delivered, rtt: o.rtt, inflight: o.inflight });
  for (let t = o.stepMs; t <= o.untilMs; t += o.stepMs) {
    delivered += o.bytes;
    rc.update(t, { delivered, rtt: o.rtt, inflight: o.inflight });
  }
}

function roundsOf(rc: RateController): (bytes: number) => string {
  let delivered = 0;
  let now = 0;
  rc.update(now, { delivered, rtt: 100, inflight: 10 });
  return (bytes) => {
    now += 100;
    delivered += bytes;
    rc.update(now, { delivered, rtt: 100, inflight: 10 });
    return rc.state;
  };
}

Deno.test("rate control: startup rounds stalled by a loss burst do not end startup", () => {
  const rc = new RateController(1322);
  const round = roundsOf(rc);
  assert.equal(round(100_000), "startup");
  // three rounds held up by a retransmission deliver a tenth of the estimate: no plateau
  assert.deepEqual([round(10_000), round(10_000), round(10_000)], [
    "startup",
    "startup",
    "startup",
  ]);
  // growth resumes, then three rounds at the estimate are a plateau
  assert.deepEqual([round(400_000), round(400_000), round(400_000), round(400_000)], [
    "startup",
    "startup",
    "startup",
    "drain",
  ]);
  assert.equal(rc.bottleneckRate, 4_000_000);
});

Deno.test("rate control: past startup a bunched round of ACKs lifts the estimate by 1.25× at most", () => {
  const rc = new RateController(1322);
  const round = roundsOf(rc);
  for (const bytes of [100_000, 100_000, 100_000, 100_000, 100_000]) round(bytes);
  assert.equal(rc.state, "probe");
  assert.equal(rc.bottleneckRate, 1_000_000);
  // ACKs for three rounds' worth arrive in one: we never sent that fast, so it is capped
  round(300_000);
  assert.equal(rc.bottleneckRate, 1_250_000);
});

/**
 * A probing controller on a 40 ms path that sends and delivers 1 MB/s, ACKed every `gapMs`;
 * then one ACK batch carries twice its share (the one before it came late). Returns the
 * estimate twelve batches later.
 */
function oneBunchedBatch(gapMs: number): number {
  const rc = new RateController(1000);
  let now = 0, delivered = 0, sent = 0;
  const batch = (share: number) => {
    now += gapMs;
    sent += 1000 * gapMs;
    delivered += share * 1000 * gapMs;
    rc.update(now, { delivered, rtt: 40, inflight: 40, sent });
  };
  rc.update(0, { delivered, rtt: 40, inflight: 40, sent });
  while (now < 2000) batch(1);
  assert.equal(rc.state, "probe");
  assert.equal(rc.bottleneckRate, 1_000_000);
  batch(2);
  // long enough to close the round holding it, short of the filter's ten rounds
  for (let i = 0; i < 12; i++) batch(1);
  return rc.bottleneckRate;
}

Deno.test("rate control: behind a peer that ACKs in batches, a round's sample is bounded by what was sent", () => {
  assert.equal(ACK_BATCHES_PER_ROUND, 2);
  // a kcp-go receiver's batch every 30 ms, rounds of two batches: the round with the doubled
  // batch delivers 1.5 MB/s. We sent 1 MB/s: the estimate stays (the 1.25× cap alone let it
  // rise to 1.25 MB/s, and pacing above the link overflowed its queue)
  assert.equal(oneBunchedBatch(30), 1_000_000);
  // ACKs every 5 ms (ours): a round holds eight batches, one extra is 1/8 and the cap of 1.25×
  // the estimate is the only bound, as before
  assert.equal(oneBunchedBatch(5), 1_125_000);
});

Deno.test("rate control: a round ends on an ACK arrival, not on a timer tick", () => {
  const rc = new RateController(1322);
  rc.update(0, { delivered: 0, rtt: 100, inflight: 10 });
  // ticks past the round's length with nothing newly acknowledged do not close it
  rc.update(100, { delivered: 0, rtt: 100, inflight: 10 });
  rc.update(130, { delivered: 0, rtt: 100, inflight: 10 });
  assert.equal(rc.bottleneckRate, 0);
  // the ACK batch at 150 ms closes it: 150 kB over 150 ms, not 0 over 100 ms
  rc.update(150, { delivered: 150_000, rtt: 100, inflight: 10 });
  assert.equal(rc.bottleneckRate, 1_000_000);
});

/**
 * Feeds `rc` 100 ms rounds past startup at 1 MB/s, each sending `sent` bytes and delivering
 * `delivered`, with the round's lowest RTT `low` (minimum 100 ms). Returns the estimates.
 */
function lossyRounds(rounds: { sent: number; delivered: number; low: number }[]): number[] {
  const rc = new RateController(1322);
  let now = 0, delivered = 0, sent = 0;
  const feed = (d: number, snt: number, low: number) => {
    now += 100;
    delivered += d;
    sent += snt;
    rc.update(now, { delivered, rtt: low, inflight: 10, sent, lowRtt: low });
  };
  rc.update(0, { delivered: 0, rtt: 100, inflight: 10, sent: 0, lowRtt: 100 });
  // startup: the first round sets the estimate; of the flat, queue-free ones after it, three are
  // not counted as a plateau and three are; then drain, then probe
  for (let i = 0; i < 8; i++) feed(100_000, 100_000, 100);
  assert.equal(rc.state, "probe");
  assert.equal(rc.bottleneckRate, 1_000_000);
  return rounds.map((r) => {
    feed(r.delivered, r.sent, r.low);
    return rc.bottleneckRate;
  });
}

Deno.test("rate control: random loss without a queue holds the estimate at the send rate; with a queue it falls", () => {
  // 20 % of each round lost, no queue: the link carried all we sent, the estimate holds
  const free = lossyRounds(Array(12).fill({ sent: 100_000, delivered: 80_000, low: 100 }));
  assert.ok(free.every((b) => b === 1_000_000), `estimates ${free}`);
  // the same deliveries with a standing queue (lowest RTT 100 → 160 ms): the filter forgets
  // the old rate and falls to what the link delivers
  const queued = lossyRounds(Array(12).fill({ sent: 100_000, delivered: 80_000, low: 160 }));
  assert.equal(queued.at(-1), 800_000);
  // sending less than the estimate (an idle spell) never lifts it above the delivery rate
  const slow = lossyRounds(Array(12).fill({ sent: 50_000, delivered: 50_000, low: 100 }));
  assert.equal(slow.at(-1), 500_000);
});

Deno.test("rate control: startup does not take up to three flat rounds without a queue for a plateau", () => {
  /** States after each 100 ms round delivering 100 kB (flat) with lowest RTT `low`. */
  const states = (low: number, rounds: number): string[] => {
    const rc = new RateController(1322);
    let now = 0, delivered = 0;
    rc.update(0, { delivered: 0, rtt: 100, inflight: 10, sent: 0, lowRtt: 100 });
    const out: string[] = [];
    for (let i = 0; i < rounds; i++) {
      now += 100;
      delivered += 100_000;
      // the first round sets the baseline of 100 ms; `low` applies from the second on
      const l = i === 0 ? 100 : low;
      rc.update(now, { delivered, rtt: l, inflight: 10, sent: delivered, lowRtt: l });
      out.push(rc.state);
    }
    return out;
  };
  // a queue (lowest RTT 100 → 160 ms): the link is full, three flat rounds end startup
  assert.deepEqual(states(160, 6), ["startup", "startup", "startup", "drain", "probe", "probe"]);
  // no queue: loss bursts, not the link, held delivery flat; three more rounds, then it ends
  // all the same (a path that never queues must leave startup too)
  assert.deepEqual(states(100, 9), [
    "startup",
    "startup",
    "startup",
    "startup",
    "startup",
    "startup",
    "drain",
    "probe",
    "probe",
  ]);
});

Deno.test("rate control: the window never drops below its floor", () => {
  const rc = new RateController(1322);
  rc.update(0, { delivered: 0, rtt: 10, inflight: 1 });
  rc.update(10, { delivered: 100, rtt: 10, inflight: 1 });
  assert.equal(rc.window(), MIN_WINDOW);
  assert.throws(() => new RateController(0), /Segment size must be > 0, got 0/);
});

Deno.test("kcp pacing: new data leaves at the pacing rate, check() wakes for the next slice", () => {
  const sent: number[] = [];
  let now = 0;
  const kcp = new Kcp(1, (_b, size) => sent.push(size), {});
  kcp.setWindowSize(1024, 1024);
  kcp.setNoDelay(0, 30, 2, 1);
  kcp.pacingRate = 140_000; // ≈ 100 segments/s of 1400 B
  kcp.send(new Uint8Array(1376 * 200));
  let bytes = 0;
  for (now = 0; now <= 1000;) {
    kcp.update(now);
    const next = kcp.check(now);
    now = next > now ? next : now + 1;
  }
  for (const s of sent) bytes += s;
  // one second at 140 kB/s plus the 4 ms/2-segment burst allowance, never the whole window
  assert.ok(bytes > 120_000 && bytes < 150_000, `sent ${bytes} bytes`);
  assert.throws(() => kcp.pacingRate = -1, /Pacing rate must be a finite number ≥ 0, got -1/);
});

Deno.test("kcp pacing: a retransmission spends its own size of the budget, not a full segment", () => {
  // a sender of small frames (ACK-side smux window updates) whose frames go unanswered
  let now = 0;
  const kcp = new Kcp(1, () => {}, {});
  kcp.setWindowSize(128, 128);
  kcp.setNoDelay(0, 30, 2, 1);
  kcp.pacingRate = 2_000; // 2 kB/s
  for (let i = 0; i < 10; i++) kcp.send(new Uint8Array(20));
  for (; now < 1000; now += 10) kcp.update(now);
  // the 10 went out and were all resent twice: 20 × 44 B = 880 B of the 5.6 kB allowance,
  // where 20 full segments (1376 B each) would owe 27.5 kB, 14 s at the rate
  assert.equal(kcp.stats.outSegs - kcp.stats.retransSegs, 10);
  assert.equal(kcp.stats.retransSegs, 20);
  kcp.send(new Uint8Array(20));
  const queuedAt = now;
  while (now < 30_000 && kcp.stats.outSegs - kcp.stats.retransSegs < 11) kcp.update(now += 10);
  assert.ok(now - queuedAt <= 100, `the new segment left ${now - queuedAt} ms after it was queued`);
});

Deno.test("rate control: pacing never drops below the window floor per RTT", () => {
  // the side that only sends ACKs and window updates measures its own trickle
  const rc = new RateController(1322);
  steadily(rc, { stepMs: 80, bytes: 40, rtt: 80, inflight: 1, untilMs: 3000 }); // 500 B/s
  assert.ok(rc.bottleneckRate > 0 && rc.bottleneckRate < 1000, String(rc.bottleneckRate));
  // 16 segments of 1322 B per 80 ms
  assert.equal(rc.pacingRate(), MIN_WINDOW * 1322 * 1000 / 80);
  // a short path counts as 25 ms
  const near = new RateController(1000);
  near.update(0, { delivered: 0, rtt: 1, inflight: 1 });
  near.update(5, { delivered: 10, rtt: 1, inflight: 1 });
  assert.equal(near.pacingRate(), MIN_WINDOW * 1000 * 1000 / WINDOW_RTT_FLOOR_MS);
});

/** A saturated sender for `seconds` of virtual time over `profile`; returns the outcome. */
function transfer(profile: string, rateControl: boolean, seconds: number) {
  const prof = parseLinkProfile(profile);
  const up = new LinkDirection(prof, 1);
  const down = new LinkDirection(prof, 2);
  const pass = deriveKey("rate");
  const rnd = new Prng(3);
  const crypt = () => createPacketCrypt("none", pass, (b) => rnd.fill(b));
  let now = 1000;
  const a = new KcpSession(
    { conv: 1, crypt: crypt(), sndwnd: 1024, rcvwnd: 1024, rateControl },
    (b, n) => void up.send(b.subarray(0, n), now),
    now,
  );
  const b = new KcpSession(
    { conv: 1, crypt: crypt(), sndwnd: 1024, rcvwnd: 1024, rateControl },
    (p, n) => void down.send(p.subarray(0, n), now),
    now,
  );
  const chunk = new Uint8Array(64 * 1024);
  const rx = new Uint8Array(65536);
  let got = 0;
  let na = now;
  let nb = now;
  const end = now + seconds * 1000;
  while (now < end) {
    while (a.canSend()) a.send(chunk, now);
    a.flush(now);
    if (now >= na) na = a.update(now);
    if (now >= nb) nb = b.update(now);
    up.deliver(now, (p) => b.input(p, p.length, now));
    down.deliver(now, (p) => a.input(p, p.length, now));
    for (let n = b.recv(rx); n > 0; n = b.recv(rx)) got += n;
    now = Math.max(now + 1, Math.ceil(Math.min(na, nb, up.nextDelivery(), down.nextDelivery())));
  }
  return {
    mbps: got * 8 / seconds / 1e6,
    queueDrops: up.stats.queueDrops,
    retrans: a.snmp.RetransSegs,
  };
}

Deno.test("rate control over a 10 Mbit/s bottleneck: far fewer queue drops, more goodput than kcp-go's bursts", () => {
  const plain = transfer("jitter-10m-120ms-5pct", false, 15);
  const paced = transfer("jitter-10m-120ms-5pct", true, 15);
  assert.ok(paced.queueDrops * 10 < plain.queueDrops, JSON.stringify({ plain, paced }));
  assert.ok(paced.retrans * 5 < plain.retrans, JSON.stringify({ plain, paced }));
  assert.ok(paced.mbps > 1.5 * plain.mbps, JSON.stringify({ plain, paced }));
});

Deno.test("rate control: the window is sized for an RTT of at least 25 ms", () => {
  // a loopback path: RTT samples near 1 ms, ACKs every 5 ms
  const rc = new RateController(1000);
  steadily(rc, { stepMs: 5, bytes: 50_000, rtt: 1, inflight: 100, untilMs: 200 }); // 10 MB/s
  assert.equal(rc.minRtt, 1);
  assert.equal(rc.bottleneckRate, 10_000_000);
  assert.equal(WINDOW_RTT_FLOOR_MS, 25);
  assert.equal(rc.state, "probe");
  // 1.5 × 10 MB/s × 25 ms / 1000 B: 37.5 ms of data in flight
  assert.equal(rc.window(), 375);
});

/** A probing controller on a 20 ms path at 10 MB/s whose ACKs arrive every `gapMs`. */
function ackedEvery(gapMs: number): RateController {
  const rc = new RateController(1000);
  let delivered = 0;
  rc.update(0, { delivered, rtt: 20, inflight: 100 });
  for (let t = gapMs; t <= 2000; t += gapMs) {
    delivered += 10_000 * gapMs;
    rc.update(t, { delivered, rtt: 20, inflight: 100 });
    // the other datagrams of the batch, same millisecond: one arrival
    rc.update(t, { delivered: delivered + 1, rtt: 20, inflight: 100 });
    delivered++;
  }
  assert.equal(rc.state, "probe");
  return rc;
}

Deno.test("rate control: the window covers the minimum RTT plus the peer's ACK gap", () => {
  assert.equal(ACK_GAP_WINDOW_GAIN, 1.15);
  // ACKs every 5 ms (ours): 1.15 × (20 + 5) ms is less than 1.5 × the 25 ms floor, which
  // rules: 375 segments of 1000 B
  const often = ackedEvery(5);
  assert.ok(Math.abs(often.bottleneckRate - 10_000_000) < 1000, String(often.bottleneckRate));
  assert.equal(often.window(), Math.ceil(often.bottleneckRate * 37.5 / 1000 / 1000));
  // a kcp-go receiver's batch every 30 ms: 1.15 × (20 + 30) ms = 57.5 ms in flight
  const batched = ackedEvery(30);
  assert.ok(Math.abs(batched.bottleneckRate - 10_000_000) < 1000, String(batched.bottleneckRate));
  assert.equal(batched.window(), Math.ceil(batched.bottleneckRate * (1.15 * 50) / 1000 / 1000));
});

Deno.test("rate control: rescale moves the estimate, pacing and window by the factor; bad factors are refused", () => {
  const rc = new RateController(1000);
  const round = roundsOf(rc);
  for (let i = 0; i < 8; i++) round(300_000);
  assert.equal(rc.state, "probe");
  assert.equal(rc.bottleneckRate, 3_000_000);
  const pacing = rc.pacingRate();
  // FEC 10/1 -> 10/3: the link carries 11/13 as much data
  const f = 11 / 13;
  rc.rescale(f);
  assert.equal(rc.bottleneckRate, 3_000_000 * f);
  assert.equal(rc.pacingRate(), pacing * f);
  // one ACK per 100 ms round: 1.15 × (100 + 100) ms of the new rate
  assert.equal(rc.window(), Math.ceil(3_000_000 * f * (1.15 * 200) / 1000 / 1000));
  // every filter sample moved too: rounds at the new rate keep the estimate where it is
  round(300_000 * f);
  round(300_000 * f);
  assert.ok(Math.abs(rc.bottleneckRate - 3_000_000 * f) < 1e-6, String(rc.bottleneckRate));
  for (const bad of [0, -1, NaN, Infinity]) {
    assert.throws(() => rc.rescale(bad), RangeError);
  }
  assert.ok(Math.abs(rc.bottleneckRate - 3_000_000 * f) < 1e-6, String(rc.bottleneckRate));
});

Deno.test("kcp pacing: a slice holds an eighth of the RTT at the rate, within 4..32 segments", () => {
  /**
   * The most bytes a paced sender emits in one millisecond (past its first second), over a
   * path of `oneWayMs` each way whose receiver acknowledges every `ackMs`.
   */
  const medianSlice = (oneWayMs: number, ackMs: number): { slice: number; srtt: number } => {
    let now = 0;
    const toB: [number, Uint8Array][] = [];
    const toA: [number, Uint8Array][] = [];
    let burst = 0;
    const a = new Kcp(1, (buf, size) => {
      toB.push([now + oneWayMs, buf.slice(0, size)]);
      burst += size;
    }, {});
    const b = new Kcp(1, (buf, size) => toA.push([now + oneWayMs, buf.slice(0, size)]), {});
    for (const k of [a, b]) k.setWindowSize(4096, 4096);
    // the sender's own flush interval is long, so what it sends are pacing slices: on its timer
    // once a slice's budget has built up, or less on an ACK that comes sooner
    a.setNoDelay(0, 100, 2, 1);
    b.setNoDelay(0, ackMs, 2, 1);
    a.pacingRate = 1_400_000;
    const sink = new Uint8Array(1 << 20);
    const bursts: number[] = [];
    for (; now < 3000; now++) {
      burst = 0;
      if (a.waitSnd() < 2048) a.send(new Uint8Array(1376 * 64));
      while (toB.length > 0 && toB[0][0] <= now) b.input(toB.shift()![1], true, now);
      while (toA.length > 0 && toA[0][0] <= now) a.input(toA.shift()![1], true, now);
      while (b.recv(sink) > 0) { /* drain */ }
      a.update(now);
      b.update(now);
      if (now >= 1000 && burst > 0) bursts.push(burst);
    }
    return { slice: Math.max(...bursts), srtt: a.srtt };
  };
  const seg = 1400; // mss 1376 + 24-byte header
  // about 100 ms RTT: 1.4 MB/s × srtt/8 ≈ 12 segments per wake-up
  const mid = medianSlice(40, 30);
  assert.ok(mid.srtt >= 80 && mid.srtt < 120, `srtt ${mid.srtt}`);
  const expected = Math.floor((1_400_000 * mid.srtt) / 8 / 1000 / seg) * seg;
  assert.ok(Math.abs(mid.slice - expected) <= seg, `slice ${mid.slice}, srtt ${mid.srtt}`);
  // 10 ms RTT: an eighth is 1.75 kB, so the 4-segment floor holds
  assert.equal(medianSlice(5, 10).slice, 4 * seg);
  // 400 ms RTT: 70 kB would be an eighth; 32 segments at most
  const far = medianSlice(200, 30);
  assert.equal(far.slice, 32 * seg, `srtt ${far.srtt}, slice ${far.slice}`);
});
