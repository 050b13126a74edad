/**
 * The most goodput a kcptun tunnel can reach over an emulated link, and what sets that limit:
 * the link itself (its rate, less the bytes that carry headers and FEC parity, less what the
 * link loses) or the KCP window (`window × mss / RTT`). Pure arithmetic; the lab compares what
 * it measured against these numbers and the suggestions start from them.
 *
 * Two behaviours of kcptun-ts (not of Go kcptun) change the limits, and the caller says
 * whether the sending end has them: with rate control the send window is sized from the
 * measured bandwidth-delay product (up to {@linkcode RATE_CONTROL_MAX_WINDOW}), so `--sndwnd`
 * no longer caps it and only the receiver's `--rcvwnd` does; with adaptive FEC the sender stops
 * FEC on a clean link, so neither parity nor the FEC header costs bandwidth there, and on a
 * lossy one it may go down to one parity packet per group.
 *
 * @module
 */

import type { LinkProfile } from "../link/link.ts";

/** KCP's segment header, bytes (ikcp `IKCP_OVERHEAD`). */
export const KCP_HEADER_BYTES = 24;
/** kcp-go's FEC header plus the 2-byte size field, bytes, present when FEC is on. */
export const FEC_HEADER_BYTES = 8;
/**
 * Largest send window kcptun-ts's rate control opens, segments (`RATE_WINDOW_MAX` in
 * `lib/session/kcp_session.ts`).
 */
export const RATE_CONTROL_MAX_WINDOW = 8192;
/** The link emulator's default queue: what the bottleneck drains in this many ms… */
const DEFAULT_QUEUE_DRAIN_MS = 50;
/** …but at least this many bytes (see `LinkProfile.queueBytes`). */
const MIN_DEFAULT_QUEUE_BYTES = 65536;

/** What {@linkcode linkCeiling} needs to know about one direction of a tunnel. */
export interface CeilingInput {
  /** The link the data travels over (client → server for an upload). */
  forward: LinkProfile;
  /** The link the acknowledgements travel back over. */
  reverse: LinkProfile;
  /** kcptun `--mtu`: the largest UDP payload, headers included. */
  mtu: number;
  /** Packet-crypto bytes per datagram: header plus trailer (20 for aes, 28 for aes-128-gcm, 0 for null). */
  cryptOverhead: number;
  /** kcptun `--datashard`. */
  dataShards: number;
  /** kcptun `--parityshard`. */
  parityShards: number;
  /** `--sndwnd` of the sending end, in segments. */
  sndwnd: number;
  /** `--rcvwnd` of the receiving end, in segments. */
  rcvwnd: number;
  /**
   * The sender sizes its window from the measured bandwidth-delay product, not `sndwnd`
   * (kcptun-ts's rate control). @default false (Go kcptun)
   */
  rateControl?: boolean;
  /**
   * The sender turns FEC off while the link loses nothing or a bulk transfer keeps it busy
   * (kcptun-ts's adaptive FEC); the lab and the bench measure bulk transfers, so the ceiling
   * assumes no parity and retransmission for the loss. @default false (Go kcptun)
   */
  adaptiveFec?: boolean;
}

/** What limits goodput: the link, the KCP window, or nothing on the link (the host's CPU). */
export type CeilingLimit = "link" | "window" | "host";

/** The goodput limits of one direction. Rates are in bit/s; `Infinity` means unlimited. */
export interface Ceiling {
  /** The bottleneck rate of the forward link, `Infinity` when it has none. */
  linkBps: number;
  /** Round-trip time of an empty link: forward plus reverse one-way delay, ms. */
  rttMs: number;
  /** Bottleneck queue of the forward link, bytes (its default when not given); 0 without a bottleneck. */
  queueBytes: number;
  /** Mean loss rate of the forward link, 0..1 (Gilbert–Elliott: its stationary mean). */
  loss: number;
  /** The `--mtu` the ceiling was computed for. */
  mtu: number;
  /** Stream bytes per KCP segment: `mtu − crypt − FEC header − 24`. */
  mss: number;
  /**
   * True when the sender sends FEC: configured (both shard counts > 0, sum ≤ 256, as kcp-go
   * decides) and not switched off by adaptive FEC on a loss-free link.
   */
  fec: boolean;
  /** FEC is configured (it may still be off: see `fec`). */
  fecConfigured: boolean;
  /**
   * The sender adapts its parity to the loss it sees (kcptun-ts's adaptive FEC): none on a
   * loss-free link, between one packet per group and `--parityshard` on a lossy one.
   */
  adaptiveFec: boolean;
  /**
   * Parity packets per group in the ceiling: `--parityshard`, 1 with adaptive FEC on a lossy
   * link (the fewest it sends there), 0 while FEC is off.
   */
  parity: number;
  /** Bytes of a full data datagram: `mtu`, or `mtu − 8` while adaptive FEC is off. */
  datagram: number;
  /** The window is sized by rate control (`sndwnd` does not cap it). */
  rateControl: boolean;
  /**
   * Share of the link's bytes that can carry new stream data: `mss / datagram` (the datagram is
   * `mtu`, or `mtu − 8` while adaptive FEC is off) times the share left by loss (`1 − loss`)
   * or, with FEC, by parity (`data / (data + parity)`, with `parity` as above), whichever is
   * smaller.
   */
  payloadShare: number;
  /** `linkBps × payloadShare`: the most the link can deliver as stream data. */
  protocolBps: number;
  /**
   * Segments in flight at most: `min(sndwnd of the sender, rcvwnd of the receiver)`, or with
   * rate control `min(RATE_CONTROL_MAX_WINDOW, rcvwnd)`.
   */
  windowSegments: number;
  /** `windowSegments × mss × 8 / RTT`; `Infinity` on a link without delay. */
  windowBps: number;
  /** `min(protocolBps, windowBps)`. */
  ceilingBps: number;
  /** Which limit `ceilingBps` is. */
  limitedBy: CeilingLimit;
  /**
   * Window in segments that would let the link, not the window, set the limit:
   * `protocolBps × RTT / (8 × mss)`, rounded up; 0 when the link is unlimited or has no delay.
   */
  bdpSegments: number;
}

