/**
 * The per-stream pad selector of QPP: xoshiro256** plus the current 64-bit word and how many
 * of its bytes are used (xtaci/qpp `Rand`; kcptun-wire.md §8.2, §8.3).
 *
 * @module
 */

/** Bytes of a word used before the next word is drawn (qpp `PAD_SWITCH`). */
const PAD_SWITCH = 8;
const TWO_32 = 4294967296;

/**
 * One QPP keystream position: a xoshiro256** generator, the word that covers the current
 * 8-byte group, and the position inside that group.
 *
 * Each direction of each stream needs its own, starting fresh; get them from
 * `Qpp.createPrng()`. 64-bit arithmetic runs on 32-bit halves, so no BigInt on the hot path.
 *
 * @example
 * ```ts
 * import { QppPrng } from "./prng.ts";
 * import assert from "node:assert/strict";
 * const a = new QppPrng(Uint8Array.from({ length: 32 }, (_, i) => i));
 * const b = a.clone();
 * a.advance();
 * assert.notEqual(a.wordHex(), b.wordHex());
 * assert.equal(b.position, 0);
 * ```
 */
export class QppPrng {
  // State words s0..s3 as (high, low) uint32 halves.
  #s0h = 0;
  #s0l = 0;
  #s1h = 0;
  #s1l = 0;
  #s2h = 0;
  #s2l = 0;
  #s3h = 0;
  #s3l = 0;
  // The current word (qpp `seed64`) and bytes of it already used (qpp `count`).
  #wh = 0;
  #wl = 0;
  #pos = 0;

  /**
   * Seeds the generator from 32 bytes (four little-endian 64-bit words) and draws the first
   * word, like qpp `CreatePRNG` after its key derivation.
   *
   * @throws {RangeError} If `state` is not 32 bytes.
   */
  constructor(state: Uint8Array) {
    if (state.length !== 32) {
      throw new RangeError(`QPP PRNG state must be 32 bytes, got ${state.length}`);
    }
    const le32 = (i: number) =>
      (state[i] | (state[i + 1] << 8) | (state[i + 2] << 16) | (state[i + 3] << 24)) >>> 0;
    this.#s0l = le32(0);
    this.#s0h = le32(4);
    this.#s1l = le32(8);
    this.#s1h = le32(12);
    this.#s2l = le32(16);
    this.#s2h = le32(20);
    this.#s3l = le32(24);
    this.#s3h = le32(28);
    this.advance();
  }

  /** An independent copy at the same position. */
  clone(): QppPrng {
    const c = new QppPrng(new Uint8Array(32));
    c.#copyFrom(this);
    return c;
  }

