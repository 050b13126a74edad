/**
 * Deterministic end-to-end simulations of two Kcp engines over seeded virtual links (see
 * `_sim.ts`): exact delivery (sha-256 and byte count) in both directions at once, windows
 * respected on the wire, congestion control, window probing and junk tolerance.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { CMD_PUSH, CMD_WASK, CMD_WINS, MODE_PRESETS } from "../../lib/kcp/kcp.ts";
import { decodeKcpHeader, encodeKcpHeader, type KcpHeader } from "../../lib/kcp/header.ts";
import type { LinkProfile } from "../../lib/link/link.ts";
import { Prng } from "../../lib/link/prng.ts";
import {
  type EndpointConfig,
  type Sim,
  type SimOptions,
  type SimResult,
  simulate,
} from "./_sim.ts";

const MB = 1_000_000;

/** kcptun defaults, --mode fast: client 128/512, server 1024/1024. */
const CLIENT: EndpointConfig = { ...MODE_PRESETS.fast, sndwnd: 128, rcvwnd: 512 };
const SERVER: EndpointConfig = { ...MODE_PRESETS.fast, sndwnd: 1024, rcvwnd: 1024 };

function assertExact(r: SimResult, label: string): void {
  assert.equal(r.completed, true, `${label}: did not complete in ${r.simMs} ms`);
  for (const [dir, d] of [["a→b", r.ab], ["b→a", r.ba]] as const) {
    assert.equal(d.received, d.sent, `${label} ${dir}: byte count`);
    assert.equal(d.receivedSha256, d.sourceSha256, `${label} ${dir}: sha-256`);
  }
  assert.deepEqual(r.windowViolations, [], `${label}: window violations`);
}

function run(link: LinkProfile, seed: number, extra: Partial<SimOptions> = {}): SimResult {
  return simulate({
    a: CLIENT,
    b: SERVER,
    linkAB: link,
    linkBA: link,
    seed,
    bytesAB: 10 * MB,
    bytesBA: 10 * MB,
    ...extra,
  });
}

const CASES: [string, LinkProfile][] = [
  ["0 % loss", { delayMs: 20, rateBps: 100e6, queueBytes: 4 * MB }],
  ["1 % loss", { delayMs: 20, rateBps: 100e6, queueBytes: 4 * MB, loss: 0.01 }],
  ["10 % loss", { delayMs: 20, rateBps: 50e6, queueBytes: 4 * MB, loss: 0.1 }],
  ["30 % loss", { delayMs: 20, rateBps: 50e6, queueBytes: 4 * MB, loss: 0.3 }],
  [
    "bursty loss",
    { delayMs: 40, rateBps: 20e6, burst: { pGoodToBad: 1 / 30, pBadToGood: 0.3 } },
  ],
  ["reordering", { delayMs: 20, rateBps: 50e6, jitterMs: 5, reorder: 0.2, reorderDelayMs: 15 }],
  ["duplication", { delayMs: 20, rateBps: 50e6, duplicate: 0.2 }],
];

for (const [name, link] of CASES) {
  Deno.test(`kcp sim: 10 MB each way at once, exactly once and in order, ${name}`, () => {
    let sim!: Sim;
    const r = run(link, 101, {
      onStep: (s) => {
        sim = s;
      },
    });
    assertExact(r, name);
    // The windows were used and never exceeded: client sndwnd 128 (server rcvwnd 1024),
    // server sndwnd 1024 capped by the client's rcvwnd 512.
    assert.equal(r.ab.maxInFlight, 128, "a→b in flight");
    assert.ok(r.ba.maxInFlight <= 512 && r.ba.maxInFlight > 256, `b→a ${r.ba.maxInFlight}`);
    const lost = sim.ab.stats.lost + sim.ba.stats.lost + sim.ab.stats.queueDrops +
      sim.ba.stats.queueDrops;
    const retrans = sim.a.kcp.stats.retransSegs + sim.b.kcp.stats.retransSegs;
    if (name === "0 % loss") {
      assert.equal(lost, 0);
      assert.equal(sim.a.kcp.stats.lostSegs + sim.b.kcp.stats.lostSegs, 0);
    } else if (name !== "reordering" && name !== "duplication") {
      assert.ok(lost > 0 && retrans >= lost * 0.5, `lost ${lost} retrans ${retrans}`);
    }
    if (name === "duplication") {
      assert.ok(sim.ab.stats.duplicated > 0);
      assert.ok(sim.b.kcp.stats.repeatSegs > 0, "duplicates were seen and dropped");
    }
    assert.equal(sim.a.kcp.state, 0);
    assert.equal(sim.b.kcp.state, 0);
  });
}

