/**
 * Arithmetic in GF(2^8) as klauspost/reedsolomon (and therefore kcp-go) uses it.
 *
 * The field is GF(2)[x] modulo x^8+x^4+x^3+x^2+1 (`0x11D`), with generator 2: the exp table
 * starts `01 02 04 08 10 20 40 80 1d 3a …`. Addition is XOR. Multiplication goes through
 * log/exp tables for scalars and through 256-entry product tables for byte ranges.
 *
 * Two kinds of product table are offered:
 *
 * - {@linkcode gfMulTable}: `table[x] = c·x`, one byte per entry, for the simple
 *   {@linkcode gfMulAdd} / {@linkcode gfMulSet} range loops.
 * - {@linkcode gfPackedTable}: up to four coefficients packed into one 32-bit word per entry
 *   (`table[x] = c0·x | c1·x << 8 | c2·x << 16 | c3·x << 24`). Reed-Solomon uses these to
 *   compute four output shards with one lookup per input byte, which is what makes the
 *   encoder fast in JavaScript.
 *
 * The tables are built once when the module is first evaluated (a 512-byte and a 256-byte
 * array); nothing else happens at import time.
 *
 * @module
 */

/** The field's reducing polynomial, x^8+x^4+x^3+x^2+1. */
export const GF_POLYNOMIAL = 0x11d;

/** Number of non-zero field elements (the multiplicative group's order). */
const GROUP_ORDER = 255;

/**
 * `GF_EXP[i] = 2^i` for `0 ≤ i < 510` (the second half repeats the first, so
 * `GF_EXP[GF_LOG[a] + GF_LOG[b]]` needs no reduction modulo 255).
 */
export const GF_EXP: Uint8Array = new Uint8Array(2 * GROUP_ORDER);

/** `GF_LOG[a]` = the discrete log of `a` to base 2, for `a ≠ 0`. `GF_LOG[0]` is 0 and meaningless. */
export const GF_LOG: Uint8Array = new Uint8Array(256);

{
  let x = 1;
  for (let i = 0; i < GROUP_ORDER; i++) {
    GF_EXP[i] = x;
    GF_EXP[i + GROUP_ORDER] = x;
    GF_LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= GF_POLYNOMIAL;
  }
}

/**
 * Multiply two field elements.
 *
 * @example
 * ```ts
 * import { gfMul } from "./galois.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(gfMul(0x80, 2), 0x1d);
 * assert.equal(gfMul(7, 0), 0);
 * ```
 */
export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return GF_EXP[GF_LOG[a] + GF_LOG[b]];
}

/**
 * Multiplicative inverse of a non-zero element.
 *
 * @throws {RangeError} If `a` is 0 or not a byte.
 */
export function gfInv(a: number): number {
  if (a <= 0 || a > 255 || a !== (a | 0)) {
    throw new RangeError(`Field element to invert must be 1..255, got ${a}`);
  }
  return GF_EXP[GROUP_ORDER - GF_LOG[a]];
}

/**
 * Divide `a` by a non-zero `b`.
 *
 * @throws {RangeError} If `b` is 0.
 */
export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError("Cannot divide by zero in GF(256)");
  if (a === 0) return 0;
  return GF_EXP[GF_LOG[a] + GROUP_ORDER - GF_LOG[b]];
}

/**
 * `a` raised to the non-negative integer power `n`, with klauspost's conventions
 * (`galExp`): `0^0 = 1` and `0^n = 0` for `n > 0`. Used to build the Vandermonde matrix.
 *
 * @example
 * ```ts
 * import { gfPow } from "./galois.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(gfPow(0, 0), 1);
 * assert.equal(gfPow(2, 8), 0x1d);
 * ```
 */
export function gfPow(a: number, n: number): number {
  if (n === 0) return 1;
  if (a === 0) return 0;
  return GF_EXP[(GF_LOG[a] * n) % GROUP_ORDER];
}

