/**
 * DES (FIPS 46-3) and Triple DES EDE3 (k1 ‖ k2 ‖ k3), forward direction only.
 *
 * Written here because Deno's `node:crypto` offers only `des-ede3-cbc`, which measured about
 * 5× slower than this table-driven version (see tests/crypt/crypt_bench.ts).
 *
 * @module
 */

import type { BlockCipher } from "./_cfb.ts";

// Tables from FIPS 46-3, 1-based bit numbers, bit 1 = most significant.

// deno-fmt-ignore
const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
  62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
  57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
  61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
];

// deno-fmt-ignore
const P = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
  2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
];

// deno-fmt-ignore
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
  10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
  14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];

// deno-fmt-ignore
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
  23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
  41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
  44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];

const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

// deno-fmt-ignore
const SBOXES = [
  [14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
    0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
    4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
    15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13],
  [15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
    3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
    0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
    13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9],
  [10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
    13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
    13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
    1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12],
  [7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
    13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
    10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
    3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14],
  [2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
    14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
    4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
    11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3],
  [12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
    10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
    9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
    4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13],
  [4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
    13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
    1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
    6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12],
  [13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
    1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
    7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
    2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11],
];

/** Applies P (32 → 32 bits) to a 32-bit value. */
function permute32(x: number): number {
  let out = 0;
  for (let j = 0; j < 32; j++) out |= ((x >>> (32 - P[j])) & 1) << (31 - j);
  return out;
}

/**
 * Combined S-box + P table: entry `i * 64 + v` is P applied to S-box i's output for the 6-bit
 * input v (b1..b6 = bit 5..bit 0 of v; row = b1b6, column = b2b3b4b5).
 */
function spTable(): Int32Array {
  const sp = new Int32Array(8 * 64);
  for (let i = 0; i < 8; i++) {
    for (let v = 0; v < 64; v++) {
      const row = ((v >>> 4) & 2) | (v & 1);
      const col = (v >>> 1) & 15;
      sp[i * 64 + v] = permute32(SBOXES[i][row * 16 + col] << (28 - 4 * i));
    }
  }
  return sp;
}

/**
 * Byte-indexed tables for a 64-bit permutation: entry `(p * 256 + v) * 2` (+1) holds the high
 * (low) output word contributed by byte value v at input byte position p.
 */
function permutationTable(table: readonly number[]): Int32Array {
  const t = new Int32Array(8 * 256 * 2);
  for (let p = 0; p < 8; p++) {
    for (let v = 0; v < 256; v++) {
      let hi = 0;
      let lo = 0;
      for (let j = 0; j < 64; j++) {
        const src = table[j] - 1;
        if ((src >>> 3) !== p) continue;
        if (((v >>> (7 - (src & 7))) & 1) === 0) continue;
        if (j < 32) hi |= 1 << (31 - j);
        else lo |= 1 << (63 - j);
      }
      t[(p * 256 + v) * 2] = hi;
      t[(p * 256 + v) * 2 + 1] = lo;
    }
  }
  return t;
}

/** The S-box/P table and the initial and final permutation tables. */
interface DesTables {
  sp: Int32Array;
  ip: Int32Array;
  fp: Int32Array;
}

let tables: DesTables | undefined;

/**
 * Built by the first cipher, not at import: a server that loads every method for detection
 * but never meets a 3DES client skips the 260 000-step loops (several ms while V8 interprets).
 */
function desTables(): DesTables {
  if (tables !== undefined) return tables;
  const inv = new Array<number>(64);
  for (let j = 0; j < 64; j++) inv[IP[j] - 1] = j + 1;
  tables = { sp: spTable(), ip: permutationTable(IP), fp: permutationTable(inv) };
  return tables;
}