Deno.test("kcp sim: clock and sequence numbers both wrap past 2^32 during a 10 MB exchange", () => {
  const startClock = 2 ** 32 - 500;
  const initialSn = 2 ** 32 - 3000;
  let lastSnA = 0;
  const h: KcpHeader = { conv: 0, cmd: 0, frg: 0, wnd: 0, ts: 0, sn: 0, una: 0, len: 0 };
  let wrappedTs = false;
  const r = run({ delayMs: 20, rateBps: 50e6, loss: 0.05, reorder: 0.05 }, 7, {
    startClock,
    initialSn,
    tap: (from, pkt) => {
      for (let off = 0; decodeKcpHeader(pkt, off, h); off += 24 + h.len) {
        if (h.cmd !== CMD_PUSH) continue;
        if (from === "a") lastSnA = h.sn;
        if (h.ts < 100000) wrappedTs = true;
      }
    },
  });
  assertExact(r, "wrap");
  assert.ok(r.simMs > 500, "the clock passed 2^32");
  assert.equal(wrappedTs, true, "PUSH ts wrapped");
  assert.ok(lastSnA > 3000 && lastSnA < 20000, `sn wrapped: ${lastSnA}`);
});

for (const mode of ["normal", "fast", "fast2", "fast3", "manual"]) {
  Deno.test(`kcp sim: --mode ${mode} delivers 2 MB each way over a chaotic link`, () => {
    // manual = kcptun's individual defaults: nodelay 0, interval 50, resend 0, nc 0.
    const p = MODE_PRESETS[mode] ?? { nodelay: 0, interval: 50, resend: 0, nc: 0 };
    const r = simulate({
      a: { ...CLIENT, ...p },
      b: { ...SERVER, ...p },
      linkAB: {
        delayMs: 30,
        jitterMs: 5,
        rateBps: 10e6,
        loss: 0.05,
        reorder: 0.05,
        reorderDelayMs: 15,
        duplicate: 0.02,
      },
      linkBA: { delayMs: 30, rateBps: 10e6, loss: 0.02 },
      seed: 55,
      bytesAB: 2 * MB,
      bytesBA: 2 * MB,
    });
    assertExact(r, mode);
  });
}

Deno.test("kcp sim: nc=0 congestion window grows and collapses on loss, never exceeded on the wire", () => {
  const cfg: EndpointConfig = {
    nodelay: 0,
    interval: 20,
    resend: 2,
    nc: 0,
    sndwnd: 1024,
    rcvwnd: 1024,
  };
  const cwnds: number[] = [];
  let lossesSeen = 0;
  let cwndAfterLossOne = 0;
  let prevLost = 0;
  const r = simulate({
    a: cfg,
    b: cfg,
    linkAB: { delayMs: 20, rateBps: 20e6, loss: 0.02 },
    linkBA: { delayMs: 20, rateBps: 20e6 },
    seed: 9,
    bytesAB: 3 * MB,
    bytesBA: 64 * 1024,
    onStep: (sim) => {
      const k = sim.a.kcp;
      cwnds.push(k.cwnd);
      if (k.stats.lostSegs > prevLost) {
        lossesSeen++;
        if (k.cwnd === 1) cwndAfterLossOne++;
        prevLost = k.stats.lostSegs;
      }
    },
  });
  assertExact(r, "nc=0");
  const max = Math.max(...cwnds);
  assert.ok(max >= 8, `cwnd grew to ${max}`);
  assert.ok(lossesSeen > 0, "RTO losses happened");
  assert.ok(cwndAfterLossOne > 0, "cwnd collapsed to 1 after an RTO");
  let drops = 0;
  for (let i = 1; i < cwnds.length; i++) if (cwnds[i] < cwnds[i - 1]) drops++;
  assert.ok(drops >= 3, `cwnd shrank ${drops} times`);
  // The congestion window, not the 1024-segment windows, limited the flight.
  assert.ok(r.ab.maxInFlight <= max && r.ab.maxInFlight < 1024, `in flight ${r.ab.maxInFlight}`);
});

