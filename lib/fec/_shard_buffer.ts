/**
 * Shard storage with an allocation-free, word-at-a-time copy. Private helper of fec.ts.
 *
 * `Uint8Array.prototype.set` needs a source view of exactly the bytes to copy, and creating
 * that view (`subarray`) is an allocation per packet. A byte loop avoids it but is ~3× slower
 * than 32-bit moves. So each {@linkcode ShardBuffer} offers four views starting at byte
 * offsets 0..3 of its backing store; {@linkcode AlignedCopier} picks the view whose alignment
 * matches the source bytes and moves whole 32-bit words through Int32Array views of both
 * buffers. The source's word view is cached per backing ArrayBuffer (callers reuse one packet
 * buffer per session, so it is created once).
 *
 * @module
 */

/** Word size of the copy. */
const WORD = 4;

/** A reusable buffer for one shard of up to `capacity` bytes. */
export class ShardBuffer {
  /** The whole backing store, bytewise. */
  readonly bytes: Uint8Array;
  /** The whole backing store, by 32-bit word. */
  readonly words: Int32Array;
  /** `views[a]` = `capacity` bytes starting at byte offset `a` (0..3) of the backing store. */
  readonly views: readonly Uint8Array[];
  /** The view that received the last copy (its data is at `[0, len)`). */
  view: Uint8Array;

  constructor(capacity: number) {
    const buffer = new ArrayBuffer((capacity + 2 * WORD - 1) & ~(WORD - 1));
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
    const views: Uint8Array[] = [];
    for (let a = 0; a < WORD; a++) views.push(new Uint8Array(buffer, a, capacity));
    this.views = views;
    this.view = views[0];
  }
}

/** Copies byte ranges into {@linkcode ShardBuffer}s with 32-bit moves. */
export class AlignedCopier {
  #buffer: ArrayBufferLike | null = null;
  #bytes: Uint8Array = new Uint8Array(0);
  #words: Int32Array = new Int32Array(0);

  /**
   * Copy `src[srcOffset, srcOffset + len)` into `dst`; sets and returns `dst.view`, which
   * holds the bytes at `[0, len)`. `len` must not exceed the buffer's capacity.
   */
  copy(src: Uint8Array, srcOffset: number, len: number, dst: ShardBuffer): Uint8Array {
    const start = src.byteOffset + srcOffset;
    if (src.buffer !== this.#buffer || start + len > this.#bytes.length) this.#bind(src.buffer);
    const sBytes = this.#bytes, sWords = this.#words;
    const align = start & (WORD - 1);
    const dBytes = dst.bytes, dWords = dst.words;
    const head = Math.min((WORD - align) & (WORD - 1), len);
    let i = 0;
    for (; i < head; i++) dBytes[align + i] = sBytes[start + i];
    const words = (len - head) >>> 2;
    const sw = (start + head) >>> 2, dw = (align + head) >>> 2;
    for (let k = 0; k < words; k++) dWords[dw + k] = sWords[sw + k];
    for (i = head + words * WORD; i < len; i++) dBytes[align + i] = sBytes[start + i];
    dst.view = dst.views[align];
    return dst.view;
  }

  #bind(buffer: ArrayBufferLike): void {
    this.#buffer = buffer;
    this.#bytes = new Uint8Array(buffer);
    this.#words = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
  }
}
