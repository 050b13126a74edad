/** Big-endian 32-bit word access shared by the hand-written block ciphers. @module */

/** Reads the big-endian int32 at `b[o]`. */
export function readBE(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

/** Writes `v` big-endian at `b[o]`. */
export function writeBE(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}
