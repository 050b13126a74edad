/**
 * The one gate in front of every optional native fast path (OpenSSL's AES, libc's batched UDP
 * I/O, libdeflate's CRC-32): Linux only, and only when FFI permission is already granted, so
 * that loading a module never prompts and a program run without `--allow-ffi` simply keeps the
 * portable code.
 *
 * @module
 */

/** True on Linux when `Deno.dlopen` exists and FFI permission is granted (never prompts). */
export function ffiAllowed(): boolean {
  if (Deno.build.os !== "linux" || typeof Deno.dlopen !== "function") return false;
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}
