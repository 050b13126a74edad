/**
 * CRC-32/IEEE (zlib's `crc32`, reflected polynomial 0xEDB88320, init and xorout 0xFFFFFFFF),
 * the checksum kcp-go stores at bytes 16..19 of every CFB/salsa20/xor/none datagram.
 *
 * Computed by libdeflate where it is installed and FFI is allowed (`lib/checksum/_libdeflate.ts`,
 * about 0.15 µs per 1330-byte payload), else by the shared slicing-by-16 loop of
 * `lib/checksum/crc.ts` (about 0.6 µs). `node:zlib`'s native `crc32` is not used: loading it
 * sets up Deno's Node compatibility layer, 9–14 MB more peak memory per client+server pair
 * measured in `deno task bench:compare`.
 *
 * @module
 */

import { type Crc32Function, createCrc32 } from "../checksum/crc.ts";
import { loadLibdeflateCrc32 } from "../checksum/_libdeflate.ts";

const ieee = createCrc32(0xedb88320);
/** Chosen on first use, so that importing this module never touches FFI or permissions. */
let impl: Crc32Function | undefined;

function choose(): Crc32Function {
  return impl = loadLibdeflateCrc32() ?? ieee;
}

/**
 * CRC-32/IEEE of `buf[start, end)`. Out-of-range bounds are clamped to the buffer.
 *
 * @param buf The bytes to checksum.
 * @param start First byte included (default 0).
 * @param end One past the last byte included (default `buf.length`).
 * @returns The CRC as a uint32.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc32 } from "./crc32.ts";
 * assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
 * ```
 */
export function crc32(buf: Uint8Array, start = 0, end: number = buf.length): number {
  return (impl ?? choose())(buf, start, end);
}

/**
 * Which implementation {@link crc32} uses in this process: `"libdeflate"` (native, see the
 * module doc) or `"js"`. Both give the same results.
 */
export function crc32Backend(): "libdeflate" | "js" {
  return (impl ?? choose()) === ieee ? "js" : "libdeflate";
}
