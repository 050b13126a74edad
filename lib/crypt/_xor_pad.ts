/**
 * kcp-go's xor crypt: a fixed pad derived from pass.
 *
 * @module
 */

import { pbkdf2Sha1 } from "./_pbkdf2_sha1.ts";
import { xorInto } from "./_xor_bytes.ts";

/** kcp-go's `mtuLimit`: the XOR pad length. */
const XOR_PAD_LENGTH = 1500;
const XOR_SALT = "sH3CIVoF#rWLtJo6";
const XOR_ITERATIONS = 32;

/**
 * kcp-go's `simpleXORBlockCrypt`: byte i of the datagram is XORed with a fixed pad
 * PBKDF2-HMAC-SHA1(pass, "sH3CIVoF#rWLtJo6", 32, 1500)[i]. Bytes past 1500 (never sent by
 * kcptun) are left as they are, as kcp-go's xor.Bytes does.
 */
export class XorPadCrypt {
  readonly #pad: Uint8Array;

  constructor(key: Uint8Array) {
    const salt = new TextEncoder().encode(XOR_SALT);
    this.#pad = pbkdf2Sha1(key, salt, XOR_ITERATIONS, XOR_PAD_LENGTH);
  }

  /** Encrypts `buf[0, len)` in place (the same operation as decryption). */
  encrypt(buf: Uint8Array, len: number = buf.length): void {
    xorInto(buf, 0, this.#pad, 0, len < XOR_PAD_LENGTH ? len : XOR_PAD_LENGTH);
  }

  /** Decrypts `buf[0, len)` in place. */
  decrypt(buf: Uint8Array, len: number = buf.length): void {
    this.encrypt(buf, len);
  }
}
