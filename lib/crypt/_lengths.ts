/**
 * Argument checks shared by the packet crypts.
 *
 * @module
 */

/** Throws a RangeError unless `payloadLen` plus `overhead` fits in `buf`. */
export function checkSealLength(buf: Uint8Array, payloadLen: number, overhead: number): void {
  if (!Number.isInteger(payloadLen) || payloadLen < 0 || payloadLen + overhead > buf.length) {
    throw new RangeError(
      `Payload length must be 0..${
        buf.length - overhead
      } for a ${buf.length}-byte buffer, got ${payloadLen}`,
    );
  }
}

/** True when `len` is a valid datagram length for `buf`. */
export function validLength(buf: Uint8Array, len: number): boolean {
  return Number.isInteger(len) && len >= 0 && len <= buf.length;
}
