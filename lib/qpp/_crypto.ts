/**
 * The few primitives QPP key setup needs, behind a small interface so the engine does not
 * depend on node:crypto directly.
 *
 * Nothing here loads a `node:` module at import: the tunnel imports QPP whether or not `--QPP`
 * is on, and a static `node:crypto` import would make every process set up Deno's Node
 * compatibility layer (several MB of resident memory, `scripts/rss_probe.ts`). PBKDF2-HMAC-SHA1
 * is lib/crypt's plain TypeScript one; HMAC-SHA256 and AES-256-ECB come from `node:crypto`
 * (native speed), loaded on the first key setup through lib/crypt's `nodeCrypto()`.
 *
 * @module
 */

import { nodeCrypto } from "../crypt/_node_builtins.ts";
import { pbkdf2Sha1 } from "../crypt/_pbkdf2_sha1.ts";

/** PBKDF2-HMAC-SHA1(`password`, `salt`, `iterations`, `length`); no `node:` module needed. */
export { pbkdf2Sha1 };

/** HMAC-SHA256 of `message` under `key`. Loads `node:crypto` on first use. */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(nodeCrypto().createHmac("sha256", key).update(message).digest());
}

/** Encrypts whole 16-byte blocks independently (ECB) under one fixed key. */
export interface EcbEncryptor {
  /** Returns the encryption of `blocks` (length a multiple of 16) as a new array. */
  encrypt(blocks: Uint8Array): Uint8Array;
}

/** AES-256-ECB without padding. The key must be 32 bytes. Loads `node:crypto` on first use. */
export function aes256Ecb(key: Uint8Array): EcbEncryptor {
  const cipher = nodeCrypto().createCipheriv("aes-256-ecb", key, null);
  cipher.setAutoPadding(false);
  return {
    encrypt(blocks: Uint8Array): Uint8Array {
      const out = cipher.update(blocks);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}
