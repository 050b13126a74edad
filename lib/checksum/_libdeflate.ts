/**
 * CRC-32/IEEE from the system's libdeflate (`libdeflate_crc32`, carry-less multiplication on
 * x86-64 and arm64) through Deno's FFI.
 *
 * Why: kcp-go's framing checksums every datagram, both ways. The slicing-by-16 loop of `crc.ts`
 * takes about 0.6 µs per 1330-byte payload when its 16 KiB of tables are in cache, more after
 * an idle wait has evicted them, and it was 6–7 % of each end's CPU samples on the 50 Mbit/s
 * bench link; one call here takes about 0.15 µs, most of it the FFI call, and uses no table.
 *
 * Optional, like OpenSSL's AES: used only on Linux with FFI permission granted (never prompts),
 * where `libdeflate.so.0` is installed (Debian/Ubuntu package `libdeflate0`) and passes a check
 * value; otherwise {@link loadLibdeflateCrc32} returns undefined and the JavaScript loop stays.
 * The library is opened once per process and never closed.
 *
 * @module
 */

import { ffiAllowed } from "../_ffi.ts";
import type { Crc32Function } from "./crc.ts";

const SYMBOLS = {
  libdeflate_crc32: { parameters: ["u32", "buffer", "usize"], result: "u32" },
} as const;

/** Lengths up to this (a datagram's) have a ready BigInt. */
const CACHED_LENGTHS = 2048;

/** The library's soname (libdeflate 1.x). */
const LIBRARY = "libdeflate.so.0";

let loaded: Crc32Function | null | undefined;

/**
 * CRC-32/IEEE backed by libdeflate with the same contract as {@link Crc32Function} (bounds
 * clamped to the buffer), or undefined where it cannot be used (see the module doc). Decided
 * once per process.
 */
export function loadLibdeflateCrc32(): Crc32Function | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (!ffiAllowed()) return undefined;
  let native: (crc: number, buf: Uint8Array, length: bigint) => number;
  try {
    native = Deno.dlopen(LIBRARY, SYMBOLS).symbols.libdeflate_crc32;
  } catch {
    return undefined;
  }
  // The length must be a BigInt: optimized code calls the C function directly only with a
  // BigInt for a usize, and a number deoptimizes the caller on every call (measured: 0.39
  // instead of 0.15 µs per call, with seal and open thrown back to the interpreter each time).
  // Making one per call is a runtime call and an allocation, so datagram-sized ones are kept.
  const lengths: bigint[] = [];
  for (let n = 0; n <= CACHED_LENGTHS; n++) lengths.push(BigInt(n));
  const crc: Crc32Function = (buf, start = 0, end = buf.length) => {
    if (end > buf.length) end = buf.length;
    if (start < 0) start = 0;
    if (end <= start) return 0;
    const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    const n = end - start;
    // libdeflate applies the initial value and the final XOR itself: 0 starts a new CRC
    return native(0, view, n <= CACHED_LENGTHS ? lengths[n] : BigInt(n));
  };
  // a library of that name that does not compute CRC-32/IEEE is not used
  if (crc(new TextEncoder().encode("123456789")) !== 0xcbf43926) return undefined;
  loaded = crc;
  return crc;
}
