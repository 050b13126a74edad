/**
 * Twofish (Schneier et al., 1998) with 128/192/256-bit keys, forward direction only, with
 * fully key-dependent g tables (the "full keying" option of the paper).
 *
 * @module
 */

import type { BlockCipher } from "./_cfb.ts";

/** The 4-bit tables t0..t3 that build the fixed permutations q0 and q1 (paper §4.3.5). */
// deno-fmt-ignore
const Q_NIBBLES = [
  [
    [0x8, 0x1, 0x7, 0xd, 0x6, 0xf, 0x3, 0x2, 0x0, 0xb, 0x5, 0x9, 0xe, 0xc, 0xa, 0x4],
    [0xe, 0xc, 0xb, 0x8, 0x1, 0x2, 0x3, 0x5, 0xf, 0x4, 0xa, 0x6, 0x7, 0x0, 0x9, 0xd],
    [0xb, 0xa, 0x5, 0xe, 0x6, 0xd, 0x9, 0x0, 0xc, 0x8, 0xf, 0x3, 0x2, 0x4, 0x7, 0x1],
    [0xd, 0x7, 0xf, 0x4, 0x1, 0x2, 0x6, 0xe, 0x9, 0xb, 0x3, 0x0, 0x8, 0x5, 0xc, 0xa],
  ],
  [
    [0x2, 0x8, 0xb, 0xd, 0xf, 0x7, 0x6, 0xe, 0x3, 0x1, 0x9, 0x4, 0x0, 0xa, 0xc, 0x5],
    [0x1, 0xe, 0x2, 0xb, 0x4, 0xc, 0x3, 0x7, 0x6, 0xd, 0xa, 0x5, 0xf, 0x9, 0x0, 0x8],
    [0x4, 0xc, 0x7, 0x5, 0x1, 0x6, 0x9, 0xa, 0x0, 0xe, 0xd, 0x8, 0x2, 0xb, 0x3, 0xf],
    [0xb, 0x9, 0x5, 0x1, 0xc, 0x3, 0xd, 0xe, 0x6, 0x4, 0x7, 0xf, 0x2, 0x0, 0x8, 0xa],
  ],
];

function buildQ(t: readonly (readonly number[])[]): Uint8Array {
  const ror4 = (x: number) => ((x >>> 1) | (x << 3)) & 15;
  const q = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    const a0 = x >>> 4;
    const b0 = x & 15;
    const a1 = a0 ^ b0;
    const b1 = (a0 ^ ror4(b0) ^ (8 * a0)) & 15;
    const a2 = t[0][a1];
    const b2 = t[1][b1];
    const a3 = a2 ^ b2;
    const b3 = (a2 ^ ror4(b2) ^ (8 * a2)) & 15;
    q[x] = (t[3][b3] << 4) | t[2][a3];
  }
  return q;
}

const Q0: Uint8Array = buildQ(Q_NIBBLES[0]);
const Q1: Uint8Array = buildQ(Q_NIBBLES[1]);

/** Multiplication in GF(2^8) modulo the given primitive polynomial (with the x^8 term). */
function gfMul(a: number, b: number, poly: number): number {
  let r = 0;
  while (b !== 0) {
    if (b & 1) r ^= a;
    a <<= 1;
    if (a & 0x100) a ^= poly;
    b >>>= 1;
  }
  return r;
}

const MDS_POLY = 0x169;
const RS_POLY = 0x14d;

// deno-fmt-ignore
const MDS = [
  [0x01, 0xef, 0x5b, 0x5b],
  [0x5b, 0xef, 0xef, 0x01],
  [0xef, 0x5b, 0x01, 0xef],
  [0xef, 0x01, 0xef, 0x5b],
];

// deno-fmt-ignore
const RS = [
  [0x01, 0xa4, 0x55, 0x87, 0x5a, 0x58, 0xdb, 0x9e],
  [0xa4, 0x56, 0x82, 0xf3, 0x1e, 0xc6, 0x68, 0xe5],
  [0x02, 0xa1, 0xfc, 0xc1, 0x47, 0xae, 0x3d, 0x19],
  [0xa4, 0x55, 0x87, 0x5a, 0x58, 0xdb, 0x9e, 0x03],
];

/** Column j of MDS times byte y, as a little-endian word. */
function mdsColumn(j: number, y: number): number {
  return gfMul(MDS[0][j], y, MDS_POLY) | (gfMul(MDS[1][j], y, MDS_POLY) << 8) |
    (gfMul(MDS[2][j], y, MDS_POLY) << 16) | (gfMul(MDS[3][j], y, MDS_POLY) << 24);
}

/**
 * The byte chain of h (paper §4.3.2) for input byte x at position j, with the key words
 * `l[0..k-1]` (little-endian bytes), before the MDS multiply.
 */
