/**
 * AES (FIPS-197) forward cipher in JavaScript, 32-bit T-table form, for AES-128/192/256.
 *
 * Used only where `node:crypto` has no suitable native mode: CFB encryption with AES-192 (Deno
 * lacks aes-192-cbc, and CFB encryption is inherently serial, so per-block native ECB calls
 * would be far slower). Tests also use it to cross-check the native path.
 *
 * @module
 */

import type { BlockCipher } from "./_cfb.ts";
import { readBE, writeBE } from "./_be.ts";

function xtime(b: number): number {
  return ((b << 1) ^ (b & 0x80 ? 0x11b : 0)) & 0xff;
}

/** S-box from the GF(2^8) inverse and the affine map; T0 = (2s, s, s, 3s) big-endian. */
const SBOX = new Uint8Array(256);
const T0 = new Int32Array(256);
const T1 = new Int32Array(256);
const T2 = new Int32Array(256);
const T3 = new Int32Array(256);
(() => {
  // Walk the multiplicative group with generator 3 to get logs and hence inverses.
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= xtime(x);
  }
  for (let b = 0; b < 256; b++) {
    const inv = b === 0 ? 0 : exp[(255 - log[b]) % 255];
    let s = inv;
    for (let r = 1; r <= 4; r++) s ^= ((inv << r) | (inv >>> (8 - r))) & 0xff;
    SBOX[b] = s ^ 0x63;
  }
  for (let b = 0; b < 256; b++) {
    const s = SBOX[b];
    const s2 = xtime(s);
    const t = (s2 << 24) | (s << 16) | (s << 8) | (s2 ^ s);
    T0[b] = t;
    T1[b] = (t >>> 8) | (t << 24);
    T2[b] = (t >>> 16) | (t << 16);
    T3[b] = (t >>> 24) | (t << 8);
  }
})();

/** AES encryption with a 16-, 24- or 32-byte key. */
export class SoftAes implements BlockCipher {
  readonly blockSize = 16;
  readonly #rk: Int32Array;
  readonly #rounds: number;

  constructor(key: Uint8Array) {
    const nk = key.length / 4;
    if (nk !== 4 && nk !== 6 && nk !== 8) {
      throw new RangeError(`AES key must be 16, 24 or 32 bytes, got ${key.length}`);
    }
    const rounds = nk + 6;
    const rk = new Int32Array(4 * (rounds + 1));
    for (let i = 0; i < nk; i++) rk[i] = readBE(key, 4 * i);
    let rcon = 1;
    for (let i = nk; i < rk.length; i++) {
      let t = rk[i - 1];
      if (i % nk === 0) {
        // RotWord, SubWord, Rcon.
        t = (SBOX[(t >>> 16) & 0xff] << 24) | (SBOX[(t >>> 8) & 0xff] << 16) |
          (SBOX[t & 0xff] << 8) | SBOX[t >>> 24];
        t ^= rcon << 24;
        rcon = xtime(rcon);
      } else if (nk > 6 && i % nk === 4) {
        t = (SBOX[t >>> 24] << 24) | (SBOX[(t >>> 16) & 0xff] << 16) |
          (SBOX[(t >>> 8) & 0xff] << 8) | SBOX[t & 0xff];
      }
      rk[i] = rk[i - nk] ^ t;
    }
    this.#rk = rk;
    this.#rounds = rounds;
  }

  /** The expanded key (4 × (rounds + 1) words); shared, do not modify. */
  get roundKeys(): Int32Array {
    return this.#rk;
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const rk = this.#rk;
    let s0 = readBE(src, srcOff) ^ rk[0];
    let s1 = readBE(src, srcOff + 4) ^ rk[1];
    let s2 = readBE(src, srcOff + 8) ^ rk[2];
    let s3 = readBE(src, srcOff + 12) ^ rk[3];
    let k = 4;
    for (let r = this.#rounds - 1; r > 0; r--) {
      const t0 = T0[s0 >>> 24] ^ T1[(s1 >>> 16) & 0xff] ^ T2[(s2 >>> 8) & 0xff] ^ T3[s3 & 0xff] ^
        rk[k];
      const t1 = T0[s1 >>> 24] ^ T1[(s2 >>> 16) & 0xff] ^ T2[(s3 >>> 8) & 0xff] ^ T3[s0 & 0xff] ^
        rk[k + 1];
      const t2 = T0[s2 >>> 24] ^ T1[(s3 >>> 16) & 0xff] ^ T2[(s0 >>> 8) & 0xff] ^ T3[s1 & 0xff] ^
        rk[k + 2];
      const t3 = T0[s3 >>> 24] ^ T1[(s0 >>> 16) & 0xff] ^ T2[(s1 >>> 8) & 0xff] ^ T3[s2 & 0xff] ^
        rk[k + 3];
      s0 = t0;
      s1 = t1;
      s2 = t2;
      s3 = t3;
      k += 4;
    }
    const S = SBOX;
    writeBE(
      dst,
      dstOff,
      ((S[s0 >>> 24] << 24) | (S[(s1 >>> 16) & 0xff] << 16) | (S[(s2 >>> 8) & 0xff] << 8) |
        S[s3 & 0xff]) ^ rk[k],
    );
    writeBE(
      dst,
      dstOff + 4,
      ((S[s1 >>> 24] << 24) | (S[(s2 >>> 16) & 0xff] << 16) | (S[(s3 >>> 8) & 0xff] << 8) |
        S[s0 & 0xff]) ^ rk[k + 1],
    );
    writeBE(
      dst,
      dstOff + 8,
      ((S[s2 >>> 24] << 24) | (S[(s3 >>> 16) & 0xff] << 16) | (S[(s0 >>> 8) & 0xff] << 8) |
        S[s1 & 0xff]) ^ rk[k + 2],
    );
    writeBE(
      dst,
      dstOff + 12,
      ((S[s3 >>> 24] << 24) | (S[(s0 >>> 16) & 0xff] << 16) | (S[(s1 >>> 8) & 0xff] << 8) |
        S[s2 & 0xff]) ^ rk[k + 3],
    );
  }
}

