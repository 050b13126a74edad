/**
 * The snappy block format: a byte-exact port of golang/snappy's encoder behaviour (the
 * `Encode`/`encodeBlock` of v0.0.2 and v1.0.0, which kcptun uses) and a bounds-checked decoder
 * with golang/snappy's acceptance rules.
 *
 * Why not snappyjs for encoding: its matcher differs from Go's (hash-table sizing, the
 * match-skipping step, the minimum block size and a floating-point hash multiply), so its output
 * only sometimes equals Go's. Why not for decoding: it accepts some corrupt blocks (a truncated
 * 1-byte-offset copy, a decoded length that does not match the header) and can loop on a
 * 4-byte literal length with the top bit set. Both points are pinned by tests.
 *
 * @module
 */

/** Largest uncompressed block the framing format puts in one chunk. */
export const MAX_BLOCK_SIZE = 65536;

/** Tag values in the low two bits of every element's first byte. */
const TAG_LITERAL = 0;
const TAG_COPY1 = 1;
const TAG_COPY2 = 2;

/**
 * golang/snappy keeps this many bytes of slack at the end of the input while matching
 * (`inputMargin`), and never runs the matcher on inputs shorter than 17 bytes
 * (`minNonLiteralBlockSize`); both change which copies are found, so they are kept.
 */
const INPUT_MARGIN = 15;
const MIN_NON_LITERAL_BLOCK_SIZE = 1 + 1 + INPUT_MARGIN;

/** Hash-table sizes range over 2^8 .. 2^14 entries, like Go's. */
const MIN_TABLE_BITS = 8;
const MAX_TABLE_BITS = 14;
/** Entries a matcher's hash table needs. */
export const HASH_TABLE_SIZE = 1 << MAX_TABLE_BITS;

/** Multiplier of Go's 32-bit multiplicative hash. */
const HASH_MUL = 0x1e35a7bd;

/** A block decoded cleanly. */
export const BLOCK_OK = 0;
/** The block is malformed (golang/snappy `ErrCorrupt`). */
export const BLOCK_CORRUPT = -1;

/**
 * Worst-case size of an encoded block for `n` input bytes (golang/snappy `MaxEncodedLen`).
 */