for (const probeInit of [500, 7000]) {
  Deno.test(`kcp sim: receiver stops reading → zero window → WASK after ${probeInit} ms → resumes`, () => {
    const sender: EndpointConfig = { ...SERVER, options: { probeInit } };
    const receiver: EndpointConfig = { ...CLIENT, rcvwnd: 64 };
    const pauseTo = probeInit * 2.6 + 1000; // room for two probes (P, then 1.5·P later)
    let zeroAt = -1;
    const wask: number[] = [];
    let wins = 0;
    let winsDuringPause = 0;
    const h: KcpHeader = { conv: 0, cmd: 0, frg: 0, wnd: 0, ts: 0, sn: 0, una: 0, len: 0 };
    const r = simulate({
      a: sender,
      b: receiver,
      linkAB: { delayMs: 20, rateBps: 50e6 },
      linkBA: { delayMs: 20, rateBps: 50e6 },
      seed: 3,
      bytesAB: 2 * MB,
      bytesBA: 1000,
      readPause: { side: "b", fromMs: 100, toMs: pauseTo },
      onStep: (sim, t) => {
        if (zeroAt < 0 && sim.a.kcp.rmtWnd === 0) zeroAt = t;
      },
      tap: (from, pkt, t) => {
        for (let off = 0; decodeKcpHeader(pkt, off, h); off += 24 + h.len) {
          if (from === "a" && h.cmd === CMD_WASK) wask.push(t);
          if (from === "b" && h.cmd === CMD_WINS) {
            wins++;
            if (t < pauseTo) winsDuringPause++;
          }
        }
      },
    });
    assertExact(r, "probe");
    assert.ok(zeroAt > 0 && zeroAt < 1000, `zero window seen at ${zeroAt}`);
    assert.ok(wask.length >= 2, `WASK count ${wask.length}`);
    // The first flush that sees wnd 0 arms the timer; the probe goes out probeInit later (tick granularity).
    const delay = wask[0] - zeroAt;
    assert.ok(delay >= probeInit - 30 && delay <= probeInit + 60, `first WASK after ${delay} ms`);
    // Backoff ×1.5 between the first two probes.
    const gap = wask[1] - wask[0];
    assert.ok(Math.abs(gap - probeInit * 1.5) <= 60, `probe gap ${gap}`);
    assert.ok(winsDuringPause >= wask.filter((t) => t < pauseTo).length - 1, "each WASK answered");
    assert.ok(wins > winsDuringPause, "fast recover WINS after reading resumed");
    assert.ok(r.simMs > pauseTo);
  });
}

Deno.test("kcp sim: big-endian (kcptun-libev byte order) endpoints interoperate", () => {
  const be = { options: { bigEndian: true } };
  let sawBigEndian = false;
  const h: KcpHeader = { conv: 0, cmd: 0, frg: 0, wnd: 0, ts: 0, sn: 0, una: 0, len: 0 };
  const r = simulate({
    a: { ...CLIENT, ...be },
    b: { ...SERVER, ...be },
    linkAB: { delayMs: 10, rateBps: 50e6, loss: 0.05 },
    linkBA: { delayMs: 10, rateBps: 50e6, loss: 0.05 },
    seed: 12,
    bytesAB: 2 * MB,
    bytesBA: 2 * MB,
    conv: 0x11223344,
    tap: (_from, pkt) => {
      if (decodeKcpHeader(pkt, 0, h, true) && h.conv === 0x11223344) sawBigEndian = true;
    },
  });
  assertExact(r, "big-endian");
  assert.equal(sawBigEndian, true);
});

