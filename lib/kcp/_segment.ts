/**
 * Private KCP segment record and its per-instance free list. Segments are plain mutable
 * objects with a byte buffer of fixed capacity; they move between the send queue, send
 * buffer, receive window and receive queue and come back to the pool when done, so a steady
 * transfer allocates nothing.
 *
 * @module
 */

/** Largest payload KCP ever builds itself: MTU limit 1500 minus the 24-byte header. */
export const MAX_SEGMENT_DATA = 1500 - 24;

/** `fastack` value meaning "already fast/early retransmitted; wait for the RTO" (kcp-go). */
export const FASTACK_DONE = 0xffffffff;

/** One KCP segment as the engine keeps it (header fields that vary per transmission are not stored). */
export class Segment {
  /** Sequence number (uint32). */
  sn = 0;
  /** Fragment countdown (message mode); 0 in stream mode. */
  frg = 0;
  /** Time of the last transmission (uint32 ms). */
  ts = 0;
  /** Retransmission timeout of this segment (ms). */
  rto = 0;
  /** Transmissions so far. */
  xmit = 0;
  /** Time (uint32 ms) at which the segment is retransmitted if still unacknowledged. */
  resendts = 0;
  /** ACKs seen for later segments sent no earlier than this one; FASTACK_DONE after a fast resend. */
  fastack = 0;
  /** Selectively acknowledged, waiting for `una` to pass it. */
  acked = false;
  /** Payload bytes used in `data`. */
  len = 0;
  /** Bytes of the payload already handed to the application (stream-mode partial reads). */
  readOffset = 0;
  /** Payload storage; capacity is `data.length`. */
  data: Uint8Array;

  constructor(capacity: number) {
    this.data = new Uint8Array(capacity);
  }
}

/** Free list of segments owned by one engine instance. */
export class SegmentPool {
  #free: Segment[] = [];

  /** A reset segment whose buffer holds at least `capacity` bytes. */
  acquire(capacity: number): Segment {
    const seg = this.#free.pop() ?? new Segment(MAX_SEGMENT_DATA);
    if (seg.data.length < capacity) seg.data = new Uint8Array(capacity);
    seg.sn = 0;
    seg.frg = 0;
    seg.ts = 0;
    seg.rto = 0;
    seg.xmit = 0;
    seg.resendts = 0;
    seg.fastack = 0;
    seg.acked = false;
    seg.len = 0;
    seg.readOffset = 0;
    return seg;
  }

  /** Give a segment back; the caller must not use it afterwards. */
  release(seg: Segment): void {
    // A segment with an oversized buffer (from an unusually long received segment) is dropped.
    if (seg.data.length <= MAX_SEGMENT_DATA) this.#free.push(seg);
  }
}
