/**
 * Helpers of the QPP tests and benches only (not part of the library): the vectors' counter
 * stream, the testdata files and chunkings. Shared ones are in tests/_helpers.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { XorShift32 } from "../_helpers/rng.ts";
import { loadJson } from "../_helpers/vectors.ts";

/** The vectors' deterministic stream: SHA-256(label ‖ counter as u64 LE) blocks, counter 0, 1, …. */
export function counterStream(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const prefix = new TextEncoder().encode(label);
  const msg = new Uint8Array(prefix.length + 8);
  msg.set(prefix);
  const view = new DataView(msg.buffer);
  for (let i = 0, o = 0; o < n; i++, o += 32) {
    view.setBigUint64(prefix.length, BigInt(i), true);
    out.set(createHash("sha256").update(msg).digest().subarray(0, Math.min(32, n - o)), o);
  }
  return out;
}

/** Parses a JSON file under tests/qpp/testdata/. */
// deno-lint-ignore no-explicit-any
export function loadTestdata(name: string): any {
  return loadJson(new URL(`./testdata/${name}`, import.meta.url));
}

/**
 * Split points for `length` bytes: `chunkedAs` from the vectors (-1 = the rest), or random
 * sizes 0..maxPiece when given an rng.
 */
export function splits(length: number, chunkedAs: number[] | XorShift32, maxPiece = 17): number[] {
  if (!Array.isArray(chunkedAs)) return chunkedAs.pieceSizes(length, maxPiece);
  const out: number[] = [];
  let p = 0;
  for (const n of chunkedAs) {
    const take = n < 0 || p + n > length ? length - p : n;
    out.push(take);
    p += take;
  }
  return out;
}
