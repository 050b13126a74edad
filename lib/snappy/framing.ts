/**
 * The snappy framing ("stream") format as kcptun's `CompStream` writes and reads it
 * (kcptun-wire.md §6): golang/snappy's `NewBufferedWriter` with a `Flush` after every `Write`,
 * and `NewReader`.
 *
 * Wire layout of one chunk: `type u8 | length u24 LE | body`, where `length` counts the body.
 * Data chunks (types 0x00 compressed, 0x01 uncompressed) start their body with the masked
 * CRC-32C of the uncompressed bytes, little-endian.
 *
 * @module
 */

import { crc32c, maskCrc } from "./crc32c.ts";
import {
  BLOCK_OK,
  decodeBlockBody,
  encodeBlock,
  HASH_TABLE_SIZE,
  MAX_BLOCK_SIZE,
  maxEncodedLen,
  readBlockHeader,
} from "./_block.ts";

/** Chunk type: snappy-compressed data. */
export const CHUNK_TYPE_COMPRESSED = 0x00;
/** Chunk type: raw data. */
export const CHUNK_TYPE_UNCOMPRESSED = 0x01;
/** Chunk type: padding, skipped by readers. */
export const CHUNK_TYPE_PADDING = 0xfe;
/** Chunk type: the stream identifier. */
export const CHUNK_TYPE_STREAM_IDENTIFIER = 0xff;

/** Bytes in a chunk header: type (1) and body length (3, little-endian). */
const CHUNK_HEADER_SIZE = 4;
/** Offsets inside a chunk header and a data chunk. */
const OFF_TYPE = 0;
const OFF_LENGTH = 1;
const OFF_CRC = 4;
const OFF_DATA = 8;
/** Bytes of masked CRC-32C at the start of a data chunk's body. */
const CHECKSUM_SIZE = 4;
/** Body of the stream identifier chunk: ASCII "sNaPpY". */
const MAGIC_BODY = [0x73, 0x4e, 0x61, 0x50, 0x70, 0x59] as const;
/**
 * Largest chunk body a reader accepts. golang/snappy reads bodies into a buffer of
 * `MaxEncodedLen(65536) + 4` = 76494 bytes and reports anything longer as unsupported.
 */
export const MAX_CHUNK_LENGTH = maxEncodedLen(MAX_BLOCK_SIZE) + CHECKSUM_SIZE;

/**
 * The stream identifier chunk `ff 06 00 00 73 4e 61 50 70 59` ("sNaPpY"), written once before
 * the first data chunk. A fresh copy: mutating it affects nothing else.
 */
export const STREAM_IDENTIFIER: Uint8Array = Uint8Array.of(0xff, 0x06, 0x00, 0x00, ...MAGIC_BODY);

/** Statuses returned by {@link SnappyFrameDecoder.push} and {@link SnappyFrameDecoder.end}. */
export const SnappyStatus = {
  /** No error (more input may be needed). */
  Ok: 0,
  /** The stream is malformed (golang/snappy `ErrCorrupt`). */
  Corrupt: -1,
  /** A reserved chunk type or an over-long chunk (golang/snappy `ErrUnsupported`). */
  Unsupported: -2,
} as const;

/** A value of {@link SnappyStatus}. */
export type SnappyStatusCode = typeof SnappyStatus[keyof typeof SnappyStatus];

/** Counters kept by a {@link SnappyFrameEncoder}. */
export interface SnappyEncoderCounters {
  /** Bytes passed to `encode`/`encodeInto`. */
  bytesIn: number;
  /** Framed bytes produced. */
  bytesOut: number;
  /** Data chunks written with a compressed body. */
  compressedChunks: number;
  /** Data chunks written with a raw body. */
  uncompressedChunks: number;
}

/**
 * Writes the framing format exactly like kcptun's `CompStream.Write` (golang/snappy
 * `Writer.Write` followed by `Flush`): the stream identifier before the very first chunk, then
 * one chunk per 65536 bytes of input, compressed only when that saves at least 1/8.
 *
 * Every byte equals what golang/snappy v0.0.2 and v1.0.0 produce, so captures of real kcptun
 * traffic can be reproduced.
 *
 * @example
 * ```ts
 * import { SnappyFrameEncoder } from "./framing.ts";
 * import assert from "node:assert/strict";
 * const enc = new SnappyFrameEncoder();
 * const syn = Uint8Array.of(1, 0, 0, 0, 3, 0, 0, 0); // smux v1 SYN, stream 3
 * const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
 * assert.equal(hex(enc.encode(syn)), "ff060000734e61507059" + "010c00004439ac2f" + "0100000003000000");
 * assert.equal(hex(enc.encode(syn)), "010c00004439ac2f0100000003000000"); // identifier only once
 * ```
 */
