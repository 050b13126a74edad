/**
 * kcp-go's `BlockCrypt`: the cipher that transforms a whole datagram in place, one per
 * `--crypt` method.
 *
 * @module
 */

import { selectBlockCrypt } from "./_select.ts";

/**
 * kcp-go BlockCrypt semantics: transform the WHOLE buffer in place (crypt.json vectors).
 *
 * For the CFB ciphers every call restarts from kcp-go's fixed IV; salsa20 keeps bytes [0, 8) in
 * clear as its nonce; xor applies a fixed 1500-byte pad; none leaves the bytes alone.
 */
export interface BlockCrypt {
  /** Encrypts all of `buf` in place. */
  encrypt(buf: Uint8Array): void;
  /** Decrypts all of `buf` in place. */
  decrypt(buf: Uint8Array): void;
}

/**
 * Every --crypt value kcptun accepts (2021 + latest), in help order.
 *
 * `null` and `aes-128-gcm` exist in latest kcptun only and have no {@link BlockCrypt}; use
 * `createPacketCrypt` for them.
 */
export const CRYPT_METHODS: readonly string[] = Object.freeze([
  "aes",
  "aes-128",
  "aes-192",
  "salsa20",
  "blowfish",
  "twofish",
  "cast5",
  "3des",
  "tea",
  "xtea",
  "xor",
  "sm4",
  "none",
  "null",
  "aes-128-gcm",
]);

/**
 * Block crypt for a CFB/stream/xor/none method; throws RangeError for null/aes-128-gcm/unknown.
 *
 * Keys are sliced from `pass` as kcptun does: all 32 bytes for aes, blowfish, twofish, salsa20
 * and xor; 24 for aes-192 and 3des; 16 for aes-128, cast5, tea, xtea and sm4. Objects keep
 * per-instance scratch state: use one per thread of work, never concurrently.
 *
 * @param method A `--crypt` name from {@link CRYPT_METHODS} other than `null`/`aes-128-gcm`.
 * @param pass The 32-byte master key from `deriveKey`.
 * @returns A new block crypt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBlockCrypt } from "./block_crypt.ts";
 * import { deriveKey } from "./kdf.ts";
 * const crypt = createBlockCrypt("aes", deriveKey("it's a secrect"));
 * const buf = new Uint8Array(37).fill(7);
 * crypt.encrypt(buf);
 * assert.notDeepEqual(buf, new Uint8Array(37).fill(7));
 * crypt.decrypt(buf);
 * assert.deepEqual(buf, new Uint8Array(37).fill(7));
 * ```
 */
export function createBlockCrypt(method: string, pass: Uint8Array): BlockCrypt {
  const crypt = selectBlockCrypt(method, pass);
  if (crypt !== undefined) return crypt;
  if (method === "null" || method === "aes-128-gcm") {
    throw new RangeError(`Crypt "${method}" has no block crypt; use createPacketCrypt`);
  }
  throw new RangeError(`Unknown crypt "${method}", expected one of ${CRYPT_METHODS.join(", ")}`);
}
