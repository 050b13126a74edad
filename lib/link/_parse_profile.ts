/**
 * Text form of a {@linkcode LinkProfile}, for the CLI and the lab.
 *
 * @module
 */

import type { LinkProfile } from "./link.ts";
import { LINK_PROFILES } from "./_profiles.ts";

const PREFIX = "Cannot parse link profile: ";
const KNOWN_KEYS = [
  "loss",
  "burst",
  "delay",
  "jitter",
  "rate",
  "queue",
  "reorder",
  "reorder-delay",
  "dup",
];
/** An unsigned decimal number followed by an optional unit. */
const NUMBER_UNIT = /^(\d+(?:\.\d+)?|\.\d+)([a-z%]*)$/;

/** Unit suffix → scale; a negative scale -d means "divide by d" (keeps 7% === 0.07 exact). */
type Unit = Readonly<Record<string, number>>;
const PROBABILITY_UNITS: Unit = { "": 1, "%": -100 };
const DURATION_UNITS: Unit = { "": 1, "ms": 1, "s": 1000, "us": -1000 };
const RATE_UNITS: Unit = {
  "": 1,
  "bit": 1,
  "k": 1e3,
  "kbit": 1e3,
  "m": 1e6,
  "mbit": 1e6,
  "g": 1e9,
  "gbit": 1e9,
};
const SIZE_UNITS: Unit = {
  "": 1,
  "b": 1,
  "k": 1024,
  "kb": 1024,
  "kib": 1024,
  "m": 1048576,
  "mb": 1048576,
  "mib": 1048576,
};

function quantity(key: string, raw: string, units: Unit, shape: string): number {
  const m = NUMBER_UNIT.exec(raw.toLowerCase());
  const scale = m === null ? undefined : units[m[2]];
  if (m === null || scale === undefined) {
    throw new SyntaxError(`${PREFIX}"${key}" must be ${shape}, got "${raw}"`);
  }
  const n = Number(m[1]);
  const value = scale < 0 ? n / -scale : n * scale;
  if (!Number.isFinite(value)) throw new RangeError(`${PREFIX}"${key}" is too large, got "${raw}"`);
  return value;
}

function probability(key: string, raw: string): number {
  const value = quantity(key, raw, PROBABILITY_UNITS, "a probability like 2% or 0.02");
  if (value > 1) throw new RangeError(`${PREFIX}"${key}" must be 0..100%, got "${raw}"`);
  return value;
}

function duration(key: string, raw: string): number {
  return quantity(key, raw, DURATION_UNITS, "a duration like 20ms, 1.5s or 500us");
}

function burst(raw: string): NonNullable<LinkProfile["burst"]> {
  const parts = raw.split("/");
  if (parts.length !== 2 && parts.length !== 4) {
    throw new SyntaxError(
      `${PREFIX}"burst" must be pGoodToBad/pBadToGood or ` +
        `pGoodToBad/pBadToGood/lossGood/lossBad like 3%/30%, got "${raw}"`,
    );
  }
  const result: NonNullable<LinkProfile["burst"]> = {
    pGoodToBad: probability("burst", parts[0]),
    pBadToGood: probability("burst", parts[1]),
  };
  if (parts.length === 4) {
    result.lossGood = probability("burst", parts[2]);
    result.lossBad = probability("burst", parts[3]);
  }
  return result;
}

function copyProfile(profile: LinkProfile): LinkProfile {
  const copy: LinkProfile = { ...profile };
  if (profile.burst !== undefined) copy.burst = { ...profile.burst };
  return copy;
}

