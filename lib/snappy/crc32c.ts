/**
 * CRC-32C (Castagnoli) and the snappy framing format's checksum mask.
 *
 * The snappy framing format stores, in front of every data chunk, a masked CRC-32C of the
 * chunk's uncompressed bytes (kcptun-wire.md §6.2).
 *
 * @module
 */

/** Reflected Castagnoli polynomial. */
const CASTAGNOLI_REFLECTED = 0x82f63b78;

/** Constant added by the snappy checksum mask. */
const MASK_DELTA = 0xa282ead8;

/** Bytes consumed per step of the main loop. */
const SLICES = 16;

/**
 * Slicing-by-16 tables: sixteen 256-entry tables back to back. Table 0 is the classic bytewise
 * table; table k advances a byte that sits k positions before the end of a 16-byte group.
 * Built once at module load (pure computation, a few µs of work, never mutated after).
 */
const TABLES: Int32Array = buildTables();

/** The word loop reads 32-bit little-endian words through an Int32Array view. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Shortest input for which making a word view pays off. */
const WORD_MIN = 64;

function buildTables(): Int32Array {
  const t = new Int32Array(SLICES * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI_REFLECTED : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < SLICES; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

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
  if (end > buf.length) end = buf.length;
  if (start < 0) start = 0;
  const t = TABLES;
  let crc = -1;
  let i = start;
  if (LITTLE_ENDIAN && end - i >= WORD_MIN) {
    // bytes up to a 4-byte boundary, then 16 bytes per step as four aligned 32-bit loads
    // (about 1.9× the byte-load slicing-by-8 loop in V8)
    while (((buf.byteOffset + i) & 3) !== 0) crc = t[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
    const words = ((end - i) >>> 4) << 2;
    const w = new Int32Array(buf.buffer, buf.byteOffset + i, words);
    for (let k = 0; k < words; k += 4) {
      const a = crc ^ w[k];
      const b = w[k + 1];
      const c = w[k + 2];
      const d = w[k + 3];
      crc = t[3840 + (a & 0xff)] ^ t[3584 + ((a >>> 8) & 0xff)] ^
        t[3328 + ((a >>> 16) & 0xff)] ^ t[3072 + (a >>> 24)] ^
        t[2816 + (b & 0xff)] ^ t[2560 + ((b >>> 8) & 0xff)] ^
        t[2304 + ((b >>> 16) & 0xff)] ^ t[2048 + (b >>> 24)] ^
        t[1792 + (c & 0xff)] ^ t[1536 + ((c >>> 8) & 0xff)] ^
        t[1280 + ((c >>> 16) & 0xff)] ^ t[1024 + (c >>> 24)] ^
        t[768 + (d & 0xff)] ^ t[512 + ((d >>> 8) & 0xff)] ^
        t[256 + ((d >>> 16) & 0xff)] ^ t[d >>> 24];
    }
    i += words << 2;
  }
  while (i < end) crc = t[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
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
