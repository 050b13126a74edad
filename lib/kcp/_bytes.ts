/**
 * Private byte helpers for the KCP engine: fixed-width integer access in either byte order and
 * a copy that avoids creating a view for short runs.
 *
 * @module
 */

/** Runs shorter than this are copied byte by byte; longer ones use `TypedArray.set`. */
const SHORT_COPY = 48;

/** Read a uint16 at `off`, little-endian when `le`, else big-endian. */
export function getU16(b: Uint8Array, off: number, le: boolean): number {
  return le ? b[off] | (b[off + 1] << 8) : (b[off] << 8) | b[off + 1];
}

/** Read a uint32 at `off`, little-endian when `le`, else big-endian. */
export function getU32(b: Uint8Array, off: number, le: boolean): number {
  if (le) {
    return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
  }
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

/** Write the low 16 bits of `v` at `off`, little-endian when `le`, else big-endian. */
export function putU16(b: Uint8Array, off: number, v: number, le: boolean): void {
  if (le) {
    b[off] = v;
    b[off + 1] = v >>> 8;
  } else {
    b[off] = v >>> 8;
    b[off + 1] = v;
  }
}

/** Write `v` as a uint32 at `off`, little-endian when `le`, else big-endian. */
export function putU32(b: Uint8Array, off: number, v: number, le: boolean): void {
  if (le) {
    b[off] = v;
    b[off + 1] = v >>> 8;
    b[off + 2] = v >>> 16;
    b[off + 3] = v >>> 24;
  } else {
    b[off] = v >>> 24;
    b[off + 1] = v >>> 16;
    b[off + 2] = v >>> 8;
    b[off + 3] = v;
  }
}

/** Copy `n` bytes from `src[soff..]` to `dst[doff..]`. The ranges must be in bounds. */
export function copyBytes(
  dst: Uint8Array,
  doff: number,
  src: Uint8Array,
  soff: number,
  n: number,
): void {
  if (n < SHORT_COPY) {
    for (let i = 0; i < n; i++) dst[doff + i] = src[soff + i];
  } else {
    dst.set(src.subarray(soff, soff + n), doff);
  }
}
