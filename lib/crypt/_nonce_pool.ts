/**
 * Per-instance pool of random bytes for packet nonces.
 *
 * @module
 */

/** Bytes requested from the random source per refill (before rounding to whole nonces). */
const POOL_BYTES = 4096;

/**
 * Hands out fixed-size nonces from a pool filled by the caller's random source, so one random
 * call serves hundreds of datagrams. Nonces are taken in order: bytes [0, n), [n, 2n), … of
 * each fill, then a new fill. The pool holds a whole number of nonces, so no random byte is
 * skipped.
 */
export class NoncePool {
  readonly #random: (dst: Uint8Array) => void;
  readonly #pool: Uint8Array;
  readonly #size: number;
  #pos: number;

  constructor(random: (dst: Uint8Array) => void, nonceSize: number) {
    if (typeof random !== "function") {
      throw new TypeError(`Random source must be a function, got ${typeof random}`);
    }
    this.#random = random;
    this.#size = nonceSize;
    this.#pool = new Uint8Array(Math.floor(POOL_BYTES / nonceSize) * nonceSize);
    this.#pos = this.#pool.length;
  }

  /** Writes the next nonce to `dst[off, off + nonceSize)`. */
  take(dst: Uint8Array, off: number): void {
    const n = this.#size;
    if (this.#pos + n > this.#pool.length) {
      this.#random(this.#pool);
      this.#pos = 0;
    }
    const pool = this.#pool;
    const at = this.#pos;
    for (let i = 0; i < n; i++) dst[off + i] = pool[at + i];
    this.#pos = at + n;
  }
}
