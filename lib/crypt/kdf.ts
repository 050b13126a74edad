/**
 * kcptun's master key derivation (`--key` → "pass").
 *
 * @module
 */

import { pbkdf2Sync } from "node:crypto";

/** kcptun's PBKDF2 salt (`SALT` in kcptun's client/server main.go). */
const KCPTUN_SALT = "kcp-go";
const KCPTUN_ITERATIONS = 4096;
const KCPTUN_KEY_LENGTH = 32;

/**
 * PBKDF2-HMAC-SHA1(password UTF-8, salt "kcp-go", 4096, 32) — kcptun's master key ("pass").
 *
 * Every `--crypt` method takes its key from this value (a prefix of it, or all 32 bytes).
 * Uses the native PBKDF2 of `node:crypto`.
 *
 * @param password The `--key` string (kcptun's default is `it's a secrect`).
 * @returns A fresh 32-byte key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deriveKey } from "./kdf.ts";
 * const pass = deriveKey("it's a secrect");
 * assert.equal(pass.length, 32);
 * assert.equal(pass[0], 0x25);
 * ```
 */
export function deriveKey(password: string): Uint8Array {
  if (typeof password !== "string") {
    throw new TypeError(`Password must be a string, got ${typeof password}`);
  }
  const key = pbkdf2Sync(password, KCPTUN_SALT, KCPTUN_ITERATIONS, KCPTUN_KEY_LENGTH, "sha1");
  return new Uint8Array(key.buffer, key.byteOffset, key.byteLength).slice();
}
