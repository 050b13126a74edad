/**
 * OpenSSL's libcrypto through Deno's FFI: AES in ECB, CBC and GCM mode working on caller
 * buffers, one native call per datagram and no allocation.
 *
 * Why: Deno's `node:crypto` allocates an output buffer per `update`, wraps it in several layers
 * of JavaScript, and its CBC (our CFB encryption path) runs block by block; per 1344-byte
 * datagram that measured about 8.7 µs to encrypt and 3.9 µs to decrypt, against 1.6 µs and
 * 0.45 µs here (AES-NI through EVP; see `_aes_native.ts`). AES-128-GCM measured 33 µs per
 * datagram with a cipher object per packet and about 1 µs here.
 *
 * Used only where it is safe and allowed: Linux (macOS's system libcrypto aborts the process
 * when loaded directly), FFI permission already granted (never prompts), and a libcrypto that
 * has every symbol below. Otherwise {@link loadOpenSsl} returns undefined and callers keep their
 * `node:crypto` path. The library handle is opened once per process and never closed, like a
 * linked library; cipher contexts are freed when their owner is garbage-collected.
 *
 * @module
 */

import { ffiAllowed } from "../_ffi.ts";

const SYMBOLS = {
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_CIPHER_CTX_set_padding: { parameters: ["pointer", "i32"], result: "i32" },
  EVP_CIPHER_CTX_ctrl: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  EVP_get_cipherbyname: { parameters: ["buffer"], result: "pointer" },
  EVP_CipherInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CipherUpdate: { parameters: ["pointer", "buffer", "buffer", "buffer", "i32"], result: "i32" },
  EVP_CipherFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** libcrypto names tried in order (OpenSSL 3, then 1.1). */
const LIBRARY_NAMES = ["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so"];

/** `EVP_CIPHER_CTX_ctrl` commands (same values in OpenSSL 1.1 and 3). */
const EVP_CTRL_AEAD_SET_IVLEN = 0x9;
const EVP_CTRL_AEAD_GET_TAG = 0x10;
const EVP_CTRL_AEAD_SET_TAG = 0x11;
/** `enc` argument of `EVP_CipherInit_ex` that keeps the direction already set. */
const KEEP_DIRECTION = -1;

let loaded: Lib | null | undefined;
let registry: FinalizationRegistry<Deno.PointerValue> | undefined;

/**
 * The libcrypto symbols, or undefined when OpenSSL cannot be used here (see module doc). The
 * outcome is decided once per process.
 */
export function loadOpenSsl(): Lib | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (!ffiAllowed()) return undefined;
  for (const name of LIBRARY_NAMES) {
    try {
      const lib = Deno.dlopen(name, SYMBOLS).symbols;
      loaded = lib;
      registry = new FinalizationRegistry((ctx) => lib.EVP_CIPHER_CTX_free(ctx));
      break;
    } catch {
      // try the next name
    }
  }
  return loaded ?? undefined;
}

const cstring = (s: string) => new TextEncoder().encode(s + "\0");

/**
 * One EVP cipher context with a fixed cipher, key and direction; the IV (or nonce) can be reset
 * per message without redoing the key schedule.
 */
export class EvpCipher {
  readonly #lib: Lib;
  readonly #ctx: Deno.PointerObject;
  readonly #outLen = new Uint8Array(4);
  readonly #scratch = new Uint8Array(32);

  private constructor(lib: Lib, ctx: Deno.PointerObject) {
    this.#lib = lib;
    this.#ctx = ctx;
    registry!.register(this, ctx);
  }

  /**
   * A context for OpenSSL cipher `name` (e.g. `aes-256-cbc`, `aes-128-ecb`, `aes-128-gcm`), or
   * undefined when OpenSSL or the cipher is unavailable. Padding is off.
   */
  static create(
    name: string,
    key: Uint8Array,
    iv: Uint8Array | null,
    encrypt: boolean,
  ): EvpCipher | undefined {
    const lib = loadOpenSsl();
    if (lib === undefined) return undefined;
    const cipher = lib.EVP_get_cipherbyname(cstring(name));
    if (cipher === null) return undefined;
    const ctx = lib.EVP_CIPHER_CTX_new();
    if (ctx === null) return undefined;
    const self = new EvpCipher(lib, ctx);
    if (lib.EVP_CipherInit_ex(ctx, cipher, null, null, null, encrypt ? 1 : 0) !== 1) {
      return undefined;
    }
    if (name.endsWith("-gcm")) {
      if (lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, null) !== 1) return undefined;
    }
    if (lib.EVP_CipherInit_ex(ctx, null, null, key, iv, KEEP_DIRECTION) !== 1) return undefined;
    lib.EVP_CIPHER_CTX_set_padding(ctx, 0);
    return self;
  }

  /** Restarts the stream with a new IV or nonce (`iv` must have the cipher's IV length). */
  reset(iv: Uint8Array): void {
    this.#lib.EVP_CipherInit_ex(this.#ctx, null, null, null, iv, KEEP_DIRECTION);
  }

  /**
   * Transforms `len` bytes from `src` into `dst` (the same memory is allowed for stream modes
   * and for ECB). The caller guarantees the lengths; ECB needs whole blocks.
   */
  update(dst: Uint8Array, src: Uint8Array, len: number): void {
    this.#lib.EVP_CipherUpdate(this.#ctx, dst, this.#outLen, src, len);
  }

  /** GCM: finishes the message; false when a decryption's tag does not match. */
  final(): boolean {
    return this.#lib.EVP_CipherFinal_ex(this.#ctx, this.#scratch, this.#outLen) === 1;
  }

  /** GCM encryption: writes the 16-byte tag of the finished message into `dst` (16 bytes). */
  getTag(dst: Uint8Array): void {
    this.#lib.EVP_CIPHER_CTX_ctrl(this.#ctx, EVP_CTRL_AEAD_GET_TAG, 16, dst);
  }

  /** GCM decryption: the expected 16-byte tag, set before {@link EvpCipher.final}. */
  setTag(tag: Uint8Array): void {
    this.#lib.EVP_CIPHER_CTX_ctrl(this.#ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag);
  }
}
