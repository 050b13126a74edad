/**
 * kcp-go's AES-CFB (fixed IV, whole datagram) on native AES: OpenSSL's libcrypto through FFI
 * where it can be used (see `_openssl.ts`), else `node:crypto`; one native call per datagram
 * either way.
 *
 * CFB-128 with IV v over blocks X_0..X_{m-1} (the last may be partial) uses the keystream
 * t_0 = E(v), t_i = E(C_{i-1}), and Y_i = X_i ⊕ t_i. Then:
 *
 * - Decryption knows every C_i up front, so t_1..t_{m-1} = ECB(C_0 ‖ … ‖ C_{m-2}): one call on
 *   a long-lived ECB object (ECB keeps no state between calls with padding off). t_0 = E(v) is
 *   a per-key constant. Both backends decrypt this way (the ECB blocks run in parallel).
 * - Encryption is sequential, but one native CBC call still does it (`node:crypto` has no CFB,
 *   and OpenSSL's own CFB-128 calls its block function once per 16 bytes). CBC with IV r
 *   computes Z_0 = E(r ⊕ W_0), Z_i = E(Z_{i-1} ⊕ W_i). Feeding W_0 = C_0 ⊕ r and W_i = P_i
 *   (i ≥ 1) gives Z_0 = E(C_0) = t_1 and, inductively, Z_i = E(t_i ⊕ P_i) = E(C_i) = t_{i+1}.
 *   So one CBC call over (C_0 ⊕ r) ‖ P_1 ‖ … ‖ P_{m-2} yields t_1..t_{m-1}. A long-lived CBC
 *   object is reused: r is simply its chaining register, i.e. the last output block of the
 *   previous call, which we track. Deno's `node:crypto` has no aes-192-cbc, so there AES-192
 *   encryption runs the JavaScript AES fused into the CFB loop instead. Per-block native ECB
 *   calls measured ~13× slower (about 1.2 µs of call overhead per 16-byte block).
 *
 * Measured per 1344-byte datagram with AES-256: `node:crypto` encrypt 8.7 µs, decrypt 3.9 µs
 * (it allocates an output buffer per call); OpenSSL 1.6 µs and 0.45 µs, allocating nothing.
 * OpenSSL's EVP AES-CFB-128 (reset to the fixed IV, one call in place) took 2.1–2.7 µs to
 * encrypt: the chain of dependent AES rounds is the same, the per-block calls are not.
 *
 * @module
 */

import type { Cipheriv } from "node:crypto";
import { nodeCrypto } from "./_node_builtins.ts";
import { CFB_IV } from "./_cfb.ts";
import { SoftAesCfbEncryptor } from "./_aes_soft.ts";
import { xorInto } from "./_xor_bytes.ts";
import { EvpCipher } from "./_openssl.ts";

const BLOCK = 16;
/** Datagrams up to this size decrypt without growing the keystream scratch buffer. */
const SCRATCH = 2048;

/** Which native library does the AES work. */
export type AesBackend = "openssl" | "node:crypto";

interface CfbImpl {
  encrypt(buf: Uint8Array, len: number): void;
  decrypt(buf: Uint8Array, len: number): void;
}

/** XORs the per-key first keystream block E(IV) into `buf[0, min(len, 16))`. */
function xorFirst(buf: Uint8Array, len: number, first: Uint8Array): void {
  const head = len < BLOCK ? len : BLOCK;
  for (let j = 0; j < head; j++) buf[j] ^= first[j];
}

/** Runs a long-lived native encryptor (CBC or ECB) over `src[0, fed)`; returns its output blocks. */
type BlockRun = (src: Uint8Array, fed: number) => Uint8Array;

/**
 * Encrypts `buf[0, len)` (len > 16) with the CBC trick (see the module doc) once its first block
 * is encrypted: `reg` is the CBC object's chaining register (the last block it output), `cbc`
 * the one native call, which yields the keystream t_1 onwards.
 */
function cbcKeystreamEncrypt(buf: Uint8Array, len: number, reg: Uint8Array, cbc: BlockRun): void {
  const fed = ((len - 1) >>> 4) << 4;
  for (let j = 0; j < BLOCK; j++) buf[j] ^= reg[j];
  const ks = cbc(buf, fed);
  for (let j = 0; j < BLOCK; j++) {
    buf[j] ^= reg[j];
    reg[j] = ks[fed - BLOCK + j];
  }
  xorInto(buf, BLOCK, ks, 0, len - BLOCK);
}

/**
 * Decrypts `buf[0, len)` in place (see the module doc): `ecb` turns C_0..C_{m-2} into the
 * keystream t_1..t_{m-1} in one call, `first` is t_0 = E(IV).
 */
function ecbKeystreamDecrypt(buf: Uint8Array, len: number, first: Uint8Array, ecb: BlockRun): void {
  if (len > BLOCK) xorInto(buf, BLOCK, ecb(buf, ((len - 1) >>> 4) << 4), 0, len - BLOCK);
  xorFirst(buf, len, first);
}

/** OpenSSL: the CBC trick to encrypt, EVP ECB keystream to decrypt, both into a scratch buffer. */
class OpenSslAesCfb implements CfbImpl {
  readonly #cbc: EvpCipher;
  readonly #ecb: EvpCipher;
  readonly #first = new Uint8Array(BLOCK);
  /** The CBC context's chaining register: the last block it output (zero at first). */
  readonly #reg = new Uint8Array(BLOCK);
  #ks = new Uint8Array(SCRATCH);

