/**
 * kcp-go's salsa20 crypt: Salsa20/20 (Bernstein, "Salsa20 specification") written here, with a
 * 256-bit key and 64-bit nonce as in Go's x/crypto/salsa20.
 *
 * Written here rather than imported from an npm package so that a process that never uses it
 * does not pay for npm module loading (resident memory), and so that it works in place on a
 * prefix of the caller's buffer without a view per datagram.
 *
 * @module
 */

/** Bytes of the datagram sent in clear and used as the Salsa20 nonce. */
const SALSA_NONCE = 8;
const BLOCK = 64;
/** "expand 32-byte k" as four little-endian words. */
const SIGMA0 = 0x61707865, SIGMA1 = 0x3320646e, SIGMA2 = 0x79622d32, SIGMA3 = 0x6b206574;

function le32(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24);
}

/**
 * kcp-go's `salsa20BlockCrypt`: bytes [0, 8) are the nonce and stay in clear; bytes [8, len)
 * are XORed with the Salsa20/20 keystream (key = pass, 64-bit nonce, block counter from 0).
 */
export class Salsa20Crypt {
  /** Input block: constants, key, nonce and counter words in Salsa20's layout. */
  readonly #input = new Int32Array(16);
  /** One keystream block as little-endian words. */
  readonly #stream = new Int32Array(16);

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError(`Salsa20 key must be 32 bytes, got ${key.length}`);
    const s = this.#input;
    s[0] = SIGMA0;
    s[5] = SIGMA1;
    s[10] = SIGMA2;
    s[15] = SIGMA3;
    for (let i = 0; i < 4; i++) {
      s[1 + i] = le32(key, i * 4);
      s[11 + i] = le32(key, 16 + i * 4);
    }
  }

  /** Encrypts `buf[0, len)` in place (the same operation as decryption). */
  encrypt(buf: Uint8Array, len: number = buf.length): void {
    if (len > buf.length) len = buf.length;
    if (len <= SALSA_NONCE) return;
    const s = this.#input;
    const ks = this.#stream;
    s[6] = le32(buf, 0);
    s[7] = le32(buf, 4);
    s[8] = 0;
    s[9] = 0;
    for (let at = SALSA_NONCE; at < len; at += BLOCK) {
      this.#block();
      // 64-bit block counter; a datagram never needs more than 2^32 blocks.
      s[8] = (s[8] + 1) | 0;
      const end = at + BLOCK < len ? at + BLOCK : len;
      let i = at;
      for (let w = 0; i + 4 <= end; w++, i += 4) {
        const k = ks[w];
        buf[i] ^= k;
        buf[i + 1] ^= k >>> 8;
        buf[i + 2] ^= k >>> 16;
        buf[i + 3] ^= k >>> 24;
      }
      for (let k = ks[(i - at) >> 2], shift = 0; i < end; i++, shift += 8) buf[i] ^= k >>> shift;
    }
  }

  /** Decrypts `buf[0, len)` in place. */
  decrypt(buf: Uint8Array, len: number = buf.length): void {
    this.encrypt(buf, len);
  }

  /** Computes the keystream block of the current input into `#stream`. */
  #block(): void {
    const s = this.#input;
    let x0 = s[0], x1 = s[1], x2 = s[2], x3 = s[3], x4 = s[4], x5 = s[5], x6 = s[6], x7 = s[7];
    let x8 = s[8], x9 = s[9], x10 = s[10], x11 = s[11], x12 = s[12], x13 = s[13], x14 = s[14];
    let x15 = s[15], t = 0;
    for (let r = 0; r < 20; r += 2) {
      // Column round: quarter-rounds on (0,4,8,12), (5,9,13,1), (10,14,2,6), (15,3,7,11).
      t = (x0 + x12) | 0, x4 ^= (t << 7) | (t >>> 25);
      t = (x4 + x0) | 0, x8 ^= (t << 9) | (t >>> 23);
      t = (x8 + x4) | 0, x12 ^= (t << 13) | (t >>> 19);
      t = (x12 + x8) | 0, x0 ^= (t << 18) | (t >>> 14);
      t = (x5 + x1) | 0, x9 ^= (t << 7) | (t >>> 25);
      t = (x9 + x5) | 0, x13 ^= (t << 9) | (t >>> 23);
      t = (x13 + x9) | 0, x1 ^= (t << 13) | (t >>> 19);
      t = (x1 + x13) | 0, x5 ^= (t << 18) | (t >>> 14);
      t = (x10 + x6) | 0, x14 ^= (t << 7) | (t >>> 25);
      t = (x14 + x10) | 0, x2 ^= (t << 9) | (t >>> 23);
      t = (x2 + x14) | 0, x6 ^= (t << 13) | (t >>> 19);
      t = (x6 + x2) | 0, x10 ^= (t << 18) | (t >>> 14);
      t = (x15 + x11) | 0, x3 ^= (t << 7) | (t >>> 25);
      t = (x3 + x15) | 0, x7 ^= (t << 9) | (t >>> 23);
      t = (x7 + x3) | 0, x11 ^= (t << 13) | (t >>> 19);
      t = (x11 + x7) | 0, x15 ^= (t << 18) | (t >>> 14);
      // Row round: quarter-rounds on (0,1,2,3), (5,6,7,4), (10,11,8,9), (15,12,13,14).
      t = (x0 + x3) | 0, x1 ^= (t << 7) | (t >>> 25);
      t = (x1 + x0) | 0, x2 ^= (t << 9) | (t >>> 23);
      t = (x2 + x1) | 0, x3 ^= (t << 13) | (t >>> 19);
      t = (x3 + x2) | 0, x0 ^= (t << 18) | (t >>> 14);
      t = (x5 + x4) | 0, x6 ^= (t << 7) | (t >>> 25);
      t = (x6 + x5) | 0, x7 ^= (t << 9) | (t >>> 23);
      t = (x7 + x6) | 0, x4 ^= (t << 13) | (t >>> 19);
      t = (x4 + x7) | 0, x5 ^= (t << 18) | (t >>> 14);
      t = (x10 + x9) | 0, x11 ^= (t << 7) | (t >>> 25);
      t = (x11 + x10) | 0, x8 ^= (t << 9) | (t >>> 23);
      t = (x8 + x11) | 0, x9 ^= (t << 13) | (t >>> 19);
      t = (x9 + x8) | 0, x10 ^= (t << 18) | (t >>> 14);
      t = (x15 + x14) | 0, x12 ^= (t << 7) | (t >>> 25);
      t = (x12 + x15) | 0, x13 ^= (t << 9) | (t >>> 23);
      t = (x13 + x12) | 0, x14 ^= (t << 13) | (t >>> 19);
      t = (x14 + x13) | 0, x15 ^= (t << 18) | (t >>> 14);
    }
    const o = this.#stream;
    o[0] = x0 + s[0];
    o[1] = x1 + s[1];
    o[2] = x2 + s[2];
    o[3] = x3 + s[3];
    o[4] = x4 + s[4];
    o[5] = x5 + s[5];
    o[6] = x6 + s[6];
    o[7] = x7 + s[7];
    o[8] = x8 + s[8];
    o[9] = x9 + s[9];
    o[10] = x10 + s[10];
    o[11] = x11 + s[11];
    o[12] = x12 + s[12];
    o[13] = x13 + s[13];
    o[14] = x14 + s[14];
    o[15] = x15 + s[15];
  }
}
