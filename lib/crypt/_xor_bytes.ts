/**
 * XOR helper shared by the keystream-style crypts.
 *
 * @module
 */

/** `dst[dstOff + i] ^= src[srcOff + i]` for `i < n`; 32 bits at a time when both are aligned. */
export function xorInto(
  dst: Uint8Array,
  dstOff: number,
  src: Uint8Array,
  srcOff: number,
  n: number,
): void {
  let i = 0;
  const da = dst.byteOffset + dstOff;
  const sa = src.byteOffset + srcOff;
  if (n >= 64 && (da & 3) === 0 && (sa & 3) === 0) {
    const words = n >>> 2;
    const d32 = new Int32Array(dst.buffer, da, words);
    const s32 = new Int32Array(src.buffer, sa, words);
    for (let w = 0; w < words; w++) d32[w] ^= s32[w];
    i = words << 2;
  }
  for (; i < n; i++) dst[dstOff + i] ^= src[srcOff + i];
}