/**
 * Parse a link profile from a name in {@linkcode LINK_PROFILES}, a spec string, or a name
 * followed by overrides. The spec is comma-separated `key=value` items (keys and units are
 * case-insensitive, whitespace around items is ignored):
 *
 * | key             | value                                        | sets             |
 * |-----------------|----------------------------------------------|------------------|
 * | `loss`          | probability: `2%` or `0.02`                  | `loss`           |
 * | `burst`         | `pGB/pBG` or `pGB/pBG/lossGood/lossBad`, each a probability | `burst` |
 * | `delay`         | duration: `20ms`, `1.5s`, `500us`, bare = ms | `delayMs`        |
 * | `jitter`        | duration                                     | `jitterMs`       |
 * | `rate`          | `50mbit`, `800kbit`, `1gbit`, `50m`, bare = bit/s, `0` = unlimited | `rateBps` |
 * | `queue`         | bytes: `256kb`, `1mb`, `1500b`, bare = bytes (k = 1024, as in tc) | `queueBytes` |
 * | `reorder`       | probability                                  | `reorder`        |
 * | `reorder-delay` | duration                                     | `reorderDelayMs` |
 * | `dup`           | probability (alias `duplicate`)              | `duplicate`      |
 *
 * An explicit `loss` replaces a `burst` inherited from a named profile and vice versa; giving
 * both explicitly is an error. Each key may appear once.
 *
 * @returns A fresh profile object the caller may modify.
 * @throws {SyntaxError} On malformed text: empty spec or item, missing `=`, unknown or repeated
 *   key, a value that is not a number with a known unit.
 * @throws {RangeError} On an unknown profile name or a probability above 100 %.
 *
 * @example
 * ```ts
 * import { parseLinkProfile } from "./link.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseLinkProfile("loss=2%,delay=20ms,rate=50mbit"), {
 *   loss: 0.02,
 *   delayMs: 20,
 *   rateBps: 50_000_000,
 * });
 * assert.equal(parseLinkProfile("clean-100m-20ms,loss=1%").loss, 0.01);
 * assert.throws(() => parseLinkProfile("loss=abc"), SyntaxError);
 * ```
 */
export function parseLinkProfile(spec: string): LinkProfile {
  if (typeof spec !== "string") {
    throw new TypeError(`Link profile spec must be a string, got ${typeof spec}`);
  }
  const trimmed = spec.trim();
  if (trimmed === "") throw new SyntaxError(`${PREFIX}spec is empty`);
  const items = trimmed.split(",").map((s) => s.trim());
  let profile: LinkProfile = {};
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === "") throw new SyntaxError(`${PREFIX}empty item in "${trimmed}"`);
    const eq = item.indexOf("=");
    if (eq < 0) {
      if (i === 0) {
        const named = Object.hasOwn(LINK_PROFILES, item.toLowerCase())
          ? LINK_PROFILES[item.toLowerCase()]
          : undefined;
        if (named === undefined) {
          throw new RangeError(
            `${PREFIX}unknown profile "${item}" (known: ${Object.keys(LINK_PROFILES).join(", ")})`,
          );
        }
        profile = copyProfile(named);
        continue;
      }
      throw new SyntaxError(`${PREFIX}expected key=value, got "${item}"`);
    }
    const rawKey = item.slice(0, eq).trim().toLowerCase();
    const value = item.slice(eq + 1).trim();
    const key = rawKey === "duplicate" ? "dup" : rawKey;
    if (!KNOWN_KEYS.includes(key)) {
      throw new SyntaxError(
        `${PREFIX}unknown key "${rawKey}" (known: ${KNOWN_KEYS.join(", ")})`,
      );
    }
    if (seen.has(key)) throw new SyntaxError(`${PREFIX}key "${rawKey}" is given twice`);
    seen.add(key);
    switch (key) {
      case "loss":
        profile.loss = probability(rawKey, value);
        delete profile.burst;
        break;
      case "burst":
        profile.burst = burst(value);
        delete profile.loss;
        break;
      case "delay":
        profile.delayMs = duration(rawKey, value);
        break;
      case "jitter":
        profile.jitterMs = duration(rawKey, value);
        break;
      case "rate":
        profile.rateBps = quantity(
          rawKey,
          value,
          RATE_UNITS,
          "a rate like 50mbit, 800kbit or 0 (unlimited)",
        );
        break;
      case "queue":
        profile.queueBytes = Math.floor(
          quantity(rawKey, value, SIZE_UNITS, "a size like 256kb, 1mb or 1500b"),
        );
        break;
      case "reorder":
        profile.reorder = probability(rawKey, value);
        break;
      case "reorder-delay":
        profile.reorderDelayMs = duration(rawKey, value);
        break;
      case "dup":
        profile.duplicate = probability(rawKey, value);
        break;
    }
  }
  if (seen.has("loss") && seen.has("burst")) {
    throw new SyntaxError(`${PREFIX}"loss" and "burst" cannot both be given`);
  }
  return profile;
}