export class SnappyFrameEncoder {
  /** Running totals; reset never. */
  readonly counters: SnappyEncoderCounters = {
    bytesIn: 0,
    bytesOut: 0,
    compressedChunks: 0,
    uncompressedChunks: 0,
  };
  #wroteIdentifier = false;
  readonly #table = new Uint16Array(HASH_TABLE_SIZE);
  readonly #block = new Uint8Array(maxEncodedLen(MAX_BLOCK_SIZE));
  #out = new Uint8Array(0);

  /**
   * The most bytes one `encode` of `n` input bytes can produce: the identifier, an 8-byte
   * header per 65536-byte chunk, and the data (a chunk's body never exceeds its raw size + 4).
   */
  static maxEncodedLength(n: number): number {
    const chunks = Math.ceil(n / MAX_BLOCK_SIZE);
    return STREAM_IDENTIFIER.length + chunks * (CHUNK_HEADER_SIZE + CHECKSUM_SIZE) + n;
  }

  /** Whether the stream identifier has been written. */
  get wroteIdentifier(): boolean {
    return this.#wroteIdentifier;
  }

  /**
   * Frames `data` (one `CompStream.Write`) into `dst` at `offset`.
   *
   * @returns The number of bytes written; 0 for empty input (nothing at all is written, not
   *   even the identifier, like a Go `Flush` with nothing buffered).
   * @throws {RangeError} If `dst` has fewer than `maxEncodedLength(data.length)` bytes of room.
   */
  encodeInto(data: Uint8Array, dst: Uint8Array, offset = 0): number {
    const n = data.length;
    if (n === 0) return 0;
    const room = dst.length - offset;
    const need = SnappyFrameEncoder.maxEncodedLength(n);
    if (offset < 0 || room < need) {
      throw new RangeError(
        `Snappy output buffer must have ${need} bytes of room at offset ${offset}, got ${room}`,
      );
    }
    let d = offset;
    if (!this.#wroteIdentifier) {
      this.#wroteIdentifier = true;
      dst.set(STREAM_IDENTIFIER, d);
      d += STREAM_IDENTIFIER.length;
    }
    const block = this.#block;
    for (let p = 0; p < n; p += MAX_BLOCK_SIZE) {
      const end = Math.min(p + MAX_BLOCK_SIZE, n);
      const raw = end - p;
      const checksum = maskCrc(crc32c(data, p, end));
      // Inputs under 17 bytes encode as varint + literal tag + data, which is never 1/8
      // smaller: skip the encoder, the outcome is the same.
      const blockLen = raw < 17 ? raw + 2 : encodeBlock(data, p, end, block, 0, this.#table);
      let type: number = CHUNK_TYPE_COMPRESSED;
      let bodyLen = CHECKSUM_SIZE + blockLen;
      if (blockLen >= raw - (raw >>> 3)) {
        type = CHUNK_TYPE_UNCOMPRESSED;
        bodyLen = CHECKSUM_SIZE + raw;
      }
      dst[d + OFF_TYPE] = type;
      dst[d + OFF_LENGTH] = bodyLen & 0xff;
      dst[d + OFF_LENGTH + 1] = (bodyLen >>> 8) & 0xff;
      dst[d + OFF_LENGTH + 2] = bodyLen >>> 16;
      dst[d + OFF_CRC] = checksum & 0xff;
      dst[d + OFF_CRC + 1] = (checksum >>> 8) & 0xff;
      dst[d + OFF_CRC + 2] = (checksum >>> 16) & 0xff;
      dst[d + OFF_CRC + 3] = checksum >>> 24;
      if (type === CHUNK_TYPE_COMPRESSED) {
        dst.set(block.subarray(0, blockLen), d + OFF_DATA);
        this.counters.compressedChunks++;
      } else {
        dst.set(p === 0 && end === n ? data : data.subarray(p, end), d + OFF_DATA);
        this.counters.uncompressedChunks++;
      }
      d += CHUNK_HEADER_SIZE + bodyLen;
    }
    this.counters.bytesIn += n;
    this.counters.bytesOut += d - offset;
    return d - offset;
  }

  /**
   * Frames `data` (one `CompStream.Write`).
   *
   * @returns The framed bytes: a view into an internal buffer that the next call reuses, so
   *   copy or send it before calling again. Empty input gives an empty array.
   */
  encode(data: Uint8Array): Uint8Array {
    const need = SnappyFrameEncoder.maxEncodedLength(data.length);
    if (this.#out.length < need) {
      this.#out = new Uint8Array(Math.max(need, Math.min(this.#out.length * 2, 1 << 20)));
    }
    const len = this.encodeInto(data, this.#out, 0);
    return this.#out.subarray(0, len);
  }
}

/** Counters kept by a {@link SnappyFrameDecoder}. */
export interface SnappyDecoderCounters {
  /** Bytes passed to `push`. */
  bytesIn: number;
  /** Decoded bytes produced. */
  bytesOut: number;
  /** Compressed data chunks decoded. */
  compressedChunks: number;
  /** Uncompressed data chunks accepted. */
  uncompressedChunks: number;
  /** Stream identifier chunks seen. */
  identifierChunks: number;
  /** Padding and skippable (0x80..0xFE) chunks skipped. */
  skippedChunks: number;
  /** Streams found corrupt (0 or 1: errors are sticky). */
  corrupt: number;
  /** Streams found unsupported (0 or 1). */
  unsupported: number;
}

/**
 * Reads the framing format like golang/snappy's `Reader` (as kcptun's `CompStream.Read` uses
 * it), from bytes fed in any chunking.
 *
 * Rules (kcptun-wire.md §6.3): the first chunk must be the stream identifier and a later one
 * must also say "sNaPpY"; types 0x02..0x7F are unsupported; 0x80..0xFE are skipped; a body
 * longer than 76494 bytes is unsupported; a data chunk that decodes to more than 65536 bytes,
 * a malformed block or a checksum mismatch is corrupt. The first error is sticky.
 *
 * Buffer ownership: `push` never keeps a reference to its argument. Decoded bytes stay in an
 * internal buffer until `read`/`consume` takes them.
 *
 * @example
 * ```ts
 * import { SnappyFrameDecoder, SnappyStatus } from "./framing.ts";
 * import assert from "node:assert/strict";
 * const dec = new SnappyFrameDecoder();
 * const framed = Uint8Array.from(
 *   "ff060000734e61507059010c00004439ac2f0100000003000000".match(/../g)!,
 *   (h) => parseInt(h, 16),
 * );
 * assert.equal(dec.push(framed.subarray(0, 13)), SnappyStatus.Ok); // a partial chunk is fine
 * assert.equal(dec.available, 0);
 * assert.equal(dec.push(framed.subarray(13)), SnappyStatus.Ok);
 * const out = new Uint8Array(16);
 * assert.deepEqual(out.subarray(0, dec.read(out)), Uint8Array.of(1, 0, 0, 0, 3, 0, 0, 0));
 * assert.equal(new SnappyFrameDecoder().push(Uint8Array.of(1, 0, 0, 0)), SnappyStatus.Corrupt);
 * ```
 */
export class SnappyFrameDecoder {
  /** Running totals. */
  readonly counters: SnappyDecoderCounters = {
    bytesIn: 0,
    bytesOut: 0,
    compressedChunks: 0,
    uncompressedChunks: 0,
    identifierChunks: 0,
    skippedChunks: 0,
    corrupt: 0,
    unsupported: 0,
  };
  #status: SnappyStatusCode = SnappyStatus.Ok;
  #error: string | undefined = undefined;
  #seenFirstChunk = false;
  /** A chunk that arrived in pieces: its bytes so far. */
  readonly #stage = new Uint8Array(CHUNK_HEADER_SIZE + MAX_CHUNK_LENGTH);
  #stageLen = 0;
  /** Decoded bytes waiting to be read are `#out[#outStart, #outEnd)`. */
  #out = new Uint8Array(MAX_BLOCK_SIZE);
  #outStart = 0;
  #outEnd = 0;

  /** Decoded bytes ready to read. */
  get available(): number {
    return this.#outEnd - this.#outStart;
  }

  /** Bytes of an incomplete chunk held back until the rest arrives. */
  get pending(): number {
    return this.#stageLen;
  }

  /** 0, or the sticky negative status once the stream is broken. */
  get status(): SnappyStatusCode {
    return this.#status;
  }

  /** Why the stream is broken (sentence case), or undefined while it is fine. */
  get error(): string | undefined {
    return this.#error;
  }

  /**
   * Feeds stream bytes. Complete chunks are decoded at once; a trailing partial chunk is kept.
   *
   * @returns {@link SnappyStatus.Ok}, or a negative status once the stream is corrupt or
   *   unsupported (sticky: later calls return it again and decode nothing). Never throws.
   */
  push(bytes: Uint8Array): SnappyStatusCode {
    if (this.#status !== SnappyStatus.Ok) return this.#status;
    const n = bytes.length;
    this.counters.bytesIn += n;
    let p = 0;

    if (this.#stageLen > 0) {
      const stage = this.#stage;
      if (this.#stageLen < CHUNK_HEADER_SIZE) {
        while (this.#stageLen < CHUNK_HEADER_SIZE && p < n) stage[this.#stageLen++] = bytes[p++];
        if (this.#stageLen < CHUNK_HEADER_SIZE) return SnappyStatus.Ok;
        const st = this.#checkHeader(stage[OFF_TYPE], readLength(stage, 0));
        if (st !== SnappyStatus.Ok) return st;
      }
      const total = CHUNK_HEADER_SIZE + readLength(stage, 0);
      const take = Math.min(total - this.#stageLen, n - p);
      if (take > 0) stage.set(bytes.subarray(p, p + take), this.#stageLen);
      this.#stageLen += take;
      p += take;
      if (this.#stageLen < total) return SnappyStatus.Ok;
      this.#stageLen = 0;
      const st = this.#chunk(stage, 0, total);
      if (st !== SnappyStatus.Ok) return st;
    }

    while (n - p >= CHUNK_HEADER_SIZE) {
      const len = readLength(bytes, p);
      const st = this.#checkHeader(bytes[p + OFF_TYPE], len);
      if (st !== SnappyStatus.Ok) return st;
      if (n - p - CHUNK_HEADER_SIZE < len) break;
      const st2 = this.#chunk(bytes, p, CHUNK_HEADER_SIZE + len);
      if (st2 !== SnappyStatus.Ok) return st2;
      p += CHUNK_HEADER_SIZE + len;
    }
    if (p < n) {
      this.#stage.set(p === 0 ? bytes : bytes.subarray(p), 0);
      this.#stageLen = n - p;
    }
    return SnappyStatus.Ok;
  }

  /**
   * Declares the input finished. Like golang/snappy at EOF, ending inside a chunk is corrupt;
   * ending between chunks (or before any byte) is clean.
   *
   * @returns {@link SnappyStatus.Ok} or a negative status (sticky). Never throws.
   */
  end(): SnappyStatusCode {
    if (this.#status !== SnappyStatus.Ok) return this.#status;
    if (this.#stageLen > 0) {
      return this.#fail(
        SnappyStatus.Corrupt,
        `Snappy stream ends inside a chunk (${this.#stageLen} bytes of it received)`,
      );
    }
    return SnappyStatus.Ok;
  }

  /**
   * Moves up to `dst.length` decoded bytes into `dst`.
   *
   * @returns The number of bytes copied.
   */
  read(dst: Uint8Array): number {
    const n = Math.min(dst.length, this.#outEnd - this.#outStart);
    if (n === 0) return 0;
    dst.set(this.#out.subarray(this.#outStart, this.#outStart + n));
    this.consume(n);
    return n;
  }

  /**
   * A view of all decoded bytes not yet read, without copying. Valid until the next `push`,
   * `read` or `consume`.
   */
  peek(): Uint8Array {
    return this.#out.subarray(this.#outStart, this.#outEnd);
  }

  /** Drops the first `n` decoded bytes (clamped to `available`), e.g. after `peek`. */
  consume(n: number): void {
    this.#outStart += Math.max(0, Math.min(n, this.#outEnd - this.#outStart));
    if (this.#outStart === this.#outEnd) this.#outStart = this.#outEnd = 0;
  }

  #fail(status: SnappyStatusCode, message: string): SnappyStatusCode {
    this.#status = status;
    this.#error = message;
    if (status === SnappyStatus.Corrupt) this.counters.corrupt++;
    else this.counters.unsupported++;
    this.#stageLen = 0;
    return status;
  }

  /** Checks what can be checked from a chunk header alone, as soon as it is known. */
  #checkHeader(type: number, len: number): SnappyStatusCode {
    if (!this.#seenFirstChunk) {
      if (type !== CHUNK_TYPE_STREAM_IDENTIFIER) {
        return this.#fail(
          SnappyStatus.Corrupt,
          "Snappy stream does not start with the stream identifier",
        );
      }
      this.#seenFirstChunk = true;
    }
    if (len > MAX_CHUNK_LENGTH) {
      return this.#fail(
        SnappyStatus.Unsupported,
        `Snappy chunk length must be at most ${MAX_CHUNK_LENGTH}, got ${len}`,
      );
    }
    if (type === CHUNK_TYPE_COMPRESSED || type === CHUNK_TYPE_UNCOMPRESSED) {
      if (len < CHECKSUM_SIZE) {
        return this.#fail(
          SnappyStatus.Corrupt,
          `Snappy data chunk is shorter than its checksum: length ${len}`,
        );
      }
      if (type === CHUNK_TYPE_UNCOMPRESSED && len - CHECKSUM_SIZE > MAX_BLOCK_SIZE) {
        return this.#fail(
          SnappyStatus.Corrupt,
          `Snappy uncompressed chunk must hold at most ${MAX_BLOCK_SIZE} bytes, got ${
            len - CHECKSUM_SIZE
          }`,
        );
      }
    } else if (type === CHUNK_TYPE_STREAM_IDENTIFIER) {
      if (len !== MAGIC_BODY.length) {
        return this.#fail(
          SnappyStatus.Corrupt,
          `Snappy stream identifier chunk must have length 6, got ${len}`,
        );
      }
    } else if (type < 0x80) {
      return this.#fail(
        SnappyStatus.Unsupported,
        `Snappy chunk type 0x${type.toString(16).padStart(2, "0")} is reserved`,
      );
    }
    return SnappyStatus.Ok;
  }

  /** Handles one complete chunk `buf[p, p+total)` whose header passed `#checkHeader`. */
  #chunk(buf: Uint8Array, p: number, total: number): SnappyStatusCode {
    const type = buf[p + OFF_TYPE];
    const end = p + total;
    if (type === CHUNK_TYPE_COMPRESSED) {
      const header = readBlockHeader(buf, p + OFF_DATA, end);
      if (header < 0) {
        return this.#fail(SnappyStatus.Corrupt, "Snappy block length header is malformed");
      }
      const n = Math.floor(header / 16);
      if (n > MAX_BLOCK_SIZE) {
        return this.#fail(
          SnappyStatus.Corrupt,
          `Snappy compressed chunk must decode to at most ${MAX_BLOCK_SIZE} bytes, got ${n}`,
        );
      }
      this.#reserve(n);
      const d = this.#outEnd;
      const st = decodeBlockBody(buf, p + OFF_DATA + (header % 16), end, this.#out, d, d + n);
      if (st !== BLOCK_OK) {
        return this.#fail(SnappyStatus.Corrupt, "Snappy compressed chunk holds a corrupt block");
      }
      if (readU32(buf, p + OFF_CRC) !== maskCrc(crc32c(this.#out, d, d + n))) {
        return this.#fail(SnappyStatus.Corrupt, "Snappy chunk checksum does not match its data");
      }
      this.#outEnd = d + n;
      this.counters.bytesOut += n;
      this.counters.compressedChunks++;
    } else if (type === CHUNK_TYPE_UNCOMPRESSED) {
      const start = p + OFF_DATA;
      if (readU32(buf, p + OFF_CRC) !== maskCrc(crc32c(buf, start, end))) {
        return this.#fail(SnappyStatus.Corrupt, "Snappy chunk checksum does not match its data");
      }
      const n = end - start;
      this.#reserve(n);
      this.#out.set(buf.subarray(start, end), this.#outEnd);
      this.#outEnd += n;
      this.counters.bytesOut += n;
      this.counters.uncompressedChunks++;
    } else if (type === CHUNK_TYPE_STREAM_IDENTIFIER) {
      for (let i = 0; i < MAGIC_BODY.length; i++) {
        if (buf[p + CHUNK_HEADER_SIZE + i] !== MAGIC_BODY[i]) {
          return this.#fail(
            SnappyStatus.Corrupt,
            'Snappy stream identifier chunk does not say "sNaPpY"',
          );
        }
      }
      this.counters.identifierChunks++;
    } else {
      this.counters.skippedChunks++;
    }
    return SnappyStatus.Ok;
  }

  /** Makes room for `n` more decoded bytes after `#outEnd`. */
  #reserve(n: number): void {
    if (this.#out.length - this.#outEnd >= n) return;
    if (this.#outStart > 0) {
      this.#out.copyWithin(0, this.#outStart, this.#outEnd);
      this.#outEnd -= this.#outStart;
      this.#outStart = 0;
      if (this.#out.length - this.#outEnd >= n) return;
    }
    const grown = new Uint8Array(Math.max(this.#out.length * 2, this.#outEnd + n));
    grown.set(this.#out.subarray(0, this.#outEnd));
    this.#out = grown;
  }
}

/** The 24-bit little-endian body length of the chunk header at `b[p]`. */
function readLength(b: Uint8Array, p: number): number {
  return b[p + OFF_LENGTH] | (b[p + OFF_LENGTH + 1] << 8) | (b[p + OFF_LENGTH + 2] << 16);
}

/** Unsigned 32-bit little-endian load. */
function readU32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}
