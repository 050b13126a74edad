/**
 * A bit-at-a-time reflected CRC-32, straight from the definition: the tests' reference for the
 * table-driven CRC-32/IEEE (lib/crypt) and CRC-32C (lib/snappy). Not part of the library.
 *
 * @module
 */

/** Reversed polynomial of CRC-32/IEEE. */
export const CRC32_IEEE_POLY = 0xedb88320;
/** Reversed polynomial of CRC-32C (Castagnoli). */
export const CRC32C_POLY = 0x82f63b78;

/** CRC-32 of `buf` with the reversed polynomial `poly` (init and final xor 0xffffffff). */
export function bitwiseCrc32(buf: Uint8Array, poly: number): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
