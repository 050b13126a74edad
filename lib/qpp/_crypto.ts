/**
 * The few primitives QPP key setup needs, behind a small interface so the engine does not
 * depend on node:crypto directly (it is used for native speed: Deno implements these in Rust).
 *
 * @module
 */

import { createCipheriv, createHmac, pbkdf2Sync } from "node:crypto";

/** PBKDF2-HMAC-SHA1. */
export function pbkdf2Sha1(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Uint8Array {
  return new Uint8Array(pbkdf2Sync(password, salt, iterations, length, "sha1"));
}

/** HMAC-SHA256 of `message` under `key`. */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(message).digest());
}

/** Encrypts whole 16-byte blocks independently (ECB) under one fixed key. */
export interface EcbEncryptor {
  /** Returns the encryption of `blocks` (length a multiple of 16) as a new array. */
  encrypt(blocks: Uint8Array): Uint8Array;
}

/** AES-256-ECB without padding. The key must be 32 bytes. */
export function aes256Ecb(key: Uint8Array): EcbEncryptor {
  const cipher = createCipheriv("aes-256-ecb", key, null);
  cipher.setAutoPadding(false);
  return {
    encrypt(blocks: Uint8Array): Uint8Array {
      const out = cipher.update(blocks);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}
