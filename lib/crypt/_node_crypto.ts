/**
 * `node:crypto`, loaded on first use instead of at import.
 *
 * The AES and GCM crypts use `node:crypto` only where OpenSSL cannot be reached through FFI
 * (see `_openssl.ts`). A static `import "node:crypto"` would make every process set up Deno's
 * Node compatibility layer at start-up, several MB of resident memory it never uses on the
 * OpenSSL path. `process.getBuiltinModule` (Node ≥ 22.3, Deno 2) loads the module synchronously,
 * so the crypts' constructors stay synchronous; it is called from constructors only, never per
 * datagram.
 *
 * @module
 */

import type * as NodeCrypto from "node:crypto";

interface ProcessWithBuiltins {
  getBuiltinModule?(id: string): unknown;
}

let cached: typeof NodeCrypto | undefined;

/** The `node:crypto` module; throws a TypeError where the runtime cannot load it synchronously. */
export function nodeCrypto(): typeof NodeCrypto {
  if (cached !== undefined) return cached;
  const process = (globalThis as { process?: ProcessWithBuiltins }).process;
  const mod = process?.getBuiltinModule?.("node:crypto") as typeof NodeCrypto | undefined;
  if (mod === undefined || typeof mod.createCipheriv !== "function") {
    throw new TypeError("Cannot load node:crypto: this runtime has no process.getBuiltinModule");
  }
  cached = mod;
  return mod;
}