/**
 * kcp-go's AES-CFB encryption with the AES rounds fused into the CFB loop: the keystream stays
 * in four local words instead of going through a byte buffer per block.
 */
export class SoftAesCfbEncryptor {
  readonly #rk: Int32Array;
  readonly #rounds: number;
  /** E(IV) as four big-endian words. */
  readonly #first: Int32Array;

  constructor(key: Uint8Array, iv: Uint8Array) {
    const aes = new SoftAes(key);
    this.#rk = aes.roundKeys;
    this.#rounds = key.length / 4 + 6;
    const e = new Uint8Array(16);
    aes.encryptBlock(iv, 0, e, 0);
    this.#first = Int32Array.of(readBE(e, 0), readBE(e, 4), readBE(e, 8), readBE(e, 12));
  }

  /** Encrypts `buf[0, len)` in place. */
  encrypt(buf: Uint8Array, len: number = buf.length): void {
    const rk = this.#rk;
    const last = this.#rounds * 4;
    let k0 = this.#first[0];
    let k1 = this.#first[1];
    let k2 = this.#first[2];
    let k3 = this.#first[3];
    let off = 0;
    for (; off + 16 <= len; off += 16) {
      const c0 = readBE(buf, off) ^ k0;
      const c1 = readBE(buf, off + 4) ^ k1;
      const c2 = readBE(buf, off + 8) ^ k2;
      const c3 = readBE(buf, off + 12) ^ k3;
      writeBE(buf, off, c0);
      writeBE(buf, off + 4, c1);
      writeBE(buf, off + 8, c2);
      writeBE(buf, off + 12, c3);
      if (off + 16 === len) return;
      // Next keystream block: E(C_i).
      let s0 = c0 ^ rk[0];
      let s1 = c1 ^ rk[1];
      let s2 = c2 ^ rk[2];
      let s3 = c3 ^ rk[3];
      let k = 4;
      for (; k < last; k += 4) {
        const t0 = T0[s0 >>> 24] ^ T1[(s1 >>> 16) & 0xff] ^ T2[(s2 >>> 8) & 0xff] ^
          T3[s3 & 0xff] ^ rk[k];
        const t1 = T0[s1 >>> 24] ^ T1[(s2 >>> 16) & 0xff] ^ T2[(s3 >>> 8) & 0xff] ^
          T3[s0 & 0xff] ^ rk[k + 1];
        const t2 = T0[s2 >>> 24] ^ T1[(s3 >>> 16) & 0xff] ^ T2[(s0 >>> 8) & 0xff] ^
          T3[s1 & 0xff] ^ rk[k + 2];
        const t3 = T0[s3 >>> 24] ^ T1[(s0 >>> 16) & 0xff] ^ T2[(s1 >>> 8) & 0xff] ^
          T3[s2 & 0xff] ^ rk[k + 3];
        s0 = t0;
        s1 = t1;
        s2 = t2;
        s3 = t3;
      }
      const S = SBOX;
      k0 = ((S[s0 >>> 24] << 24) | (S[(s1 >>> 16) & 0xff] << 16) | (S[(s2 >>> 8) & 0xff] << 8) |
        S[s3 & 0xff]) ^ rk[k];
      k1 = ((S[s1 >>> 24] << 24) | (S[(s2 >>> 16) & 0xff] << 16) | (S[(s3 >>> 8) & 0xff] << 8) |
        S[s0 & 0xff]) ^ rk[k + 1];
      k2 = ((S[s2 >>> 24] << 24) | (S[(s3 >>> 16) & 0xff] << 16) | (S[(s0 >>> 8) & 0xff] << 8) |
        S[s1 & 0xff]) ^ rk[k + 2];
      k3 = ((S[s3 >>> 24] << 24) | (S[(s0 >>> 16) & 0xff] << 16) | (S[(s1 >>> 8) & 0xff] << 8) |
        S[s2 & 0xff]) ^ rk[k + 3];
    }
    // Trailing partial block: XOR with the leading bytes of the keystream block.
    for (let j = 0; off + j < len; j++) {
      const w = j < 4 ? k0 : j < 8 ? k1 : j < 12 ? k2 : k3;
      buf[off + j] ^= w >>> (24 - 8 * (j & 3));
    }
  }
}
