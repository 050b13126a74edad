/**
 * `node:crypto` and `node:zlib`'s `crc32`, loaded on first use instead of at import.
 *
 * A static `import "node:…"` makes every process set up Deno's Node compatibility layer at
 * start-up: several MB of resident memory (measured with `scripts/rss_probe.ts`), paid even by
 * an idle process and by every process on the OpenSSL path, which never calls `node:crypto`.
 * `process.getBuiltinModule` (Node ≥ 22.3, Deno 2) loads a built-in synchronously, so callers
 * stay synchronous; each loader runs once per process.
 *
 * @module
 */

import type * as NodeCrypto from "node:crypto";

interface ProcessWithBuiltins {
  getBuiltinModule?(id: string): unknown;
}

function builtin(id: string): unknown {
  const process = (globalThis as { process?: ProcessWithBuiltins }).process;
  try {
    return process?.getBuiltinModule?.(id);
  } catch {
    return undefined;
  }
}

let crypto: typeof NodeCrypto | undefined;

/** The `node:crypto` module; throws a TypeError where the runtime cannot load it synchronously. */
export function nodeCrypto(): typeof NodeCrypto {
  if (crypto !== undefined) return crypto;
  const mod = builtin("node:crypto") as typeof NodeCrypto | undefined;
  if (mod === undefined || typeof mod.createCipheriv !== "function") {
    throw new TypeError("Cannot load node:crypto: this runtime has no process.getBuiltinModule");
  }
  crypto = mod;
  return mod;
}

/** `zlib.crc32(data, value?)` of Node ≥ 22.2 and Deno 2. */
export type NativeCrc32 = (data: Uint8Array, value?: number) => number;

/** `node:zlib`'s native `crc32`, or null where the runtime has none. */
export function nodeZlibCrc32(): NativeCrc32 | null {
  const zlib = builtin("node:zlib") as { crc32?: unknown } | undefined;
  return typeof zlib?.crc32 === "function" ? zlib.crc32 as NativeCrc32 : null;
}