Deno.test("kcp sim: junk packets injected during a transfer are rejected and change nothing", () => {
  const rng = new Prng(77);
  const conv = 0x01020304;
  let injected = 0;
  const statuses = new Set<number>();
  const make = (): Uint8Array => {
    const kind = rng.int(4);
    const len = kind === 0 ? rng.int(24) : 24 + rng.int(1500);
    const junk = new Uint8Array(len);
    for (let i = 0; i < len; i++) junk[i] = rng.next();
    if (kind >= 2 && len >= 24) {
      // Right conv, but the first segment is invalid: bad cmd or a length past the end.
      const h = {
        conv,
        cmd: kind === 2 ? 90 + rng.int(100) : CMD_PUSH,
        frg: 0,
        wnd: rng.int(65536),
        ts: rng.next(),
        sn: rng.next(),
        una: rng.next(),
        len: kind === 3 ? len - 24 + 1 + rng.int(5000) : 0,
      };
      encodeKcpHeader(junk, 0, h);
    } else if (len >= 4 && junk[0] === 4 && junk[1] === 3 && junk[2] === 2 && junk[3] === 1) {
      junk[0] ^= 0xff;
    }
    return junk;
  };
  const r = simulate({
    a: CLIENT,
    b: SERVER,
    linkAB: { delayMs: 20, rateBps: 50e6, loss: 0.02 },
    linkBA: { delayMs: 20, rateBps: 50e6, loss: 0.02 },
    seed: 21,
    bytesAB: 2 * MB,
    bytesBA: 2 * MB,
    conv,
    onStep: (sim, t) => {
      for (const side of [sim.a, sim.b]) {
        for (let i = 0; i < 3; i++) {
          const st = side.kcp.input(make(), rng.int(2) === 0, t);
          assert.ok(st < 0, `junk accepted: ${st}`);
          statuses.add(st);
          injected++;
        }
      }
    },
  });
  assertExact(r, "junk");
  assert.ok(injected > 1000, `injected ${injected}`);
  assert.deepEqual([...statuses].sort(), [-1, -2, -3]);
});

Deno.test("kcp sim: the partial send-buffer scan emits exactly what kcp-go's full scan emits", () => {
  const trace = (forceFullScan: boolean): string => {
    const h = createHash("sha256");
    let packets = 0;
    const r = simulate({
      a: { ...CLIENT, nc: 0 },
      b: SERVER,
      linkAB: { delayMs: 20, jitterMs: 5, rateBps: 20e6, loss: 0.05, reorder: 0.05 },
      linkBA: { delayMs: 20, rateBps: 20e6, loss: 0.03, duplicate: 0.02 },
      seed: 31,
      bytesAB: 2 * MB,
      bytesBA: 2 * MB,
      setup: (sim) => {
        if (!forceFullScan) return;
        for (const k of [sim.a.kcp, sim.b.kcp]) {
          const flush = k.flush.bind(k);
          // Forget the retransmission lower bound before every flush: every flush scans all.
          k.flush = (now: number, ackOnly?: boolean) => {
            (k as unknown as Record<string, boolean>)["hasResend"] = false;
            flush(now, ackOnly);
          };
        }
      },
      tap: (from, pkt, t) => {
        h.update(`${from}${t}:`).update(pkt);
        packets++;
      },
    });
    assertExact(r, forceFullScan ? "full scan" : "partial scan");
    assert.ok(packets > 3000);
    return h.digest("hex");
  };
  assert.equal(trace(false), trace(true));
});
