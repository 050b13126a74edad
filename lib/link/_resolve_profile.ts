/**
 * Validation and defaults for {@linkcode LinkProfile}: the one place that decides what a profile
 * means numerically.
 *
 * @module
 */

import type { LinkProfile } from "./link.ts";

/** Default extra delay of a reordered packet, in ms. */
export const DEFAULT_REORDER_DELAY_MS = 10;
/** Smallest default bottleneck queue, in bytes. */
export const MIN_DEFAULT_QUEUE_BYTES = 64 * 1024;
/** The default bottleneck queue holds this much drain time at the configured rate, in ms. */
export const DEFAULT_QUEUE_DRAIN_MS = 50;
/** Default Gilbert–Elliott loss rate in the good state. */
export const DEFAULT_LOSS_GOOD = 0;
/** Default Gilbert–Elliott loss rate in the bad state. */
export const DEFAULT_LOSS_BAD = 1;

/** Loss model: no random loss. */
export const LOSS_NONE = 0;
/** Loss model: independent per-packet loss with probability `loss`. */
export const LOSS_BERNOULLI = 1;
/** Loss model: two-state Gilbert–Elliott chain. */
export const LOSS_BURST = 2;
/** How the link decides random loss. */
export type LossModel = typeof LOSS_NONE | typeof LOSS_BERNOULLI | typeof LOSS_BURST;

/** A profile with every field validated and every default filled in. */
export interface ResolvedLinkProfile {
  lossModel: LossModel;
  loss: number;
  pGoodToBad: number;
  pBadToGood: number;
  lossGood: number;
  lossBad: number;
  delayMs: number;
  jitterMs: number;
  /** 0 = unlimited. */
  rateBps: number;
  /** rateBps / 8000, bytes serialised per ms. */
  bytesPerMs: number;
  queueBytes: number;
  reorder: number;
  reorderDelayMs: number;
  duplicate: number;
}

function probability(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(`Link profile "${name}" must be a number, got ${typeof value}`);
  }
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`Link profile "${name}" must be 0..1, got ${value}`);
  }
  return value;
}

function nonNegative(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(`Link profile "${name}" must be a number, got ${typeof value}`);
  }
  if (!(value >= 0 && value < Infinity)) {
    throw new RangeError(`Link profile "${name}" must be a finite number >= 0, got ${value}`);
  }
  return value;
}

/**
 * Validate `profile` and fill defaults.
 *
 * @throws {TypeError} If a field has the wrong type.
 * @throws {RangeError} If a field is out of range.
 */
export function resolveLinkProfile(profile: LinkProfile): ResolvedLinkProfile {
  if (profile === null || typeof profile !== "object") {
    throw new TypeError(`Link profile must be an object, got ${String(profile)}`);
  }
  const loss = probability("loss", profile.loss, 0);
  let lossModel: LossModel = loss > 0 ? LOSS_BERNOULLI : LOSS_NONE;
  let pGoodToBad = 0;
  let pBadToGood = 1;
  let lossGood = DEFAULT_LOSS_GOOD;
  let lossBad = DEFAULT_LOSS_BAD;
  const burst = profile.burst;
  if (burst !== undefined) {
    if (burst === null || typeof burst !== "object") {
      throw new TypeError(`Link profile "burst" must be an object, got ${String(burst)}`);
    }
    if (burst.pGoodToBad === undefined) {
      throw new TypeError(`Link profile "burst.pGoodToBad" is required`);
    }
    if (burst.pBadToGood === undefined) {
      throw new TypeError(`Link profile "burst.pBadToGood" is required`);
    }
    pGoodToBad = probability("burst.pGoodToBad", burst.pGoodToBad, 0);
    pBadToGood = probability("burst.pBadToGood", burst.pBadToGood, 1);
    lossGood = probability("burst.lossGood", burst.lossGood, DEFAULT_LOSS_GOOD);
    lossBad = probability("burst.lossBad", burst.lossBad, DEFAULT_LOSS_BAD);
    lossModel = LOSS_BURST;
  }
  const rateBps = nonNegative("rateBps", profile.rateBps, 0);
  const defaultQueue = Math.max(
    MIN_DEFAULT_QUEUE_BYTES,
    Math.ceil(rateBps / 8000 * DEFAULT_QUEUE_DRAIN_MS),
  );
  return {
    lossModel,
    loss,
    pGoodToBad,
    pBadToGood,
    lossGood,
    lossBad,
    delayMs: nonNegative("delayMs", profile.delayMs, 0),
    jitterMs: nonNegative("jitterMs", profile.jitterMs, 0),
    rateBps,
    bytesPerMs: rateBps / 8000,
    queueBytes: nonNegative("queueBytes", profile.queueBytes, defaultQueue),
    reorder: probability("reorder", profile.reorder, 0),
    reorderDelayMs: nonNegative("reorderDelayMs", profile.reorderDelayMs, DEFAULT_REORDER_DELAY_MS),
    duplicate: probability("duplicate", profile.duplicate, 0),
  };
}