/** The 16 round keys of one DES key, each as eight 6-bit chunks: 128 values. */
function desSubkeys(key: Uint8Array, off: number): Uint8Array {
  const bit = (n: number) => (key[off + ((n - 1) >>> 3)] >>> (7 - ((n - 1) & 7))) & 1;
  const cd = PC1.map(bit);
  const out = new Uint8Array(16 * 8);
  let c = cd.slice(0, 28);
  let d = cd.slice(28);
  for (let r = 0; r < 16; r++) {
    const s = SHIFTS[r];
    c = c.slice(s).concat(c.slice(0, s));
    d = d.slice(s).concat(d.slice(0, s));
    const joined = c.concat(d);
    for (let j = 0; j < 48; j++) {
      out[r * 8 + (j / 6 | 0)] |= joined[PC2[j] - 1] << (5 - (j % 6));
    }
  }
  return out;
}

/** Triple DES EDE with a 24-byte key k1 ‖ k2 ‖ k3: E_k3(D_k2(E_k1(block))). */
export class TripleDes implements BlockCipher {
  readonly blockSize = 8;
  /** 48 round keys (16 per stage, stage 2 reversed for decryption), 8 chunks each. */
  readonly #k = new Int32Array(48 * 8);
  readonly #tables = desTables();

  constructor(key: Uint8Array) {
    if (key.length !== 24) throw new RangeError(`3DES key must be 24 bytes, got ${key.length}`);
    const k1 = desSubkeys(key, 0);
    const k2 = desSubkeys(key, 8);
    const k3 = desSubkeys(key, 16);
    for (let r = 0; r < 16; r++) {
      for (let j = 0; j < 8; j++) {
        this.#k[r * 8 + j] = k1[r * 8 + j];
        this.#k[(16 + r) * 8 + j] = k2[(15 - r) * 8 + j];
        this.#k[(32 + r) * 8 + j] = k3[r * 8 + j];
      }
    }
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const ip = this.#tables.ip;
    let l = 0;
    let r = 0;
    for (let p = 0; p < 8; p++) {
      const e = (p * 256 + src[srcOff + p]) * 2;
      l |= ip[e];
      r |= ip[e + 1];
    }
    const k = this.#k;
    const sp = this.#tables.sp;
    for (let stage = 0; stage < 3; stage++) {
      for (let round = 0; round < 16; round++) {
        const o = (stage * 16 + round) * 8;
        // E(R): chunk i is bits 4i-1 .. 4i+4 (0-based from the top, cyclic).
        const f = sp[((r << 31) | (r >>> 1)) >>> 26 ^ k[o]] ^
          sp[64 + ((((r << 3) | (r >>> 29)) >>> 26) ^ k[o + 1])] ^
          sp[128 + ((((r << 7) | (r >>> 25)) >>> 26) ^ k[o + 2])] ^
          sp[192 + ((((r << 11) | (r >>> 21)) >>> 26) ^ k[o + 3])] ^
          sp[256 + ((((r << 15) | (r >>> 17)) >>> 26) ^ k[o + 4])] ^
          sp[320 + ((((r << 19) | (r >>> 13)) >>> 26) ^ k[o + 5])] ^
          sp[384 + ((((r << 23) | (r >>> 9)) >>> 26) ^ k[o + 6])] ^
          sp[448 + ((((r << 27) | (r >>> 5)) >>> 26) ^ k[o + 7])];
        const t = l ^ f;
        l = r;
        r = t;
      }
      // Each DES ends by swapping the halves; FP followed by the next stage's IP cancels out.
      const t = l;
      l = r;
      r = t;
    }
    const fp = this.#tables.fp;
    let hi = 0;
    let lo = 0;
    for (let p = 0; p < 4; p++) {
      const e = (p * 256 + ((l >>> (24 - 8 * p)) & 0xff)) * 2;
      hi |= fp[e];
      lo |= fp[e + 1];
    }
    for (let p = 0; p < 4; p++) {
      const e = ((p + 4) * 256 + ((r >>> (24 - 8 * p)) & 0xff)) * 2;
      hi |= fp[e];
      lo |= fp[e + 1];
    }
    dst[dstOff] = hi >>> 24;
    dst[dstOff + 1] = hi >>> 16;
    dst[dstOff + 2] = hi >>> 8;
    dst[dstOff + 3] = hi;
    dst[dstOff + 4] = lo >>> 24;
    dst[dstOff + 5] = lo >>> 16;
    dst[dstOff + 6] = lo >>> 8;
    dst[dstOff + 7] = lo;
  }
}
