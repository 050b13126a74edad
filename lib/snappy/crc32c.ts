/**
 * CRC-32C (Castagnoli) and the snappy framing format's checksum mask.
 *
 * The snappy framing format stores, in front of every data chunk, a masked CRC-32C of the
 * chunk's uncompressed bytes (kcptun-wire.md §6.2).
 *
 * @module
 */

import { createCrc32 } from "../checksum/crc.ts";

/** Constant added by the snappy checksum mask. */
const MASK_DELTA = 0xa282ead8;

/** Reflected Castagnoli polynomial, through the shared loop of `lib/checksum/crc.ts`. */
const castagnoli = createCrc32(0x82f63b78);

/**
 * CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final XOR
 * 0xFFFFFFFF) of `buf[start, end)`, as an unsigned 32-bit number. Out-of-range bounds are
 * clamped to the buffer.
 *
 * @param buf Bytes to checksum.
 * @param start First byte (default 0).
 * @param end One past the last byte (default `buf.length`).
 * @returns The checksum, 0..0xFFFFFFFF.
 *
 * @example
 * ```ts
 * import { crc32c } from "./crc32c.ts";
 * import assert from "node:assert/strict";
 * assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
 * ```
 */
export function crc32c(buf: Uint8Array, start = 0, end: number = buf.length): number {
  return castagnoli(buf, start, end);
}

/**
 * The snappy framing format's checksum mask: rotate right by 15 bits, then add 0xA282EAD8
 * (mod 2^32).
 *
 * @param c An unmasked CRC-32C.
 * @returns The masked value, as stored (little-endian) in a chunk.
 *
 * @example
 * ```ts
 * import { crc32c, maskCrc } from "./crc32c.ts";
 * import assert from "node:assert/strict";
 * // The checksum of kcptun's first smux SYN frame (kcptun-wire.md §11.5).
 * const syn = Uint8Array.of(1, 0, 0, 0, 3, 0, 0, 0);
 * assert.equal(maskCrc(crc32c(syn)), 0x2fac3944);
 * ```
 */
export function maskCrc(c: number): number {
  return ((((c >>> 15) | (c << 17)) >>> 0) + MASK_DELTA) >>> 0;
}
