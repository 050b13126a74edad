/**
 * Named link profiles. Every profile describes ONE direction; use it for both directions to get
 * a symmetric link (the round-trip time in the name is twice the one-way `delayMs`).
 *
 * @module
 */

import type { LinkProfile } from "./link.ts";

/**
 * Named {@linkcode LinkProfile}s for the lab, the relay and benchmarks. Each is one direction;
 * the RTT in the name assumes the same profile is used both ways.
 *
 * - `loopback` — a perfect link: no loss, no delay, no rate limit.
 * - `clean-100m-20ms` — 100 Mbit/s bottleneck, 10 ms one way (20 ms RTT), no loss.
 * - `lossy-50m-40ms-2pct` — 50 Mbit/s, 20 ms one way (40 ms RTT), 2 % independent loss.
 * - `bursty-20m-80ms-10pct` — 20 Mbit/s, 40 ms one way (80 ms RTT), Gilbert–Elliott loss:
 *   good→bad 1/30, bad→good 0.3, all packets lost in the bad state and none in the good state,
 *   so bursts average 1/0.3 ≈ 3.3 packets and the mean loss is (1/30) / (1/30 + 0.3) = 10 %.
 * - `jitter-10m-120ms-5pct` — 10 Mbit/s, 60 ms ± 20 ms one way (120 ms RTT), 5 % loss; the
 *   jitter keeps FIFO order.
 * - `chaos-10m-60ms` — 10 Mbit/s, 30 ms ± 5 ms one way, 5 % loss, 5 % of packets reordered by an
 *   extra 15 ms, 2 % duplicated: a stress profile for protocol tests.
 *
 * Queue sizes use the {@linkcode LinkProfile.queueBytes} default (50 ms at the rate, ≥ 64 KiB).
 *
 * @example
 * ```ts
 * import { LINK_PROFILES } from "./link.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(LINK_PROFILES["clean-100m-20ms"].delayMs, 10);
 * assert.deepEqual(LINK_PROFILES.loopback, {});
 * ```
 */
export const LINK_PROFILES: Readonly<Record<string, LinkProfile>> = Object.freeze({
  "loopback": Object.freeze({}),
  "clean-100m-20ms": Object.freeze({ rateBps: 100_000_000, delayMs: 10 }),
  "lossy-50m-40ms-2pct": Object.freeze({ rateBps: 50_000_000, delayMs: 20, loss: 0.02 }),
  "bursty-20m-80ms-10pct": Object.freeze({
    rateBps: 20_000_000,
    delayMs: 40,
    burst: Object.freeze({ pGoodToBad: 1 / 30, pBadToGood: 0.3, lossGood: 0, lossBad: 1 }),
  }),
  "jitter-10m-120ms-5pct": Object.freeze({
    rateBps: 10_000_000,
    delayMs: 60,
    jitterMs: 20,
    loss: 0.05,
  }),
  "chaos-10m-60ms": Object.freeze({
    rateBps: 10_000_000,
    delayMs: 30,
    jitterMs: 5,
    loss: 0.05,
    reorder: 0.05,
    reorderDelayMs: 15,
    duplicate: 0.02,
  }),
});
