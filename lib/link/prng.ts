/**
 * A small, fast, seeded pseudo-random number generator for the link emulator and for tests.
 *
 * The generator is xoshiro128** (Blackman & Vigna): 128 bits of state, period 2^128 − 1, good
 * statistical quality for simulation, four uint32 words so it runs on plain 32-bit integer
 * arithmetic. The 32-bit seed is expanded into the four state words with splitmix32 (a Weyl
 * sequence stepped by the golden-ratio constant and finished with the MurmurHash3 32-bit
 * avalanche), so nearby seeds such as 1, 2, 3 give unrelated streams.
 *
 * It is NOT cryptographically secure; never use it for keys or nonces.
 *
 * @module
 */

/** Golden-ratio increment of the splitmix32 Weyl sequence. */
const SPLITMIX_GAMMA = 0x9e3779b9;
/** First multiplier of the MurmurHash3 fmix32 finaliser. */
const FMIX_MUL_1 = 0x85ebca6b;
/** Second multiplier of the MurmurHash3 fmix32 finaliser. */
const FMIX_MUL_2 = 0xc2b2ae35;
/** 2^-32: scales a uint32 into [0, 1). */
const INV_2_POW_32 = 1 / 4294967296;
/** Largest range `int(n)` accepts. */
const MAX_INT_RANGE = 4294967296;

/**
 * Seeded xoshiro128** generator. Same seed → same sequence, on every platform.
 *
 * @example
 * ```ts
 * import { Prng } from "./prng.ts";
 * import assert from "node:assert/strict";
 *
 * const a = new Prng(42);
 * const b = new Prng(42);
 * assert.equal(a.next(), b.next());
 * const x = a.float();
 * assert.ok(x >= 0 && x < 1);
 * const d = a.int(6);
 * assert.ok(Number.isInteger(d) && d >= 0 && d < 6);
 * ```
 */
export class Prng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /**
   * Create a generator.
   *
   * @param seed Any finite number; it is reduced to a uint32 (`seed >>> 0`), so `-1` and
   *   `4294967295` give the same stream.
   * @throws {RangeError} If `seed` is not a finite number.
   */
  constructor(seed: number) {
    if (typeof seed !== "number" || !Number.isFinite(seed)) {
      throw new RangeError(`Seed must be a finite number, got ${String(seed)}`);
    }
    let weyl = seed >>> 0;
    const words = [0, 0, 0, 0];
    for (let i = 0; i < 4; i++) {
      weyl = (weyl + SPLITMIX_GAMMA) >>> 0;
      let z = weyl;
      z = Math.imul(z ^ (z >>> 16), FMIX_MUL_1);
      z = Math.imul(z ^ (z >>> 13), FMIX_MUL_2);
      words[i] = (z ^ (z >>> 16)) >>> 0;
    }
    // xoshiro must never hold the all-zero state; splitmix32 practically never yields it,
    // but guard anyway so the generator cannot get stuck.
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
    this.#s0 = words[0];
    this.#s1 = words[1];
    this.#s2 = words[2];
    this.#s3 = words[3];
  }

  /** Next uint32 (0 ≤ n < 2^32). */
  next(): number {
    const s1 = this.#s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 = s1 ^ this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    const s3 = this.#s3;
    this.#s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** Next float uniformly distributed in [0, 1), with 32 bits of resolution. */
  float(): number {
    return this.next() * INV_2_POW_32;
  }

  /**
   * Next integer uniformly distributed in [0, n).
   *
   * @param n Range size, an integer 1..2^32. (The bias of the multiply-shift mapping is below
   *   n / 2^32, negligible for simulation.)
   * @throws {RangeError} If `n` is not an integer 1..2^32.
   */
  int(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= MAX_INT_RANGE)) {
      throw new RangeError(`Range must be an integer 1..4294967296, got ${String(n)}`);
    }
    return Math.floor(this.next() * INV_2_POW_32 * n);
  }

  /**
   * Fill `dst` with pseudo-random bytes (little-endian words of `next()`). Matches the
   * `(dst: Uint8Array) => void` randomness parameter the engines take.
   */
  fill(dst: Uint8Array): void {
    const len = dst.length;
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      const v = this.next();
      dst[i] = v;
      dst[i + 1] = v >>> 8;
      dst[i + 2] = v >>> 16;
      dst[i + 3] = v >>> 24;
    }
    if (i < len) {
      let v = this.next();
      for (; i < len; i++, v >>>= 8) dst[i] = v;
    }
  }
}
