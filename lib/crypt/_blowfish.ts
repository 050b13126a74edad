/**
 * Blowfish (Schneier 1993): 64-bit block, 16 rounds, key of 4..56 bytes, forward direction only.
 *
 * @module
 */

import type { BlockCipher } from "./_cfb.ts";
import { PI_HEX_WORDS } from "./_blowfish_pi.ts";

const ROUNDS = 16;
const P_WORDS = ROUNDS + 2;
const S_WORDS = 4 * 256;

/** Blowfish with the standard key schedule; kcp-go passes the whole 32-byte pass as key. */
export class Blowfish implements BlockCipher {
  readonly blockSize = 8;
  readonly #p = new Int32Array(P_WORDS);
  /** The four S-boxes back to back: S0 at 0, S1 at 256, S2 at 512, S3 at 768. */
  readonly #s = new Int32Array(S_WORDS);
  readonly #lr = new Int32Array(2);

  constructor(key: Uint8Array) {
    if (key.length < 4 || key.length > 56) {
      throw new RangeError(`Blowfish key must be 4..56 bytes, got ${key.length}`);
    }
    const p = this.#p;
    const s = this.#s;
    for (let i = 0; i < P_WORDS; i++) p[i] = parseInt(PI_HEX_WORDS.slice(i * 8, i * 8 + 8), 16);
    for (let i = 0; i < S_WORDS; i++) {
      const at = (P_WORDS + i) * 8;
      s[i] = parseInt(PI_HEX_WORDS.slice(at, at + 8), 16);
    }
    // XOR the key, cycled as big-endian words, into the P-array.
    let k = 0;
    for (let i = 0; i < P_WORDS; i++) {
      let w = 0;
      for (let j = 0; j < 4; j++) {
        w = (w << 8) | key[k];
        k = (k + 1) % key.length;
      }
      p[i] ^= w;
    }
    // Replace P and then the S-boxes with successive encryptions of an all-zero block.
    const lr = this.#lr;
    lr[0] = 0;
    lr[1] = 0;
    for (let i = 0; i < P_WORDS; i += 2) {
      this.#encryptWords(lr);
      p[i] = lr[0];
      p[i + 1] = lr[1];
    }
    for (let i = 0; i < S_WORDS; i += 2) {
      this.#encryptWords(lr);
      s[i] = lr[0];
      s[i + 1] = lr[1];
    }
  }

  #encryptWords(lr: Int32Array): void {
    const p = this.#p;
    const s = this.#s;
    let l = lr[0];
    let r = lr[1];
    for (let i = 0; i < ROUNDS; i += 2) {
      l ^= p[i];
      r ^= (((s[l >>> 24] + s[256 + ((l >>> 16) & 0xff)]) ^ s[512 + ((l >>> 8) & 0xff)]) +
        s[768 + (l & 0xff)]) | 0;
      r ^= p[i + 1];
      l ^= (((s[r >>> 24] + s[256 + ((r >>> 16) & 0xff)]) ^ s[512 + ((r >>> 8) & 0xff)]) +
        s[768 + (r & 0xff)]) | 0;
    }
    lr[0] = r ^ p[ROUNDS + 1];
    lr[1] = l ^ p[ROUNDS];
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const p = this.#p;
    const s = this.#s;
    let l = (src[srcOff] << 24) | (src[srcOff + 1] << 16) | (src[srcOff + 2] << 8) |
      src[srcOff + 3];
    let r = (src[srcOff + 4] << 24) | (src[srcOff + 5] << 16) | (src[srcOff + 6] << 8) |
      src[srcOff + 7];
    for (let i = 0; i < ROUNDS; i += 2) {
      l ^= p[i];
      r ^= (((s[l >>> 24] + s[256 + ((l >>> 16) & 0xff)]) ^ s[512 + ((l >>> 8) & 0xff)]) +
        s[768 + (l & 0xff)]) | 0;
      r ^= p[i + 1];
      l ^= (((s[r >>> 24] + s[256 + ((r >>> 16) & 0xff)]) ^ s[512 + ((r >>> 8) & 0xff)]) +
        s[768 + (r & 0xff)]) | 0;
    }
    const outL = r ^ p[ROUNDS + 1];
    const outR = l ^ p[ROUNDS];
    dst[dstOff] = outL >>> 24;
    dst[dstOff + 1] = outL >>> 16;
    dst[dstOff + 2] = outL >>> 8;
    dst[dstOff + 3] = outL;
    dst[dstOff + 4] = outR >>> 24;
    dst[dstOff + 5] = outR >>> 16;
    dst[dstOff + 6] = outR >>> 8;
    dst[dstOff + 7] = outR;
  }
}
