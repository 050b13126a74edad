/**
 * CAST-128 / CAST5 (RFC 2144) with a 128-bit key (16 rounds), forward direction only.
 *
 * @module
 */

import type { BlockCipher } from "./_cfb.ts";
import { CAST5_SBOXES_HEX } from "./_cast5_sboxes.ts";

const ROUNDS = 16;

/**
 * S1..S8 as one table: box n (1-based) starts at (n - 1) * 256. Parsed by the first cipher, not
 * at import (a server loads every method for detection and may never meet a CAST5 client).
 */
let S = new Int32Array(0);

function loadSboxes(): void {
  if (S.length !== 0) return;
  const t = new Int32Array(8 * 256);
  for (let i = 0; i < t.length; i++) t[i] = parseInt(CAST5_SBOXES_HEX.slice(i * 8, i * 8 + 8), 16);
  S = t;
}

function word(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

function setWord(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** S5..S8 lookups used by the key schedule. */
function s5(i: number): number {
  return S[1024 + i];
}
function s6(i: number): number {
  return S[1280 + i];
}
function s7(i: number): number {
  return S[1536 + i];
}
function s8(i: number): number {
  return S[1792 + i];
}

/** RFC 2144 §2.4: z0..zF from x0..xF. */
function zFromX(x: Uint8Array, z: Uint8Array): void {
  setWord(z, 0, word(x, 0) ^ s5(x[13]) ^ s6(x[15]) ^ s7(x[12]) ^ s8(x[14]) ^ s7(x[8]));
  setWord(z, 4, word(x, 8) ^ s5(z[0]) ^ s6(z[2]) ^ s7(z[1]) ^ s8(z[3]) ^ s8(x[10]));
  setWord(z, 8, word(x, 12) ^ s5(z[7]) ^ s6(z[6]) ^ s7(z[5]) ^ s8(z[4]) ^ s5(x[9]));
  setWord(z, 12, word(x, 4) ^ s5(z[10]) ^ s6(z[9]) ^ s7(z[11]) ^ s8(z[8]) ^ s6(x[11]));
}

/** RFC 2144 §2.4: x0..xF from z0..zF. */
function xFromZ(z: Uint8Array, x: Uint8Array): void {
  setWord(x, 0, word(z, 8) ^ s5(z[5]) ^ s6(z[7]) ^ s7(z[4]) ^ s8(z[6]) ^ s7(z[0]));
  setWord(x, 4, word(z, 0) ^ s5(x[0]) ^ s6(x[2]) ^ s7(x[1]) ^ s8(x[3]) ^ s8(z[2]));
  setWord(x, 8, word(z, 4) ^ s5(x[7]) ^ s6(x[6]) ^ s7(x[5]) ^ s8(x[4]) ^ s5(z[1]));
  setWord(x, 12, word(z, 12) ^ s5(x[10]) ^ s6(x[9]) ^ s7(x[11]) ^ s8(x[8]) ^ s6(z[3]));
}

/**
 * The four subkey groups of RFC 2144 §2.4, as byte indices into z (groups 0 and 2) or x
 * (groups 1 and 3). Subkey j of a group is S5[a] ^ S6[b] ^ S7[c] ^ S8[d] ^ S(5+j)[e].
 */
const SUBKEY_INDICES: readonly (readonly number[])[] = [
  [8, 9, 7, 6, 2, 10, 11, 5, 4, 6, 12, 13, 3, 2, 9, 14, 15, 1, 0, 12],
  [3, 2, 12, 13, 8, 1, 0, 14, 15, 13, 7, 6, 8, 9, 3, 5, 4, 10, 11, 7],
  [3, 2, 12, 13, 9, 1, 0, 14, 15, 12, 7, 6, 8, 9, 2, 5, 4, 10, 11, 6],
  [8, 9, 7, 6, 3, 10, 11, 5, 4, 7, 12, 13, 3, 2, 8, 14, 15, 1, 0, 13],
];

/** CAST-128 with a 16-byte key (the `cast5` crypt takes pass[0:16]). */
export class Cast5 implements BlockCipher {
  readonly blockSize = 8;
  /** Masking subkeys Km1..Km16. */
  readonly #km = new Int32Array(ROUNDS);
  /** Rotation subkeys Kr1..Kr16 (5 bits each). */
  readonly #kr = new Int32Array(ROUNDS);

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`CAST5 key must be 16 bytes, got ${key.length}`);
    loadSboxes();
    const x = key.slice();
    const z = new Uint8Array(16);
    const k = new Int32Array(32);
    let n = 0;
    for (let half = 0; half < 2; half++) {
      for (let g = 0; g < 4; g++) {
        const src = g % 2 === 0 ? z : x;
        if (g % 2 === 0) zFromX(x, z);
        else xFromZ(z, x);
        const idx = SUBKEY_INDICES[g];
        for (let j = 0; j < 4; j++) {
          const o = j * 5;
          k[n++] = s5(src[idx[o]]) ^ s6(src[idx[o + 1]]) ^ s7(src[idx[o + 2]]) ^
            s8(src[idx[o + 3]]) ^ S[(4 + j) * 256 + src[idx[o + 4]]];
        }
      }
    }
    for (let i = 0; i < ROUNDS; i++) {
      this.#km[i] = k[i];
      this.#kr[i] = k[ROUNDS + i] & 31;
    }
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const km = this.#km;
    const kr = this.#kr;
    const s = S;
    let l = word(src, srcOff);
    let r = word(src, srcOff + 4);
    let t: number;
    let v: number;
    // Rounds cycle through the three f types of RFC 2144 §2.2: 1, 2, 3, 1, 2, 3, …, 1.
    for (let i = 0;; i += 3) {
      // Type 1: I = (Km + D) <<< Kr; f = ((S1[Ia] ^ S2[Ib]) - S3[Ic]) + S4[Id].
      t = (km[i] + r) | 0;
      v = (t << kr[i]) | (t >>> (32 - kr[i]));
      t = l ^ ((((s[v >>> 24] ^ s[256 + ((v >>> 16) & 0xff)]) - s[512 + ((v >>> 8) & 0xff)]) |
        0) + s[768 + (v & 0xff)]);
      l = r;
      r = t;
      if (i === ROUNDS - 1) break;
      // Type 2: I = (Km ^ D) <<< Kr; f = ((S1[Ia] - S2[Ib]) + S3[Ic]) ^ S4[Id].
      t = km[i + 1] ^ r;
      v = (t << kr[i + 1]) | (t >>> (32 - kr[i + 1]));
      t = l ^ ((((s[v >>> 24] - s[256 + ((v >>> 16) & 0xff)]) | 0) +
        s[512 + ((v >>> 8) & 0xff)]) ^ s[768 + (v & 0xff)]);
      l = r;
      r = t;
      // Type 3: I = (Km - D) <<< Kr; f = ((S1[Ia] + S2[Ib]) ^ S3[Ic]) - S4[Id].
      t = (km[i + 2] - r) | 0;
      v = (t << kr[i + 2]) | (t >>> (32 - kr[i + 2]));
      t = l ^ ((((s[v >>> 24] + s[256 + ((v >>> 16) & 0xff)]) | 0) ^
        s[512 + ((v >>> 8) & 0xff)]) - s[768 + (v & 0xff)]);
      l = r;
      r = t;
    }
    setWord(dst, dstOff, r);
    setWord(dst, dstOff + 4, l);
  }
}