/** Mean loss rate of a profile: Bernoulli `loss`, or the Gilbert–Elliott chain's stationary mean. */
export function meanLoss(profile: LinkProfile): number {
  const burst = profile.burst;
  if (burst === undefined) return profile.loss ?? 0;
  const total = burst.pGoodToBad + burst.pBadToGood;
  // A chain that never leaves the good state (both 0) loses at the good state's rate.
  const badShare = total === 0 ? 0 : burst.pGoodToBad / total;
  return (1 - badShare) * (burst.lossGood ?? 0) + badShare * (burst.lossBad ?? 1);
}

function checkCount(name: string, value: number, min: number, max: number): void {
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new RangeError(`${name} must be an integer ${min}..${max}, got ${value}`);
  }
}

/**
 * The goodput ceiling of one direction of a tunnel over `forward`/`reverse`.
 *
 * Not modelled (each costs well under 1 %): smux frame headers (8 bytes per frame of up to
 * `--framesize`), snappy chunk headers, ACK segments sharing datagrams with data, and the
 * serialisation time of one packet in the RTT. Queueing in the bottleneck raises the real RTT
 * above `rttMs`, so the window limit is an upper bound too. Adaptive FEC is modelled at its
 * cheapest: off on a loss-free link, one parity packet per group otherwise (the level it probes
 * down to; it settles there when the loss left over is mild).
 *
 * @throws {RangeError} If a size, shard count or window is out of range.
 *
 * @example
 * ```ts
 * import { linkCeiling } from "./ceiling.ts";
 * import assert from "node:assert/strict";
 *
 * const c = linkCeiling({
 *   forward: { rateBps: 50_000_000, delayMs: 20, loss: 0.02 },
 *   reverse: { rateBps: 50_000_000, delayMs: 20, loss: 0.02 },
 *   mtu: 1350, cryptOverhead: 20, dataShards: 10, parityShards: 3, sndwnd: 1024, rcvwnd: 512,
 * });
 * assert.equal(c.mss, 1298);
 * assert.equal(c.rttMs, 40);
 * assert.equal(c.limitedBy, "link");
 * assert.equal(Math.round(c.protocolBps), 36_980_057); // 50 Mbit/s × 1298/1350 × 10/13
 * ```
 */
export function linkCeiling(input: CeilingInput): Ceiling {
  const { mtu, cryptOverhead, dataShards, parityShards, sndwnd, rcvwnd } = input;
  checkCount("MTU", mtu, 50, 1500);
  checkCount("Crypt overhead", cryptOverhead, 0, 64);
  checkCount("Data shards", dataShards, 0, 256);
  checkCount("Parity shards", parityShards, 0, 256);
  checkCount("Send window", sndwnd, 1, 65535);
  checkCount("Receive window", rcvwnd, 1, 65535);
  const fecConfigured = dataShards > 0 && parityShards > 0 && dataShards + parityShards <= 256;
  // the FEC header's room stays reserved in every segment, even while adaptive FEC is off
  const mss = mtu - cryptOverhead - (fecConfigured ? FEC_HEADER_BYTES : 0) - KCP_HEADER_BYTES;
  if (mss <= 0) {
    throw new RangeError(`MTU ${mtu} leaves no room for data after ${mtu - mss} header bytes`);
  }
  const loss = meanLoss(input.forward);
  const fec = fecConfigured && input.adaptiveFec !== true;
  const datagram = fecConfigured && !fec ? mtu - FEC_HEADER_BYTES : mtu;
  const rateControl = input.rateControl === true;
  const rate = input.forward.rateBps ?? 0;
  const linkBps = rate > 0 ? rate : Infinity;
  const queueBytes = rate > 0
    ? input.forward.queueBytes ??
      Math.max(MIN_DEFAULT_QUEUE_BYTES, Math.ceil((rate / 8000) * DEFAULT_QUEUE_DRAIN_MS))
    : 0;
  const rttMs = (input.forward.delayMs ?? 0) + (input.reverse.delayMs ?? 0);
  const delivered = 1 - loss;
  const parity = fec ? parityShards : 0;
  const share = fec ? Math.min(delivered, dataShards / (dataShards + parity)) : delivered;
  const payloadShare = (mss / datagram) * share;
  const protocolBps = linkBps * payloadShare;
  const windowSegments = Math.min(rateControl ? RATE_CONTROL_MAX_WINDOW : sndwnd, rcvwnd);
  const windowBps = rttMs > 0 ? (windowSegments * mss * 8 * 1000) / rttMs : Infinity;
  const ceilingBps = Math.min(protocolBps, windowBps);
  const limitedBy: CeilingLimit = ceilingBps === Infinity
    ? "host"
    : windowBps < protocolBps
    ? "window"
    : "link";
  const bdpSegments = protocolBps === Infinity || rttMs === 0
    ? 0
    : Math.ceil((protocolBps * rttMs) / 1000 / 8 / mss);
  return {
    linkBps,
    rttMs,
    queueBytes,
    loss,
    mtu,
    mss,
    fec,
    fecConfigured,
    adaptiveFec: fecConfigured && input.adaptiveFec === true,
    parity,
    datagram,
    rateControl,
    payloadShare,
    protocolBps,
    windowSegments,
    windowBps,
    ceilingBps,
    limitedBy,
    bdpSegments,
  };
}