  private constructor(cbc: EvpCipher, ecb: EvpCipher) {
    this.#cbc = cbc;
    this.#ecb = ecb;
    ecb.update(this.#first, CFB_IV, BLOCK);
  }

  static create(key: Uint8Array): OpenSslAesCfb | undefined {
    const bits = key.length * 8;
    const cbc = EvpCipher.create(`aes-${bits}-cbc`, key, new Uint8Array(BLOCK), true);
    if (cbc === undefined) return undefined;
    const ecb = EvpCipher.create(`aes-${bits}-ecb`, key, null, true);
    return ecb === undefined ? undefined : new OpenSslAesCfb(cbc, ecb);
  }

  /** Runs `cipher` over `src[0, fed)` into the scratch buffer, which it returns. */
  #run(cipher: EvpCipher, src: Uint8Array, fed: number): Uint8Array {
    if (this.#ks.length < fed) this.#ks = new Uint8Array(fed);
    cipher.update(this.#ks, src, fed);
    return this.#ks;
  }

  readonly #runCbc: BlockRun = (src, fed) => this.#run(this.#cbc, src, fed);
  readonly #runEcb: BlockRun = (src, fed) => this.#run(this.#ecb, src, fed);

  encrypt(buf: Uint8Array, len: number): void {
    xorFirst(buf, len, this.#first);
    if (len > BLOCK) cbcKeystreamEncrypt(buf, len, this.#reg, this.#runCbc);
  }

  decrypt(buf: Uint8Array, len: number): void {
    ecbKeystreamDecrypt(buf, len, this.#first, this.#runEcb);
  }
}

/** `node:crypto`: the CBC trick to encrypt (JS AES for AES-192), ECB keystream to decrypt. */
class NodeAesCfb implements CfbImpl {
  /** Long-lived ECB encryptor: E_K of any whole blocks. */
  readonly #ecb: Cipheriv;
  /** Long-lived CBC encryptor for CFB encryption (null for AES-192). */
  readonly #cbc: Cipheriv | null;
  /** The CBC object's chaining register: the last block it output. */
  readonly #reg = new Uint8Array(BLOCK);
  /** Fallback encryptor for AES-192. */
  readonly #soft: SoftAesCfbEncryptor | null;
  /** E_K(IV), the first keystream block of every datagram. */
  readonly #first = new Uint8Array(BLOCK);

  constructor(key: Uint8Array) {
    const bits = key.length * 8;
    const { createCipheriv } = nodeCrypto();
    this.#ecb = createCipheriv(`aes-${bits}-ecb`, key, null).setAutoPadding(false);
    this.#first.set(this.#ecb.update(CFB_IV));
    if (bits === 192) {
      this.#cbc = null;
      this.#soft = new SoftAesCfbEncryptor(key, CFB_IV);
    } else {
      // The register starts as the IV: zero.
      this.#cbc = createCipheriv(`aes-${bits}-cbc`, key, this.#reg).setAutoPadding(false);
      this.#soft = null;
    }
  }

  encrypt(buf: Uint8Array, len: number): void {
    const cbc = this.#cbc;
    if (cbc === null) {
      this.#soft!.encrypt(buf, len);
      return;
    }
    xorFirst(buf, len, this.#first);
    if (len > BLOCK) cbcKeystreamEncrypt(buf, len, this.#reg, this.#runCbc);
  }

  /** The CBC over `src[0, fed)`; `node:crypto` returns a new buffer. */
  readonly #runCbc: BlockRun = (src, fed) => this.#cbc!.update(src.subarray(0, fed));
  /** The ECB over `src[0, fed)`; a new buffer too. */
  readonly #runEcb: BlockRun = (src, fed) => this.#ecb.update(src.subarray(0, fed));

  decrypt(buf: Uint8Array, len: number): void {
    ecbKeystreamDecrypt(buf, len, this.#first, this.#runEcb);
  }
}

/** AES-CFB as kcp-go applies it, on the fastest native AES available. */
export class NativeAesCfb {
  /** The library doing the work. */
  readonly backend: AesBackend;
  readonly #impl: CfbImpl;

  /**
   * `backend` forces a library (tests, benchmarks); by default OpenSSL where it can be used,
   * else `node:crypto`. Forcing "openssl" where it is unavailable throws a TypeError.
   */
  constructor(key: Uint8Array, backend?: AesBackend) {
    const bits = key.length * 8;
    if (bits !== 128 && bits !== 192 && bits !== 256) {
      throw new RangeError(`AES key must be 16, 24 or 32 bytes, got ${key.length}`);
    }
    const openssl = backend === "node:crypto" ? undefined : OpenSslAesCfb.create(key);
    if (backend === "openssl" && openssl === undefined) {
      throw new TypeError('AES backend "openssl" is not available here');
    }
    this.#impl = openssl ?? new NodeAesCfb(key);
    this.backend = openssl === undefined ? "node:crypto" : "openssl";
  }

  /** Encrypts `buf[0, len)` in place. */
  encrypt(buf: Uint8Array, len: number = buf.length): void {
    this.#impl.encrypt(buf, len);
  }

  /** Decrypts `buf[0, len)` in place. */
  decrypt(buf: Uint8Array, len: number = buf.length): void {
    this.#impl.decrypt(buf, len);
  }
}