export function maxEncodedLen(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

/** Little-endian 32-bit load; signed, which is fine for equality tests and `Math.imul`. */
function load32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

/** Writes the literal `src[s, s+len)` (1 <= len <= 65536) at `dst[d]`; returns the new `d`. */
function emitLiteral(dst: Uint8Array, d: number, src: Uint8Array, s: number, len: number): number {
  const n = len - 1;
  if (n < 60) {
    dst[d++] = (n << 2) | TAG_LITERAL;
  } else if (n < 256) {
    dst[d++] = (60 << 2) | TAG_LITERAL;
    dst[d++] = n;
  } else {
    dst[d++] = (61 << 2) | TAG_LITERAL;
    dst[d++] = n & 0xff;
    dst[d++] = n >>> 8;
  }
  if (len <= 32) {
    for (let k = 0; k < len; k++) dst[d + k] = src[s + k];
  } else {
    dst.set(src.subarray(s, s + len), d);
  }
  return d + len;
}

/**
 * Writes a copy of `length` bytes from `offset` back (1 <= offset <= 65535, length >= 4).
 * Long copies are split as Go splits them: 64-byte pieces while at least 68 remain, then one
 * 60-byte piece if more than 64 remain, so the tail is never shorter than 4 bytes.
 */
function emitCopy(dst: Uint8Array, d: number, offset: number, length: number): number {
  const lo = offset & 0xff;
  const hi = offset >>> 8;
  while (length >= 68) {
    dst[d] = (63 << 2) | TAG_COPY2;
    dst[d + 1] = lo;
    dst[d + 2] = hi;
    d += 3;
    length -= 64;
  }
  if (length > 64) {
    dst[d] = (59 << 2) | TAG_COPY2;
    dst[d + 1] = lo;
    dst[d + 2] = hi;
    d += 3;
    length -= 60;
  }
  if (length >= 12 || offset >= 2048) {
    dst[d] = ((length - 1) << 2) | TAG_COPY2;
    dst[d + 1] = lo;
    dst[d + 2] = hi;
    return d + 3;
  }
  dst[d] = (hi << 5) | ((length - 4) << 2) | TAG_COPY1;
  dst[d + 1] = lo;
  return d + 2;
}

/** Writes `v` (< 2^32) as an unsigned LEB128 varint; returns the new `d`. */
function putUvarint(dst: Uint8Array, d: number, v: number): number {
  while (v >= 0x80) {
    dst[d++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  dst[d++] = v;
  return d;
}

/**
 * Encodes `src[start, end)` as one snappy block at `dst[d]`: the varint length, then the
 * elements. Output equals golang/snappy `Encode(nil, src[start:end])` byte for byte, including
 * its handling of inputs above {@link MAX_BLOCK_SIZE} (matched in independent 64 KiB pieces).
 *
 * @param table Scratch hash table of {@link HASH_TABLE_SIZE} entries (contents ignored).
 * @returns The index in `dst` after the block. `dst` needs `maxEncodedLen(end - start)` bytes
 *   of room from `d`.
 */
export function encodeBlock(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  d: number,
  table: Uint16Array,
): number {
  d = putUvarint(dst, d, end - start);
  for (let p = start; p < end; p += MAX_BLOCK_SIZE) {
    d = encodePiece(src, p, Math.min(p + MAX_BLOCK_SIZE, end), dst, d, table);
  }
  return d;
}

/** Elements for one non-empty piece of at most {@link MAX_BLOCK_SIZE} bytes. */
function encodePiece(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  d: number,
  table: Uint16Array,
): number {
  const len = end - start;
  if (len < MIN_NON_LITERAL_BLOCK_SIZE) return emitLiteral(dst, d, src, start, len);

  // Table size: the smallest power of two >= len, clamped to 2^8..2^14. Positions are stored
  // relative to `start`, so 16 bits suffice.
  let bits = MIN_TABLE_BITS;
  while (bits < MAX_TABLE_BITS && 1 << bits < len) bits++;
  const shift = 32 - bits;
  table.fill(0, 0, 1 << bits);

  const base = start;
  const sLimit = len - INPUT_MARGIN; // stop looking for matches past this (relative) index
  let nextEmit = 0; // first relative index not yet emitted
  let s = 1; // the block must start with a literal
  let nextHash = Math.imul(load32(src, base + s), HASH_MUL) >>> shift;

  let finished = false;
  while (!finished) {
    // Look for a 4-byte match. After 32 misses probe every 2nd byte, after 32 more every
    // 3rd, and so on ("skip" counts misses in units of 1/32 byte).
    let skip = 32;
    let nextS = s;
    let candidate = 0;
    do {
      s = nextS;
      const step = skip >>> 5;
      nextS = s + step;
      skip += step;
      if (nextS > sLimit) break;
      candidate = table[nextHash];
      table[nextHash] = s;
      nextHash = Math.imul(load32(src, base + nextS), HASH_MUL) >>> shift;
    } while (load32(src, base + s) !== load32(src, base + candidate));
    if (nextS > sLimit) break;

    // Bytes before the match go out as one literal.
    d = emitLiteral(dst, d, src, base + nextEmit, s - nextEmit);

    // Emit copies for as long as the bytes right after a copy match again.
    let matching = true;
    while (matching) {
      const matchStart = s;
      s += 4;
      let c = candidate + 4;
      while (s < len && src[base + c] === src[base + s]) {
        c++;
        s++;
      }
      d = emitCopy(dst, d, matchStart - candidate, s - matchStart);
      nextEmit = s;
      if (s >= sLimit) {
        finished = true;
        break;
      }

      // Record positions s-1 and s, and test s against what the table held for it.
      const prevHash = Math.imul(load32(src, base + s - 1), HASH_MUL) >>> shift;
      table[prevHash] = s - 1;
      const here = load32(src, base + s);
      const currHash = Math.imul(here, HASH_MUL) >>> shift;
      candidate = table[currHash];
      table[currHash] = s;
      if (here !== load32(src, base + candidate)) {
        s++;
        nextHash = Math.imul(load32(src, base + s), HASH_MUL) >>> shift;
        matching = false;
      }
    }
  }

  if (nextEmit < len) d = emitLiteral(dst, d, src, base + nextEmit, len - nextEmit);
  return d;
}

/**
 * Reads a block's varint header from `src[start, end)`.
 *
 * @returns The decoded length (0..2^32-1) and the header size packed as
 *   `length * 16 + headerSize`, or -1 if the varint is truncated, longer than Go accepts or
 *   above 2^32-1 (golang/snappy `decodedLen` → `ErrCorrupt`).
 */
export function readBlockHeader(src: Uint8Array, start: number, end: number): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10 && start + i < end; i++) {
    const b = src[start + i];
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      // Go's binary.Uvarint rejects a 10th byte > 1 (overflow); the 2^32 bound rejects that
      // and more, so one test covers both.
      if (v > 0xffffffff) return -1;
      return v * 16 + i + 1;
    }
    mul *= 128;
  }
  return -1;
}

