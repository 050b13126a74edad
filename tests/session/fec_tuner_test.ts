import assert from "node:assert/strict";
import {
  CLEAN_WINDOWS,
  FecTuner,
  type FecTunerInput,
  TUNER_WINDOW_MS,
} from "../../lib/session/fec_tuner.ts";
import { KcpSession } from "../../lib/session/kcp_session.ts";
import { createPacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { deriveKey } from "../../lib/crypt/kdf.ts";
import { fecType } from "../../lib/fec/fec.ts";
import { LinkDirection } from "../../lib/link/link.ts";
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

Deno.test("fec tuner: probes without FEC after clean windows, back on at the first lossy one", () => {
  const clean = { deliveredSegments: 1000 };
  const lossy = { deliveredSegments: 1000, retransmitted: 20 }; // 2 %
  const t = new FecTuner();
  const states = windows(t, [
    ...Array(CLEAN_WINDOWS).fill(clean), // third clean window: off
    clean,
    lossy, // the probe failed: on, next probe waits 2× as long
    ...Array(2 * CLEAN_WINDOWS).fill(clean), // off again only after 6 clean windows
  ]);
  assert.deepEqual(states, [true, true, false, false, true, true, true, true, true, true, false]);
});

Deno.test("fec tuner: parity steps down one shard per probe and settles where residual loss is mild", () => {
  const clean = { deliveredSegments: 1000 };
  const mild = { deliveredSegments: 1000, retransmitted: 3 }; // 0.3 %: retransmission copes
  const lossy = { deliveredSegments: 1000, retransmitted: 20 }; // 2 %
  const t = new FecTuner(3);
  assert.equal(t.parity, 3);
  const steps = levels(t, [
    ...Array(CLEAN_WINDOWS).fill(clean), // 3 → 2
    ...Array(CLEAN_WINDOWS).fill(clean), // 2 → 1
    ...Array(CLEAN_WINDOWS).fill(mild), // 1 stays: neither clean nor lossy
    lossy, // a lossy window: one shard back, next probe waits 2×
    ...Array(2 * CLEAN_WINDOWS).fill(clean), // 2 → 1 only after 6 clean windows
  ]);
  assert.deepEqual(steps, [3, 3, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 1]);
  assert.throws(() => new FecTuner(0), new RangeError("Parity shards must be 1..255, got 0"));
  // 2 % raw loss that FEC repairs (the peer's seqid gaps show it, our retransmissions do not):
  // parity steps down to one shard and keeps it
  const g = new FecTuner(3);
  const repaired = { fecReceived: 980, fecSpan: 1000, deliveredSegments: 1000 };
  assert.deepEqual(levels(g, Array(4 * CLEAN_WINDOWS).fill(repaired)).slice(-1), [1]);
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

Deno.test("adaptive FEC end to end: off on a clean link, on when loss starts, every byte delivered", () => {
  const pass = deriveKey("tuner");
  const rnd = new Prng(5);
  const crypt = () => createPacketCrypt("aes", pass, (b) => rnd.fill(b));
  let loss = 0;
  const prng = new Prng(9);
  const clean = { delayMs: 10, rateBps: 8_000_000 };
  const up = new LinkDirection(clean, 1);
  const down = new LinkDirection(clean, 2);
  let now = 1000;
  let fecPackets = 0;
  let plainPackets = 0;
  const opts = { conv: 7, adaptiveFec: true, rateControl: true, sndwnd: 256, rcvwnd: 256 };
  const a = new KcpSession({ ...opts, crypt: crypt() }, (b, n) => {
    if (loss > 0 && prng.float() < loss) return;
    up.send(b.subarray(0, n), now);
  }, now);
  const b = new KcpSession(
    { ...opts, crypt: crypt() },
    (p, n) => void down.send(p.subarray(0, n), now),
    now,
  );
  const observer = crypt();
  const data = new Uint8Array(14_000_000);
  rnd.fill(data);
  let sent = 0;
  const received: Uint8Array[] = [];
  const rx = new Uint8Array(65536);
  let na = now;
  let nb = now;
  const phases: number[] = [];
  let got = 0;
  let sending = true;
  // clean for 12 s (parity 3 → 0, one shard per 3 clean windows), 3 % loss until 16 s, then
  // (phase 3) no new data: drain what is in flight
  for (const [until, lossRate] of [[12000, 0], [16000, 0.03], [46000, 0]] as const) {
    loss = lossRate;
    sending = until !== 46000;
    while (now < 1000 + until && (sending || got < sent)) {
      while (sending && sent < data.length && a.canSend()) {
        const n = Math.min(65536, data.length - sent);
        a.send(data.subarray(sent, sent + n), now);
        sent += n;
      }
      a.flush(now);
      if (now >= na) na = a.update(now);
      if (now >= nb) nb = b.update(now);
      up.deliver(now, (p) => {
        const c = p.slice();
        const m = observer.open(c, c.length);
        if (fecType(c, observer.headerSize, m) === 0) plainPackets++;
        else fecPackets++;
        b.input(p, p.length, now);
      });
      down.deliver(now, (p) => a.input(p, p.length, now));
      for (let n = b.recv(rx); n > 0; n = b.recv(rx)) {
        received.push(rx.slice(0, n));
        got += n;
      }
      now = Math.max(now + 1, Math.ceil(Math.min(na, nb, up.nextDelivery(), down.nextDelivery())));
    }
    phases.push(a.fecParity);
  }
  assert.equal(phases[0], 0, "off while clean");
  assert.ok(phases[1] >= 1, `back on under 3 % loss, parity ${phases[1]}`);
  assert.ok(plainPackets > 0 && fecPackets > 0);
  const all = concat(received);
  assert.equal(all.length, sent);
  assert.equal(sha256(all), sha256(data.subarray(0, sent)));
});