  #copyFrom(o: QppPrng): void {
    this.#s0h = o.#s0h;
    this.#s0l = o.#s0l;
    this.#s1h = o.#s1h;
    this.#s1l = o.#s1l;
    this.#s2h = o.#s2h;
    this.#s2l = o.#s2l;
    this.#s3h = o.#s3h;
    this.#s3l = o.#s3l;
    this.#wh = o.#wh;
    this.#wl = o.#wl;
    this.#pos = o.#pos;
  }

  /** Bytes of the current word already used, 0..7 (= stream position mod 8). */
  get position(): number {
    return this.#pos;
  }

  /** The current word as 16 hex digits, most significant first (for tests and debugging). */
  wordHex(): string {
    return hex64(this.#wh, this.#wl);
  }

  /** The four xoshiro256** state words as hex, most significant digit first. */
  stateHex(): string[] {
    return [
      hex64(this.#s0h, this.#s0l),
      hex64(this.#s1h, this.#s1l),
      hex64(this.#s2h, this.#s2l),
      hex64(this.#s3h, this.#s3l),
    ];
  }

  /** Draws the next word (xoshiro256**) and restarts the position at 0. */
  advance(): void {
    // result = rotl64(s1 * 5, 7) * 9
    let lo = this.#s1l * 5;
    let l = lo >>> 0;
    let h = (Math.imul(this.#s1h, 5) + (lo - l) / TWO_32) >>> 0;
    const rh = ((h << 7) | (l >>> 25)) >>> 0;
    const rl = ((l << 7) | (h >>> 25)) >>> 0;
    lo = rl * 9;
    l = lo >>> 0;
    h = (Math.imul(rh, 9) + (lo - l) / TWO_32) >>> 0;
    this.#wh = h;
    this.#wl = l;
    this.#pos = 0;

    // t = s1 << 17
    const th = ((this.#s1h << 17) | (this.#s1l >>> 15)) >>> 0;
    const tl = (this.#s1l << 17) >>> 0;
    this.#s2h = (this.#s2h ^ this.#s0h) >>> 0;
    this.#s2l = (this.#s2l ^ this.#s0l) >>> 0;
    this.#s3h = (this.#s3h ^ this.#s1h) >>> 0;
    this.#s3l = (this.#s3l ^ this.#s1l) >>> 0;
    this.#s1h = (this.#s1h ^ this.#s2h) >>> 0;
    this.#s1l = (this.#s1l ^ this.#s2l) >>> 0;
    this.#s0h = (this.#s0h ^ this.#s3h) >>> 0;
    this.#s0l = (this.#s0l ^ this.#s3l) >>> 0;
    this.#s2h = (this.#s2h ^ th) >>> 0;
    this.#s2l = (this.#s2l ^ tl) >>> 0;
    // s3 = rotl64(s3, 45): swap the halves (rotate by 32), then rotate by 13.
    const s3h = this.#s3h;
    const s3l = this.#s3l;
    this.#s3h = ((s3l << 13) | (s3h >>> 19)) >>> 0;
    this.#s3l = ((s3h << 13) | (s3l >>> 19)) >>> 0;
  }

  /**
   * Low level, for `Qpp`: permutes `data[start, end)` in place with the pads in `table`
   * (`numPads` × 256 bytes) and advances the position. Forward: c = pad[b ^ rr];
   * inverse (with the inverse pads): b = rpad[c] ^ rr, where rr is the word's byte for the
   * position and the pad is (low 16 bits of the word) mod numPads.
   */
  permute(
    table: Uint8Array,
    numPads: number,
    data: Uint8Array,
    start: number,
    end: number,
    inverse: boolean,
  ): void {
    let i = start;
    let pos = this.#pos;
    let wl = this.#wl;
    let wh = this.#wh;
    let base = ((wl & 0xffff) % numPads) << 8;

    // Finish a partly used word byte by byte.
    while (pos !== 0 && i < end) {
      const rr = (pos < 4 ? wl >>> (pos << 3) : wh >>> ((pos - 4) << 3)) & 0xff;
      data[i] = inverse ? table[base + data[i]] ^ rr : table[base + (data[i] ^ rr)];
      i++;
      if (++pos === PAD_SWITCH) {
        this.advance();
        pos = 0;
        wl = this.#wl;
        wh = this.#wh;
        base = ((wl & 0xffff) % numPads) << 8;
      }
    }

    // Whole words, unrolled, with the generator state in locals and its step inlined
    // (the same arithmetic as advance()).
    if (end - i >= PAD_SWITCH) {
      let s0h = this.#s0h, s0l = this.#s0l, s1h = this.#s1h, s1l = this.#s1l;
      let s2h = this.#s2h, s2l = this.#s2l, s3h = this.#s3h, s3l = this.#s3l;
      for (; end - i >= PAD_SWITCH; i += PAD_SWITCH) {
        if (inverse) {
          data[i] = table[base + data[i]] ^ (wl & 0xff);
          data[i + 1] = table[base + data[i + 1]] ^ ((wl >>> 8) & 0xff);
          data[i + 2] = table[base + data[i + 2]] ^ ((wl >>> 16) & 0xff);
          data[i + 3] = table[base + data[i + 3]] ^ (wl >>> 24);
          data[i + 4] = table[base + data[i + 4]] ^ (wh & 0xff);
          data[i + 5] = table[base + data[i + 5]] ^ ((wh >>> 8) & 0xff);
          data[i + 6] = table[base + data[i + 6]] ^ ((wh >>> 16) & 0xff);
          data[i + 7] = table[base + data[i + 7]] ^ (wh >>> 24);
        } else {
          data[i] = table[base + (data[i] ^ (wl & 0xff))];
          data[i + 1] = table[base + (data[i + 1] ^ ((wl >>> 8) & 0xff))];
          data[i + 2] = table[base + (data[i + 2] ^ ((wl >>> 16) & 0xff))];
          data[i + 3] = table[base + (data[i + 3] ^ (wl >>> 24))];
          data[i + 4] = table[base + (data[i + 4] ^ (wh & 0xff))];
          data[i + 5] = table[base + (data[i + 5] ^ ((wh >>> 8) & 0xff))];
          data[i + 6] = table[base + (data[i + 6] ^ ((wh >>> 16) & 0xff))];
          data[i + 7] = table[base + (data[i + 7] ^ (wh >>> 24))];
        }
        // word = rotl64(s1 * 5, 7) * 9
        let lo = s1l * 5;
        let l = lo >>> 0;
        let h = (Math.imul(s1h, 5) + (lo - l) / TWO_32) >>> 0;
        const rh = ((h << 7) | (l >>> 25)) >>> 0;
        const rl = ((l << 7) | (h >>> 25)) >>> 0;
        lo = rl * 9;
        wl = lo >>> 0;
        wh = (Math.imul(rh, 9) + (lo - wl) / TWO_32) >>> 0;
        // state update
        const th = ((s1h << 17) | (s1l >>> 15)) >>> 0;
        const tl = (s1l << 17) >>> 0;
        s2h = (s2h ^ s0h) >>> 0;
        s2l = (s2l ^ s0l) >>> 0;
        s3h = (s3h ^ s1h) >>> 0;
        s3l = (s3l ^ s1l) >>> 0;
        s1h = (s1h ^ s2h) >>> 0;
        s1l = (s1l ^ s2l) >>> 0;
        s0h = (s0h ^ s3h) >>> 0;
        s0l = (s0l ^ s3l) >>> 0;
        s2h = (s2h ^ th) >>> 0;
        s2l = (s2l ^ tl) >>> 0;
        h = s3h;
        l = s3l;
        s3h = ((l << 13) | (h >>> 19)) >>> 0;
        s3l = ((h << 13) | (l >>> 19)) >>> 0;
        base = ((wl & 0xffff) % numPads) << 8;
      }
      this.#s0h = s0h;
      this.#s0l = s0l;
      this.#s1h = s1h;
      this.#s1l = s1l;
      this.#s2h = s2h;
      this.#s2l = s2l;
      this.#s3h = s3h;
      this.#s3l = s3l;
      this.#wh = wh;
      this.#wl = wl;
    }

    // A partial word at the end.
    for (; i < end; i++, pos++) {
      const rr = (pos < 4 ? wl >>> (pos << 3) : wh >>> ((pos - 4) << 3)) & 0xff;
      data[i] = inverse ? table[base + data[i]] ^ rr : table[base + (data[i] ^ rr)];
    }
    this.#pos = pos;
  }
}

function hex64(h: number, l: number): string {
  return h.toString(16).padStart(8, "0") + l.toString(16).padStart(8, "0");
}
