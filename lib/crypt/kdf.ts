/**
 * kcptun's master key derivation (`--key` → "pass").
 *
 * @module
 */

import { pbkdf2Sha1 } from "./_pbkdf2_sha1.ts";

/** kcptun's PBKDF2 salt (`SALT` in kcptun's client/server main.go). */
const KCPTUN_SALT = "kcp-go";
const KCPTUN_ITERATIONS = 4096;
const KCPTUN_KEY_LENGTH = 32;

/**
 * PBKDF2-HMAC-SHA1(password UTF-8, salt "kcp-go", 4096, 32) — kcptun's master key ("pass").
 *
 * Every `--crypt` method takes its key from this value (a prefix of it, or all 32 bytes).
 * Computed in TypeScript (a few ms), so that loading this module does not pull in `node:crypto`.
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
  const te = new TextEncoder();
  return pbkdf2Sha1(
    te.encode(password),
    te.encode(KCPTUN_SALT),
    KCPTUN_ITERATIONS,
    KCPTUN_KEY_LENGTH,
  );
}
