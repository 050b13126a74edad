import assert from "node:assert/strict";
import {
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
  const acc: FecTunerInput = { fecReceived: 0, fecSpan: 0, retransmitted: 0, deliveredSegments: 0 };
  let now = 0;
  t.update(now, acc);
  return steps.map((d) => {
    acc.fecReceived += d.fecReceived ?? 0;
    acc.fecSpan += d.fecSpan ?? 0;
    acc.retransmitted += d.retransmitted ?? 0;
    acc.deliveredSegments += d.deliveredSegments ?? 0;
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
  #na = this.now;
  #nb = this.now;

  constructor(
    readonly data: Uint8Array,
    link: LinkProfile,
    seed: number,
    hooks: { drop?: () => boolean; seen?: (p: Uint8Array) => void } = {},
  ) {
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
    while (sending && this.sent < data.length && a.canSend()) {
      const n = Math.min(65536, data.length - this.sent);
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
  const pair = new Pair(new Uint8Array(24_000_000), {
    delayMs: 10,
    rateBps: 20_000_000,
    loss: 0.02,
  }, 6);
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
