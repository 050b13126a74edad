/**
 * Per-stream state of a smux session (private to `session.ts`).
 *
 * @module
 */

import { ByteQueue } from "./_byte_queue.ts";
import { SMUX_INITIAL_PEER_WINDOW } from "./frame.ts";

/** One stream's receive buffer, close flags and v2 flow-control counters (all u32). */
export class SmuxStreamState {
  /** Received, unread payload bytes. */
  readonly queue: ByteQueue = new ByteQueue();
  /** The peer's FIN arrived. */
  finReceived = false;
  /** Our FIN went out (closeWrite or closeStream). */
  finSent = false;
  /** A write was cut short by the v2 window; `writable` fires when a UPD opens it. */
  blocked = false;
  /** v2: bytes the application has read (wraps at 2^32). */
  numRead = 0;
  /** v2: bytes read since the last UPD we sent. */
  incr = 0;
  /** v2: payload bytes we have sent (wraps at 2^32). */
  numWritten = 0;
  /** v2: `consumed` from the peer's last UPD. */
  peerConsumed = 0;
  /** v2: `window` from the peer's last UPD. */
  peerWindow: number = SMUX_INITIAL_PEER_WINDOW;
}
