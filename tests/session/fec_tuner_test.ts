import assert from "node:assert/strict";
import {
  BULK_EXIT_IDLE_SHARE,
  BULK_IDLE_SHARE,
  BULK_PACED_SHARE,
  BULK_WINDOWS,
  CLEAN_WINDOWS,
  FecTuner,
  type FecTunerInput,
  MIN_LOSSES,
  MIN_STREAK,
  MODEST_LOSS,
  TUNER_WINDOW_MS,
} from "../../lib/session/fec_tuner.ts";
import { KcpSession } from "../../lib/session/kcp_session.ts";
import { createPacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { deriveKey } from "../../lib/crypt/kdf.ts";
import { fecType } from "../../lib/fec/fec.ts";
import { LinkDirection, type LinkProfile } from "../../lib/link/link.ts";
import { Prng } from "../../lib/link/prng.ts";
import { concat, sha256 } from "../_helpers/bytes.ts";

function levels(t: FecTuner, steps: Partial<FecTunerInput>[]): number[] {
  const acc: FecTunerInput = {
    fecReceived: 0,
    fecSpan: 0,
    retransmitted: 0,
    deliveredSegments: 0,
    paceLimitedMs: 0,
    idleMs: 0,
  };
  let now = 0;
  t.update(now, acc);
  return steps.map((d) => {
    acc.fecReceived += d.fecReceived ?? 0;
    acc.fecSpan += d.fecSpan ?? 0;
    acc.retransmitted += d.retransmitted ?? 0;
    acc.deliveredSegments += d.deliveredSegments ?? 0;
    acc.paceLimitedMs += d.paceLimitedMs ?? 0;
    acc.idleMs += d.idleMs ?? 0;
    now += TUNER_WINDOW_MS;
    t.update(now, acc);
    return t.parity;
  });
}

function windows(t: FecTuner, steps: Partial<FecTunerInput>[]): boolean[] {
  return levels(t, steps).map((p) => p > 0);
}

Deno.test("fec tuner: on a clean path parity goes off after a clean streak, back at the first lossy window", () => {
  const clean = { fecReceived: 1000, fecSpan: 1000, deliveredSegments: 1000 };
  const lossy = { ...clean, retransmitted: 50 }; // 5 %
  const t = new FecTuner(3);
  const steps = levels(t, [
    ...Array(CLEAN_WINDOWS).fill(clean), // a clean streak: off
    clean,
    lossy, // the probe failed: all parity back, the next probe waits 2× as long
    ...Array(2 * CLEAN_WINDOWS).fill(clean), // off again only after 4 clean windows
  ]);
  assert.deepEqual(steps, [3, 0, 0, 3, 3, 3, 3, 0]);
  // raw loss below MODEST_LOSS brings one parity packet back, a second lossy window the next
  const modest = { ...clean, retransmitted: Math.floor(MODEST_LOSS * 1000) - 1 }; // 2.9 %
  const m = new FecTuner(3);
  const back = levels(m, [...Array(CLEAN_WINDOWS).fill(clean), modest, modest, clean]);
  assert.deepEqual(back, [3, 0, 1, 2, 2]);
  // the reverse path's gaps count as raw loss too: 5 % of the peer's packets missing
  const r = new FecTuner(3);
  const gaps = { fecReceived: 950, fecSpan: 1000, deliveredSegments: 1000 };
  assert.deepEqual(levels(r, [...Array(CLEAN_WINDOWS).fill(clean), gaps]), [3, 0, 3]);
  // a peer whose packets carry no FEC shows nothing of the reverse path: never to none
  const quiet = new FecTuner(3);
  const unseen = levels(quiet, Array(4 * CLEAN_WINDOWS).fill({ deliveredSegments: 1000 }));
  assert.deepEqual(unseen, [3, 2, 2, 1, 1, 1, 1, 1]);
});

Deno.test("fec tuner: with loss on the path parity steps down one at a time and settles where residual loss is mild", () => {
  // 2 % raw loss that FEC repairs: the peer's seqid gaps show it, our retransmissions do not
  const repaired = { fecReceived: 980, fecSpan: 1000, deliveredSegments: 1000 };
  const mild = { ...repaired, retransmitted: 5 }; // 0.5 %: retransmission copes
  const lossy = { ...repaired, retransmitted: 20 }; // 2 %
  const t = new FecTuner(3);
  assert.equal(t.parity, 3);
  const steps = levels(t, [
    ...Array(CLEAN_WINDOWS).fill(repaired), // 3 → 2
    ...Array(CLEAN_WINDOWS).fill(repaired), // 2 → 1
    ...Array(CLEAN_WINDOWS).fill(repaired), // 1 stays: the path is lossy, never to none
    ...Array(CLEAN_WINDOWS).fill(mild), // 1 stays: neither clean nor lossy
    lossy, // a lone lossy window (a queue overflow, noise): 1 stays
    repaired,
    lossy,
    lossy, // loss that lasts: one shard back, the next probe waits 2×
    ...Array(2 * CLEAN_WINDOWS).fill(repaired), // 2 → 1 only after 4 clean windows
  ]);
  assert.deepEqual(steps, [3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1]);
  assert.throws(() => new FecTuner(0), new RangeError("Parity shards must be 1..255, got 0"));
});

Deno.test("fec tuner: a few losses are noise, and a streak needs enough segments", () => {
  // 6 retransmissions of 500 (1.2 %) are fewer than MIN_LOSSES: no step up
  const t = new FecTuner(3);
  const thin = { fecReceived: 490, fecSpan: 500, deliveredSegments: 500 };
  const noisy = { ...thin, retransmitted: MIN_LOSSES - 2 };
  assert.ok(MIN_STREAK > CLEAN_WINDOWS * 500);
  // windows of 500 segments: the first step waits for MIN_STREAK segments, not CLEAN_WINDOWS
  const steps = levels(t, [...Array(MIN_STREAK / 500).fill(thin), noisy]);
  assert.deepEqual(steps, [...Array(MIN_STREAK / 500 - 1).fill(3), 2, 2]);
  // the same count of retransmissions is evidence once there are MIN_LOSSES
  const u = new FecTuner(3);
  const lossy = { ...thin, retransmitted: MIN_LOSSES }; // 1.6 %
  const back = levels(u, [...Array(MIN_STREAK / 500).fill(thin), lossy, lossy]);
  assert.deepEqual(back, [...Array(MIN_STREAK / 500 - 1).fill(3), 2, 2, 3]);
  // a window without data of ours between two lossy ones: the loss did not last
  const v = new FecTuner(3);
  const idle = { fecReceived: 500, fecSpan: 500 };
  const gap = levels(v, [...Array(MIN_STREAK / 500).fill(thin), lossy, idle, lossy, lossy]);
  assert.deepEqual(gap, [...Array(MIN_STREAK / 500 - 1).fill(3), 2, 2, 2, 2, 3]);
});

Deno.test("fec tuner: the peer's seqid gaps, idle sessions and thin windows keep FEC on", () => {
  // 2 % seqid gaps on the reverse path: never clean
  const u = new FecTuner();
  const gaps = { fecReceived: 980, fecSpan: 1000, deliveredSegments: 1000 };
  assert.ok(windows(u, Array(10).fill(gaps)).every((s) => s));
  // no data of ours flowing: nothing to decide
  const v = new FecTuner();
  assert.ok(windows(v, Array(10).fill({ fecReceived: 500, fecSpan: 500 })).every((s) => s));
  // too few samples: a window stays open until it has enough (two closed, clean, still on)
  const w = new FecTuner();
  assert.ok(windows(w, Array(4).fill({ deliveredSegments: 50 })).every((s) => s));
});

Deno.test("fec tuner: a bulk transfer sends no parity, whatever the loss, and the level comes back after it", () => {
  const W = TUNER_WINDOW_MS;
  // 5 % retransmitted, the peer's packets 5 % short: a lossy link
  const lossy = { fecReceived: 950, fecSpan: 1000, deliveredSegments: 1000, retransmitted: 50 };
  const bulk = { ...lossy, paceLimitedMs: W }; // paced all the time, never idle
  const drained = { ...lossy, idleMs: Math.ceil(BULK_EXIT_IDLE_SHARE * W) }; // the app ran dry
  const t = new FecTuner(3);
  const steps = levels(t, [
    ...Array(BULK_WINDOWS).fill(bulk), // bulk: off
    ...Array(6).fill(bulk), // loss does not bring it back while the transfer lasts
    { ...bulk, idleMs: Math.ceil(BULK_EXIT_IDLE_SHARE * W) - 1 }, // a moment idle: still bulk
    drained, // over: the level from before
  ]);
  assert.deepEqual(steps, [...Array(BULK_WINDOWS - 1).fill(3), ...Array(8).fill(0), 3]);
  assert.equal(t.bulk, false);
  // saturated windows must follow each other
  const u = new FecTuner(3);
  const broken = [...Array(BULK_WINDOWS - 1).fill(bulk), drained];
  assert.deepEqual(levels(u, [...broken, ...broken]), Array(2 * BULK_WINDOWS).fill(3));
  // saturated means never idle for BULK_IDLE_SHARE and paced for BULK_PACED_SHARE of the window
  const idle = { ...bulk, idleMs: Math.ceil(BULK_IDLE_SHARE * W) };
  const windowLimited = { ...lossy, paceLimitedMs: Math.floor(BULK_PACED_SHARE * W) - 1 };
  for (const w of [idle, windowLimited]) {
    const v = new FecTuner(3);
    const n = BULK_WINDOWS + 2;
    assert.deepEqual(levels(v, Array(n).fill(w)), Array(n).fill(3), JSON.stringify(w));
  }
  // a transfer that starts on a clean link (parity already off) changes nothing, before or after
  const clean = { fecReceived: 1000, fecSpan: 1000, deliveredSegments: 1000 };
  const c = new FecTuner(3);
  const cleanSteps = levels(c, [
    ...Array(CLEAN_WINDOWS).fill(clean),
    ...Array(BULK_WINDOWS).fill({ ...clean, paceLimitedMs: W }),
    { ...clean, idleMs: W },
  ]);
  const cleanOff = [...Array(CLEAN_WINDOWS - 1).fill(3), ...Array(BULK_WINDOWS + 2).fill(0)];
  assert.deepEqual(cleanSteps, cleanOff);
  assert.equal(c.bulk, false);
});

/**
 * Two adaptive-FEC sessions over emulated links, `a` sending `data` to `b`, advanced one event
 * at a time on a virtual clock. `drop` may discard a datagram of `a` before its link, `seen`
 * looks at each one `b` receives.
 */
class Pair {
  now = 1000;
  sent = 0;
  got = 0;
  readonly received: Uint8Array[] = [];
  /** Each change of `a`'s parity, with its rate estimate just before and after. */
  readonly parityChanges: { from: number; to: number; rate: number; after: number }[] = [];
  readonly a: KcpSession;
  readonly b: KcpSession;
  readonly #up: LinkDirection;
  readonly #down: LinkDirection;
  readonly #rx = new Uint8Array(65536);
  readonly #seen: ((p: Uint8Array) => void) | undefined;
  /** The application's rate (bits/s) when it, not the link, limits `a`; 0 = as fast as it can. */
  readonly #appBps: number;
  readonly #start = this.now;
  #na = this.now;
  #nb = this.now;

  constructor(
    readonly data: Uint8Array,
    link: LinkProfile,
    seed: number,
    hooks: { drop?: () => boolean; seen?: (p: Uint8Array) => void; appBps?: number } = {},
  ) {
    this.#appBps = hooks.appBps ?? 0;
    const rnd = new Prng(seed);
    rnd.fill(data);
    const pass = deriveKey("tuner");
    const crypt = () => createPacketCrypt("aes", pass, (b) => rnd.fill(b));
    this.#up = new LinkDirection(link, seed * 2);
    this.#down = new LinkDirection(link, seed * 2 + 1);
    const opts = { conv: seed, adaptiveFec: true, rateControl: true, sndwnd: 512, rcvwnd: 512 };
    this.a = new KcpSession({ ...opts, crypt: crypt() }, (p, n) => {
      if (hooks.drop?.()) return;
      this.#up.send(p.subarray(0, n), this.now);
    }, this.now);
    this.b = new KcpSession(
      { ...opts, crypt: crypt() },
      (p, n) => void this.#down.send(p.subarray(0, n), this.now),
      this.now,
    );
    this.#seen = hooks.seen;
  }

  /** One event: `a` takes what it can of `data` (while `sending`), then timers and links run. */
  step(sending = true): void {
    const { a, b, data, now } = this;
    const budget = this.#appBps > 0
      ? Math.floor((now - this.#start) * this.#appBps / 8000)
      : data.length;
    while (sending && this.sent < Math.min(data.length, budget) && a.canSend()) {
      const n = Math.min(65536, Math.min(data.length, budget) - this.sent);
      a.send(data.subarray(this.sent, this.sent + n), now);
      this.sent += n;
    }
    a.flush(now);
    if (now >= this.#na) {
      const [parity, rate] = [a.fecParity, a.rateController!.bottleneckRate];
      this.#na = a.update(now);
      if (a.fecParity !== parity) {
        this.parityChanges.push({
          from: parity,
          to: a.fecParity,
          rate,
          after: a.rateController!.bottleneckRate,
        });
      }
    }
    if (now >= this.#nb) this.#nb = b.update(now);
    this.#up.deliver(now, (p) => {
      this.#seen?.(p);
      b.input(p, p.length, now);
    });
    this.#down.deliver(now, (p) => a.input(p, p.length, now));
    for (let n = b.recv(this.#rx); n > 0; n = b.recv(this.#rx)) {
      this.received.push(this.#rx.slice(0, n));
      this.got += n;
    }
    const next = Math.min(this.#na, this.#nb, this.#up.nextDelivery(), this.#down.nextDelivery());
    this.now = Math.max(now + 1, Math.ceil(next));
  }
}

Deno.test("adaptive FEC end to end: off on a clean link, on when loss starts, every byte delivered", () => {
  let loss = 0;
  const prng = new Prng(9);
  const observer = createPacketCrypt("aes", deriveKey("tuner"), () => {});
  let fecPackets = 0;
  let plainPackets = 0;
  const pair = new Pair(new Uint8Array(14_000_000), { delayMs: 10, rateBps: 8_000_000 }, 5, {
    drop: () => loss > 0 && prng.float() < loss,
    seen: (p) => {
      const c = p.slice();
      const m = observer.open(c, c.length);
      if (fecType(c, observer.headerSize, m) === 0) plainPackets++;
      else fecPackets++;
    },
  });
  const phases: number[] = [];
  // clean for 12 s (parity 3 → 0 after a clean streak), 3 % loss until 16 s, then (phase 3)
  // no new data: drain what is in flight
  for (const [until, lossRate] of [[12000, 0], [16000, 0.03], [46000, 0]] as const) {
    loss = lossRate;
    const sending = until !== 46000;
    while (pair.now < 1000 + until && (sending || pair.got < pair.sent)) pair.step(sending);
    phases.push(pair.a.fecParity);
  }
  assert.equal(phases[0], 0, "off while clean");
  assert.ok(phases[1] >= 1, `back on under 3 % loss, parity ${phases[1]}`);
  assert.ok(plainPackets > 0 && fecPackets > 0);
  const all = concat(pair.received);
  assert.equal(all.length, pair.sent);
  assert.equal(sha256(all), sha256(pair.data.subarray(0, pair.sent)));
});

Deno.test("adaptive FEC end to end: 2 % loss both ways, parity steps down with the shape kept, receiver never re-tunes", () => {
  // the application, not the link, sets the pace (12 of 20 Mbit/s): not a bulk transfer
  const pair = new Pair(
    new Uint8Array(24_000_000),
    {
      delayMs: 10,
      rateBps: 20_000_000,
      loss: 0.02,
    },
    6,
    { appBps: 12_000_000 },
  );
  const levels = new Set<number>();
  while (pair.got < pair.data.length && pair.now < 60_000) {
    pair.step();
    levels.add(pair.a.fecParity);
  }
  const { b, data, received } = pair;
  // the reverse path shows the loss: parity never goes off, but it does step down
  assert.ok(!levels.has(0), `levels ${[...levels]}`);
  assert.ok(levels.has(1) || levels.has(2), `levels ${[...levels]}`);
  // each step rescaled the data-rate estimate to the same wire rate: 10 + from : 10 + to
  assert.ok(pair.parityChanges.length > 0);
  for (const c of pair.parityChanges) {
    const want = c.rate * ((10 + c.from) / (10 + c.to));
    assert.ok(Math.abs(c.after - want) < 1e-6 * want, JSON.stringify(c));
  }
  assert.ok(b.snmp.FECRecovered > 100, `recovered ${b.snmp.FECRecovered}`);
  assert.equal(b.snmp.FECErrs, 0);
  assert.equal(b.snmp.KCPInErrors, 0);
  const all = concat(received);
  assert.equal(sha256(all), sha256(data));
});

Deno.test("adaptive FEC end to end: a bulk transfer over 2 % loss goes without parity, which comes back when it ends", () => {
  const observer = createPacketCrypt("aes", deriveKey("tuner"), () => {});
  let fecPackets = 0;
  let plainPackets = 0;
  const pair = new Pair(
    new Uint8Array(16_000_000),
    {
      delayMs: 20,
      rateBps: 20_000_000,
      loss: 0.02,
    },
    7,
    {
      seen: (p) => {
        const c = p.slice();
        const m = observer.open(c, c.length);
        if (fecType(c, observer.headerSize, m) === 0) plainPackets++;
        else fecPackets++;
      },
    },
  );
  const bulkLevels = new Set<number>();
  // as fast as the link takes it
  while (pair.sent < pair.data.length && pair.now < 60_000) {
    pair.step();
    if (pair.now > 4000) bulkLevels.add(pair.a.fecParity);
  }
  assert.deepEqual([...bulkLevels], [0], "no parity once the transfer is bulk");
  // then the application goes quiet: what is in flight drains and parity comes back
  const drainUntil = pair.now + 3000;
  while (pair.now < drainUntil) pair.step(false);
  assert.equal(pair.a.fecParity, 3);
  assert.ok(plainPackets > 5000 && fecPackets > 100, `plain ${plainPackets}, FEC ${fecPackets}`);
  // retransmission repaired the loss; the receiver rebuilt nothing after parity stopped
  assert.ok(pair.a.kcp.stats.retransSegs > 100, `resent ${pair.a.kcp.stats.retransSegs}`);
  assert.equal(pair.b.snmp.FECErrs, 0);
  assert.equal(pair.b.snmp.KCPInErrors, 0);
  const all = concat(pair.received);
  assert.equal(all.length, pair.data.length);
  assert.equal(sha256(all), sha256(pair.data));
});
