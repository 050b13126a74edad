/**
 * Byte helpers shared by the tests and benches: hex in both directions, SHA-256, concatenation
 * and deterministic pseudo-random bytes. Not part of the library.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { Prng } from "../../lib/link/prng.ts";

/** Value of one hex digit, or -1. */
function nibble(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30; // 0-9
  if (code >= 0x61 && code <= 0x66) return code - 0x57; // a-f
  if (code >= 0x41 && code <= 0x46) return code - 0x37; // A-F
  return -1;
}

/**
 * Parses hex (either case, no separators) into bytes. Throws on an odd length or a non-hex
 * digit, so a typo in a test's expected value fails loudly instead of reading as zeros.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromHex } from "./bytes.ts";
 *
 * assert.deepEqual(fromHex("00fF10"), new Uint8Array([0x00, 0xff, 0x10]));
 * ```
 */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new SyntaxError(`Odd-length hex string: ${s.length} digits`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(s.charCodeAt(2 * i));
    const lo = nibble(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      throw new SyntaxError(`Not a hex digit pair at ${2 * i}: "${s.slice(2 * i, 2 * i + 2)}"`);
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Lowercase hex of the bytes, no separators. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

/** SHA-256 of the bytes as lowercase hex. */
export function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/** Concatenates byte arrays into a new array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * `length` deterministic pseudo-random bytes: {@linkcode Prng} seeded with `seed`, filled as
 * `Prng.fill` does (little-endian words of `next()`).
 */
export function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  new Prng(seed).fill(out);
  return out;
}

/** A deterministic `(dst) => void` random source (nonces, junk) in the engines' shape. */
export function seededFill(seed: number): (dst: Uint8Array) => void {
  const rng = new Prng(seed);
  return (dst) => rng.fill(dst);
}