/**
 * The 256-entry product table of coefficient `c`: `table[x] = c·x`.
 *
 * @param c Coefficient 0..255.
 * @param out Optional destination (at least 256 bytes) to fill instead of allocating.
 */
export function gfMulTable(c: number, out: Uint8Array = new Uint8Array(256)): Uint8Array {
  out[0] = 0;
  if (c === 0) {
    out.fill(0, 0, 256);
    return out;
  }
  const logC = GF_LOG[c];
  for (let x = 1; x < 256; x++) out[x] = GF_EXP[logC + GF_LOG[x]];
  return out;
}

/**
 * `dst[dstOffset + i] ^= c·src[srcOffset + i]` for `0 ≤ i < len`, where `table` is
 * {@linkcode gfMulTable}`(c)`. A plain byte loop: simple, and fast enough for one-off work.
 *
 * @example
 * ```ts
 * import { gfMulAdd, gfMulTable } from "./galois.ts";
 * import assert from "node:assert/strict";
 *
 * const dst = Uint8Array.of(1, 1);
 * gfMulAdd(dst, 0, Uint8Array.of(0x80, 3), 0, 2, gfMulTable(2));
 * assert.deepEqual(dst, Uint8Array.of(0x1c, 7));
 * ```
 */
export function gfMulAdd(
  dst: Uint8Array,
  dstOffset: number,
  src: Uint8Array,
  srcOffset: number,
  len: number,
  table: Uint8Array,
): void {
  for (let i = 0; i < len; i++) dst[dstOffset + i] ^= table[src[srcOffset + i]];
}

/**
 * `dst[dstOffset + i] = c·src[srcOffset + i]` for `0 ≤ i < len`, where `table` is
 * {@linkcode gfMulTable}`(c)`.
 */
export function gfMulSet(
  dst: Uint8Array,
  dstOffset: number,
  src: Uint8Array,
  srcOffset: number,
  len: number,
  table: Uint8Array,
): void {
  for (let i = 0; i < len; i++) dst[dstOffset + i] = table[src[srcOffset + i]];
}

/** Multiply four field elements packed in the bytes of a 32-bit word by 2, lane by lane. */
function xtime4(v: number): number {
  return ((v & 0x7f7f7f7f) << 1) ^ (((v >>> 7) & 0x01010101) * 0x1d);
}

/**
 * Fill a packed product table: `out[outOffset + x] = Σ_k (coefs[k]·x) << 8k` for `x` in 0..255,
 * `k < count ≤ 4`. Lanes at or above `count` are zero. The table is an Int32Array so that
 * loads stay small integers in the JIT even when the top lane is used (read lanes with `>>>`).
 *
 * Built from the 8 single-bit products by linearity (`t[a ^ b] = t[a] ^ t[b]`), so it costs
 * about 260 integer operations, little enough to rebuild for every Reed-Solomon recovery.
 *
 * @example
 * ```ts
 * import { gfMul, gfPackedTable } from "./galois.ts";
 * import assert from "node:assert/strict";
 *
 * const t = new Int32Array(256);
 * gfPackedTable([3, 0x8e, 0, 0x80], 4, t, 0);
 * assert.equal(t[0x55], gfMul(3, 0x55) | (gfMul(0x8e, 0x55) << 8) | (gfMul(0x80, 0x55) << 24));
 * ```
 */
export function gfPackedTable(
  coefs: ArrayLike<number>,
  count: number,
  out: Int32Array,
  outOffset: number,
): void {
  let v = 0;
  for (let k = 0; k < count; k++) v |= coefs[k] << (8 * k);
  out[outOffset] = 0;
  // Powers of two first: out[1 << b] = packed coefficients · 2^b.
  for (let b = 0; b < 8; b++) {
    out[outOffset + (1 << b)] = v;
    v = xtime4(v);
  }
  // Every other index is the XOR of its lowest set bit and the rest.
  for (let x = 3; x < 256; x++) {
    const low = x & -x;
    if (low !== x) out[outOffset + x] = out[outOffset + low] ^ out[outOffset + (x ^ low)];
  }
}
