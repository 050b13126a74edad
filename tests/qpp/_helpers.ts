/** Shared helpers for the QPP tests and benches (not part of the library). */

import { createHash } from "node:crypto";

/** Lowercase hex of `b`. */
export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Bytes of a hex string. */
export function unhex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

/** SHA-256 of `b` as hex. */
export function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

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

/** Parses a JSON vector file under tests/vectors/. */
// deno-lint-ignore no-explicit-any
export function loadVector(name: string): any {
  return JSON.parse(Deno.readTextFileSync(new URL(`../vectors/${name}`, import.meta.url)));
}

/** Parses a JSON file under tests/qpp/testdata/. */
// deno-lint-ignore no-explicit-any
export function loadTestdata(name: string): any {
  return JSON.parse(Deno.readTextFileSync(new URL(`./testdata/${name}`, import.meta.url)));
}

/** xorshift32 for seeded test choices. */
export class XorShift32 {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }
  /** Next uint32. */
  next(): number {
    let s = this.#s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.#s = s >>> 0;
    return this.#s;
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return this.next() % n;
  }
}

/**
 * Split points for `length` bytes: `chunkedAs` from the vectors (-1 = the rest), or random
 * sizes 0..maxPiece when given an rng.
 */
export function splits(length: number, chunkedAs: number[] | XorShift32, maxPiece = 17): number[] {
  const out: number[] = [];
  let p = 0;
  if (Array.isArray(chunkedAs)) {
    for (const n of chunkedAs) {
      const take = n < 0 || p + n > length ? length - p : n;
      out.push(take);
      p += take;
    }
  } else {
    while (p < length) {
      const take = Math.min(chunkedAs.below(maxPiece + 1), length - p);
      out.push(take);
      p += take;
    }
  }
  return out;
}
