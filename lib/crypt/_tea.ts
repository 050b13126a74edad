/**
 * TEA and XTEA block functions (64-bit block, 128-bit key, big-endian words), forward direction
 * only.
 *
 * @module
 */

import type { BlockCipher } from "./_cfb.ts";
import { readBE, writeBE } from "./_be.ts";

const DELTA = 0x9e3779b9 | 0;

/**
 * TEA with a configurable number of rounds, counted the way golang.org/x/crypto/tea counts them
 * (one round = one half of the classic two-line cycle). kcp-go uses 16 rounds, i.e. **8 cycles**
 * — not the standard 32 cycles — so a stock TEA does not interoperate.
 */
export class Tea implements BlockCipher {
  readonly blockSize = 8;
  readonly #k0: number;
  readonly #k1: number;
  readonly #k2: number;
  readonly #k3: number;
  readonly #cycles: number;

  constructor(key: Uint8Array, rounds: number) {
    if (key.length !== 16) throw new RangeError(`TEA key must be 16 bytes, got ${key.length}`);
    if (!Number.isInteger(rounds) || rounds <= 0 || rounds % 2 !== 0) {
      throw new RangeError(`TEA rounds must be a positive even integer, got ${rounds}`);
    }
    this.#k0 = readBE(key, 0);
    this.#k1 = readBE(key, 4);
    this.#k2 = readBE(key, 8);
    this.#k3 = readBE(key, 12);
    this.#cycles = rounds / 2;
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const k0 = this.#k0, k1 = this.#k1, k2 = this.#k2, k3 = this.#k3;
    let v0 = readBE(src, srcOff);
    let v1 = readBE(src, srcOff + 4);
    let sum = 0;
    for (let i = this.#cycles; i > 0; i--) {
      sum = (sum + DELTA) | 0;
      v0 = (v0 + ((((v1 << 4) + k0) | 0) ^ ((v1 + sum) | 0) ^ (((v1 >>> 5) + k1) | 0))) | 0;
      v1 = (v1 + ((((v0 << 4) + k2) | 0) ^ ((v0 + sum) | 0) ^ (((v0 >>> 5) + k3) | 0))) | 0;
    }
    writeBE(dst, dstOff, v0);
    writeBE(dst, dstOff + 4, v1);
  }
}

/** Standard XTEA: 64 rounds (32 cycles), big-endian block and key words. */
export class Xtea implements BlockCipher {
  readonly blockSize = 8;
  /** Per-round `sum + key[...]` values, precomputed as x/crypto/xtea does. */
  readonly #rk = new Int32Array(64);

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`XTEA key must be 16 bytes, got ${key.length}`);
    const k = [readBE(key, 0), readBE(key, 4), readBE(key, 8), readBE(key, 12)];
    let sum = 0;
    for (let i = 0; i < 64;) {
      this.#rk[i++] = (sum + k[sum & 3]) | 0;
      sum = (sum + DELTA) | 0;
      this.#rk[i++] = (sum + k[(sum >>> 11) & 3]) | 0;
    }
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const rk = this.#rk;
    let v0 = readBE(src, srcOff);
    let v1 = readBE(src, srcOff + 4);
    for (let i = 0; i < 64; i += 2) {
      v0 = (v0 + ((((v1 << 4) ^ (v1 >>> 5)) + v1) ^ rk[i])) | 0;
      v1 = (v1 + ((((v0 << 4) ^ (v0 >>> 5)) + v0) ^ rk[i + 1])) | 0;
    }
    writeBE(dst, dstOff, v0);
    writeBE(dst, dstOff + 4, v1);
  }
}