/**
 * Decodes the elements in `src[s, sEnd)` into exactly `dst[d, dEnd)`, with golang/snappy's
 * rules: every element must lie inside the input, every copy offset must be 1..bytes written
 * so far, nothing may overrun `dEnd`, and the output must end exactly at `dEnd`.
 *
 * @returns {@link BLOCK_OK} or {@link BLOCK_CORRUPT}. Never throws.
 */
export function decodeBlockBody(
  src: Uint8Array,
  s: number,
  sEnd: number,
  dst: Uint8Array,
  d: number,
  dEnd: number,
): number {
  const dStart = d;
  while (s < sEnd) {
    const tag = src[s];
    let length: number;
    let offset: number;
    switch (tag & 3) {
      case TAG_LITERAL: {
        let x = tag >>> 2;
        if (x < 60) {
          s += 1;
        } else {
          const extra = x - 59; // 1..4 little-endian length bytes follow
          if (s + 1 + extra > sEnd) return BLOCK_CORRUPT;
          x = src[s + 1];
          if (extra > 1) x |= src[s + 2] << 8;
          if (extra > 2) x |= src[s + 3] << 16;
          if (extra > 3) x = (x | (src[s + 4] << 24)) >>> 0;
          s += 1 + extra;
        }
        length = x + 1;
        if (length > dEnd - d || length > sEnd - s) return BLOCK_CORRUPT;
        if (length <= 32) {
          for (let k = 0; k < length; k++) dst[d + k] = src[s + k];
        } else {
          dst.set(src.subarray(s, s + length), d);
        }
        d += length;
        s += length;
        continue;
      }
      case TAG_COPY1:
        if (s + 2 > sEnd) return BLOCK_CORRUPT;
        length = 4 + ((tag >>> 2) & 7);
        offset = ((tag & 0xe0) << 3) | src[s + 1];
        s += 2;
        break;
      case TAG_COPY2:
        if (s + 3 > sEnd) return BLOCK_CORRUPT;
        length = 1 + (tag >>> 2);
        offset = src[s + 1] | (src[s + 2] << 8);
        s += 3;
        break;
      default: // TAG_COPY4, a legacy form no current encoder emits
        if (s + 5 > sEnd) return BLOCK_CORRUPT;
        length = 1 + (tag >>> 2);
        offset = (src[s + 1] | (src[s + 2] << 8) | (src[s + 3] << 16) | (src[s + 4] << 24)) >>> 0;
        s += 5;
        break;
    }
    if (offset === 0 || offset > d - dStart || length > dEnd - d) return BLOCK_CORRUPT;
    if (offset >= length) {
      dst.copyWithin(d, d - offset, d - offset + length);
      d += length;
    } else {
      // Overlapping copy: the pattern of `offset` bytes repeats, so copy forwards bytewise.
      for (let k = 0; k < length; k++, d++) dst[d] = dst[d - offset];
    }
  }
  return d === dEnd ? BLOCK_OK : BLOCK_CORRUPT;
}
