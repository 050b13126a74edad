/**
 * A growable FIFO of bytes: one contiguous buffer with a read and a write position. Appends
 * compact or grow so that, after any compaction, at least half the buffer is free (amortised
 * O(1) per byte). An emptied large buffer is released so idle streams hold little memory.
 *
 * @module
 */

const EMPTY = new Uint8Array(0);
/** Smallest buffer allocated once data arrives. */
const MIN_CAPACITY = 4096;
/** An emptied buffer larger than this is released. */
const KEEP_CAPACITY = 256 * 1024;

/** Byte FIFO used as a stream's receive buffer. */
export class ByteQueue {
  private buf: Uint8Array = EMPTY;
  private start = 0;
  private end = 0;

  /** Number of bytes queued. */
  get length(): number {
    return this.end - this.start;
  }

  /** Appends `src[off, off + n)`. */
  push(src: Uint8Array, off: number, n: number): void {
    if (n <= 0) return;
    if (this.end + n > this.buf.length) this.makeRoom(n);
    this.buf.set(n === src.length && off === 0 ? src : src.subarray(off, off + n), this.end);
    this.end += n;
  }

  /** Moves up to `dst.length` bytes into `dst`; returns how many. */
  read(dst: Uint8Array): number {
    const avail = this.end - this.start;
    const n = dst.length < avail ? dst.length : avail;
    if (n === 0) return 0;
    dst.set(this.buf.subarray(this.start, this.start + n));
    this.start += n;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      if (this.buf.length > KEEP_CAPACITY) this.buf = EMPTY;
    }
    return n;
  }

  /** Drops everything and releases the buffer. */
  clear(): void {
    this.buf = EMPTY;
    this.start = 0;
    this.end = 0;
  }

  private makeRoom(n: number): void {
    const live = this.end - this.start;
    const need = live + n;
    if (need * 2 <= this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      let cap = this.buf.length > MIN_CAPACITY ? this.buf.length : MIN_CAPACITY;
      while (cap < need * 2) cap *= 2;
      const next = new Uint8Array(cap);
      if (live > 0) next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
    }
    this.start = 0;
    this.end = live;
  }
}
