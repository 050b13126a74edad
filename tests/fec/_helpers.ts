/**
 * Shared helpers for the FEC tests: hex codecs, vector loading, a seeded PRNG.
 *
 * @module
 */

/** Directory of the vendored test vectors. */
const VECTORS = new URL("../vectors/", import.meta.url);

/** Lowercase hex (no separators) → bytes. */
export function hex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes → lowercase hex. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

/** Parse a vector file, e.g. `vector("fec.json")` or `vector("latest/fec-latest.json")`. */
// deno-lint-ignore no-explicit-any
export function vector(path: string): any {
  return JSON.parse(Deno.readTextFileSync(new URL(path, VECTORS)));
}

/** Small seeded PRNG (mulberry32) so random tests are reproducible. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** Next uint32. */
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.next() / 4294967296) * n);
  }
  /** Uniform float in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }
  /** `len` random bytes. */
  bytes(len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.next() & 0xff;
    return out;
  }
  /** A random `k`-subset of 0..n-1, ascending. */
  subset(n: number, k: number): number[] {
    const all = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      [all[i], all[j]] = [all[j], all[i]];
    }
    return all.slice(0, k).sort((a, b) => a - b);
  }
}
