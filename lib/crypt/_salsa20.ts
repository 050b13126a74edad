/**
 * kcp-go's salsa20 crypt over @noble/ciphers' Salsa20.
 *
 * @module
 */

import { salsa20 } from "@noble/ciphers/salsa.js";

/** Bytes of the datagram sent in clear and used as the Salsa20 nonce. */
const SALSA_NONCE = 8;

/**
 * kcp-go's `salsa20BlockCrypt`: bytes [0, 8) are the nonce and stay in clear; bytes [8, len)
 * are XORed with the Salsa20/20 keystream (key = pass, 64-bit nonce, block counter from 0).
 * Noble XORs in place when input and output are the same view.
 */
export class Salsa20Crypt {
  readonly #key: Uint8Array;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError(`Salsa20 key must be 32 bytes, got ${key.length}`);
    this.#key = key.slice();
  }

  /** Encrypts `buf[0, len)` in place (the same operation as decryption). */
  encrypt(buf: Uint8Array, len: number = buf.length): void {
    if (len <= SALSA_NONCE) return;
    const body = buf.subarray(SALSA_NONCE, len);
    salsa20(this.#key, buf.subarray(0, SALSA_NONCE), body, body);
  }

  /** Decrypts `buf[0, len)` in place. */
  decrypt(buf: Uint8Array, len: number = buf.length): void {
    this.encrypt(buf, len);
  }
}
