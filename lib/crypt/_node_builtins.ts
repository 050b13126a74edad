/**
 * `node:crypto`, loaded on first use instead of at import.
 *
 * A static `import "node:…"` makes every process set up Deno's Node compatibility layer at
 * start-up: several MB of resident memory (measured with `scripts/rss_probe.ts`), paid even by
 * an idle process and by every process on the OpenSSL path, which never calls `node:crypto`.
 * `process.getBuiltinModule` (Node ≥ 22.3, Deno 2) loads a built-in synchronously, so callers
 * stay synchronous; the module is loaded once per process.
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