function hByte(j: number, x: number, l: readonly number[]): number {
  const k = l.length;
  const lb = (i: number) => (l[i] >>> (8 * j)) & 0xff;
  let y = x;
  if (k === 4) y = (j === 0 || j === 3 ? Q1 : Q0)[y] ^ lb(3);
  if (k >= 3) y = (j <= 1 ? Q1 : Q0)[y] ^ lb(2);
  switch (j) {
    case 0:
      return Q1[Q0[Q0[y] ^ lb(1)] ^ lb(0)];
    case 1:
      return Q0[Q0[Q1[y] ^ lb(1)] ^ lb(0)];
    case 2:
      return Q1[Q1[Q0[y] ^ lb(1)] ^ lb(0)];
    default:
      return Q0[Q1[Q1[y] ^ lb(1)] ^ lb(0)];
  }
}

function h(x: number, l: readonly number[]): number {
  let z = 0;
  for (let j = 0; j < 4; j++) z ^= mdsColumn(j, hByte(j, (x >>> (8 * j)) & 0xff, l));
  return z;
}

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

function readLE(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
}

function writeLE(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/** Twofish; the `twofish` crypt uses the whole 32-byte pass (Twofish-256). */
export class Twofish implements BlockCipher {
  readonly blockSize = 16;
  /** Expanded key K0..K39. */
  readonly #k = new Int32Array(40);
  /** Key-dependent g tables: g(X) = G[x0] ^ G[256 + x1] ^ G[512 + x2] ^ G[768 + x3]. */
  readonly #g = new Int32Array(4 * 256);

  constructor(key: Uint8Array) {
    const n = key.length;
    if (n !== 16 && n !== 24 && n !== 32) {
      throw new RangeError(`Twofish key must be 16, 24 or 32 bytes, got ${n}`);
    }
    const k = n / 8;
    const me: number[] = [];
    const mo: number[] = [];
    const s: number[] = [];
    for (let i = 0; i < k; i++) {
      me.push(readLE(key, 8 * i));
      mo.push(readLE(key, 8 * i + 4));
      let w = 0;
      for (let r = 0; r < 4; r++) {
        let acc = 0;
        for (let c = 0; c < 8; c++) acc ^= gfMul(RS[r][c], key[8 * i + c], RS_POLY);
        w |= acc << (8 * r);
      }
      // The S vector is used in reverse order: S = (S_{k-1}, ..., S_0).
      s.unshift(w);
    }
    const rho = 0x01010101;
    for (let i = 0; i < 20; i++) {
      const a = h(Math.imul(2 * i, rho), me);
      const b = rotl(h(Math.imul(2 * i + 1, rho), mo), 8);
      this.#k[2 * i] = (a + b) | 0;
      this.#k[2 * i + 1] = rotl((a + 2 * b) | 0, 9);
    }
    for (let j = 0; j < 4; j++) {
      for (let x = 0; x < 256; x++) this.#g[j * 256 + x] = mdsColumn(j, hByte(j, x, s));
    }
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const k = this.#k;
    const g = this.#g;
    let r0 = readLE(src, srcOff) ^ k[0];
    let r1 = readLE(src, srcOff + 4) ^ k[1];
    let r2 = readLE(src, srcOff + 8) ^ k[2];
    let r3 = readLE(src, srcOff + 12) ^ k[3];
    for (let r = 0; r < 16; r += 2) {
      let t0 = g[r0 & 0xff] ^ g[256 + ((r0 >>> 8) & 0xff)] ^ g[512 + ((r0 >>> 16) & 0xff)] ^
        g[768 + (r0 >>> 24)];
      let t1 = g[r1 >>> 24] ^ g[256 + (r1 & 0xff)] ^ g[512 + ((r1 >>> 8) & 0xff)] ^
        g[768 + ((r1 >>> 16) & 0xff)];
      r2 ^= (t0 + t1 + k[2 * r + 8]) | 0;
      r2 = (r2 >>> 1) | (r2 << 31);
      r3 = ((r3 << 1) | (r3 >>> 31)) ^ ((t0 + 2 * t1 + k[2 * r + 9]) | 0);

      t0 = g[r2 & 0xff] ^ g[256 + ((r2 >>> 8) & 0xff)] ^ g[512 + ((r2 >>> 16) & 0xff)] ^
        g[768 + (r2 >>> 24)];
      t1 = g[r3 >>> 24] ^ g[256 + (r3 & 0xff)] ^ g[512 + ((r3 >>> 8) & 0xff)] ^
        g[768 + ((r3 >>> 16) & 0xff)];
      r0 ^= (t0 + t1 + k[2 * r + 10]) | 0;
      r0 = (r0 >>> 1) | (r0 << 31);
      r1 = ((r1 << 1) | (r1 >>> 31)) ^ ((t0 + 2 * t1 + k[2 * r + 11]) | 0);
    }
    writeLE(dst, dstOff, r2 ^ k[4]);
    writeLE(dst, dstOff + 4, r3 ^ k[5]);
    writeLE(dst, dstOff + 8, r0 ^ k[6]);
    writeLE(dst, dstOff + 12, r1 ^ k[7]);
  }
}
