/**
 * kcp-go's packet CFB: standard full-block CFB (CFB-64 or CFB-128) with a fixed IV, restarted
 * for every datagram, a trailing partial block XORed with the head of the next keystream block.
 *
 * @module
 */

/**
 * kcp-go's fixed CFB IV (`initialVector` in crypt.go). 8-byte-block ciphers use its first 8
 * bytes.
 */
// deno-fmt-ignore
export const CFB_IV: Uint8Array = Uint8Array.of(
  0xa7, 0x73, 0x4f, 0x9c, 0x12, 0xac, 0x1b, 0x01, 0xa4, 0x15, 0xf2, 0xc1, 0xfc, 0x78, 0xe6, 0x6b,
);

/** A raw block cipher's forward direction; CFB never needs the inverse. */
export interface BlockCipher {
  /** 8 or 16. */
  readonly blockSize: number;
  /**
   * Encrypts the block at `src[srcOff..]` into `dst[dstOff..]`. `src` and `dst` may be the same
   * memory; implementations read the whole block before writing.
   */
  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void;
}

/**
 * CFB over any {@link BlockCipher}. Whole-buffer, in place, like kcp-go's `BlockCrypt`; the
 * optional `len` limits it to `buf[0, len)` so callers need not make a subarray view.
 */
export class CfbCrypt {
  readonly #cipher: BlockCipher;
  readonly #bs: number;
  /** E(IV), the first keystream block of every datagram. */
  readonly #first: Uint8Array;
  readonly #ks: Uint8Array;
  readonly #next: Uint8Array;

  constructor(cipher: BlockCipher) {
    const bs = cipher.blockSize;
    this.#cipher = cipher;
    this.#bs = bs;
    this.#first = new Uint8Array(bs);
    cipher.encryptBlock(CFB_IV, 0, this.#first, 0);
    this.#ks = new Uint8Array(bs);
    this.#next = new Uint8Array(bs);
  }

  /** Encrypts `buf[0, len)` in place. */
  encrypt(buf: Uint8Array, len: number = buf.length): void {
    const bs = this.#bs;
    const cipher = this.#cipher;
    const ks = this.#ks;
    ks.set(this.#first);
    let off = 0;
    while (off + bs <= len) {
      for (let j = 0; j < bs; j++) buf[off + j] ^= ks[j];
      if (off + bs === len) return;
      cipher.encryptBlock(buf, off, ks, 0);
      off += bs;
    }
    for (let j = 0; off + j < len; j++) buf[off + j] ^= ks[j];
  }

  /** Decrypts `buf[0, len)` in place. */
  decrypt(buf: Uint8Array, len: number = buf.length): void {
    const bs = this.#bs;
    const cipher = this.#cipher;
    let ks = this.#ks;
    let next = this.#next;
    ks.set(this.#first);
    let off = 0;
    while (off + bs <= len) {
      const more = off + bs < len;
      if (more) cipher.encryptBlock(buf, off, next, 0);
      for (let j = 0; j < bs; j++) buf[off + j] ^= ks[j];
      if (!more) return;
      const t = ks;
      ks = next;
      next = t;
      off += bs;
    }
    for (let j = 0; off + j < len; j++) buf[off + j] ^= ks[j];
  }
}
