/**
 * Small seeded generators for the tests' random choices. Each keeps the exact stream the
 * tests were written against (fuzz seeds, chunkings and generated inputs depend on it), so the
 * three algorithms stay; what they derive from `next()` is written once in
 * {@linkcode SeededRng}. Tests that want the library's own generator (`lib/link/prng.ts`) use
 * it directly or through `seededBytes`/`seededFill` in bytes.ts. Not part of the library.
 *
 * @module
 */

/** 2^32, scales a uint32 into [0, 1). */
const TWO_POW_32 = 4294967296;

/** What every test generator derives from its uint32 stream. */
export abstract class SeededRng {
  /** Next uint32. */
  abstract next(): number;

  /** Integer in [0, n) by multiply-and-floor. */
  int(n: number): number {
    return Math.floor((this.next() / TWO_POW_32) * n);
  }

  /** Integer in [0, n) by remainder (slightly biased; some generated vectors use it). */
  below(n: number): number {
    return this.next() % n;
  }

  /** Integer in [lo, hi], both inclusive, by remainder. */
  inRange(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }

  /** Float in [0, 1). */
  float(): number {
    return this.next() / TWO_POW_32;
  }

  /** Fills `dst`, one `next()` per byte (its low 8 bits). */
  fill(dst: Uint8Array): void {
    for (let i = 0; i < dst.length; i++) dst[i] = this.next() & 0xff;
  }

  /** `n` bytes as {@linkcode SeededRng.fill} writes them. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    this.fill(out);
    return out;
  }

  /** A random `k`-subset of 0..n-1, ascending (partial Fisher–Yates). */
  subset(n: number, k: number): number[] {
    const all = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      [all[i], all[j]] = [all[j], all[i]];
    }
    return all.slice(0, k).sort((a, b) => a - b);
  }

  /** Piece sizes 0..maxPiece (by {@linkcode SeededRng.below}) that add up to `length`. */
  pieceSizes(length: number, maxPiece: number): number[] {
    const out: number[] = [];
    for (let p = 0; p < length;) {
      const n = Math.min(this.below(maxPiece + 1), length - p);
      out.push(n);
      p += n;
    }
    return out;
  }
}

/** mulberry32: one uint32 of state. */
export class Mulberry32 extends SeededRng {
  #s: number;

  /** Starts the stream at `seed` (reduced to uint32). */
  constructor(seed: number) {
    super();
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
}

/** Marsaglia's xorshift32 (13, 17, 5): the generator of the snappy vectors' inputs. */
export class XorShift32 extends SeededRng {
  #s: number;

  /** Starts the stream at `seed` (reduced to uint32; 0 becomes 1). */
  constructor(seed: number) {
    super();
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
}

/** Marsaglia's xorshift128, seeded in one word and warmed up by 16 steps. */
export class XorShift128 extends SeededRng {
  #a: number;
  #b = 0x9e3779b9;
  #c = 0x243f6a88;
  #d = 0xb7e15162;

  /** Seeds the first state word with `seed` (0 becomes 1). */
  constructor(seed: number) {
    super();
    this.#a = seed | 0 || 1;
    for (let i = 0; i < 16; i++) this.next();
  }

  /** Next uint32. */
  next(): number {
    let t = this.#d;
    const s = this.#a;
    this.#d = this.#c;
    this.#c = this.#b;
    this.#b = s;
    t ^= t << 11;
    t ^= t >>> 8;
    this.#a = t ^ s ^ (s >>> 19);
    return this.#a >>> 0;
  }
}
