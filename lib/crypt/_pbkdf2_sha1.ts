/**
 * PBKDF2-HMAC-SHA1 (RFC 8018 §5.2, RFC 2104, FIPS 180-4) in plain TypeScript.
 *
 * Why not `node:crypto`'s `pbkdf2Sync`: importing any `node:` module makes Deno set up its Node
 * compatibility layer, several MB of resident memory per process, for two key derivations at
 * start-up (kcptun's `--key` and the xor pad). Here a derivation of kcptun's 32-byte key (4096
 * iterations) takes a few milliseconds: the HMAC pads are hashed once, and each iteration is
 * two SHA-1 compressions over word arrays, allocating nothing.
 *
 * @module
 */

const BLOCK = 64;
const DIGEST = 20;
const H0 = 0x67452301,
  H1 = 0xefcdab89 | 0,
  H2 = 0x98badcfe | 0,
  H3 = 0x10325476,
  H4 = 0xc3d2e1f0 | 0;

/**
 * One SHA-1 compression: `state` (5 words) absorbs the 16 big-endian words in `w[0, 16)`;
 * `w` must hold 80 words and its tail is overwritten (message schedule).
 */
function compress(state: Int32Array, w: Int32Array): void {
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
    w[t] = (x << 1) | (x >>> 31);
  }
  let a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
  for (let t = 0; t < 80; t++) {
    let f: number, k: number;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc | 0;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6 | 0;
    }
    const tmp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
}

function reset(state: Int32Array): void {
  state[0] = H0;
  state[1] = H1;
  state[2] = H2;
  state[3] = H3;
  state[4] = H4;
}

/**
 * Continues a SHA-1 whose `state` has absorbed `prefixLength` bytes (a multiple of 64) with
 * `msg`, pads, and leaves the digest words in `state`.
 */
function finish(state: Int32Array, w: Int32Array, msg: Uint8Array, prefixLength: number): void {
  const total = prefixLength + msg.length;
  // Message, 0x80, zeros, 64-bit big-endian bit length, rounded up to whole blocks.
  const padded = Math.ceil((msg.length + 9) / BLOCK) * BLOCK;
  for (let off = 0; off < padded; off += BLOCK) {
    for (let i = 0; i < 16; i++) {
      let word = 0;
      for (let j = 0; j < 4; j++) {
        const at = off + i * 4 + j;
        const byte = at < msg.length ? msg[at] : at === msg.length ? 0x80 : 0;
        word = (word << 8) | byte;
      }
      w[i] = word;
    }
    if (off + BLOCK === padded) {
      w[14] = Math.floor(total / 0x20000000); // total * 8 >>> 32
      w[15] = (total * 8) | 0;
    }
    compress(state, w);
  }
}

/**
 * PBKDF2-HMAC-SHA1(`password`, `salt`, `iterations`, `length`) as a new Uint8Array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pbkdf2Sha1 } from "./_pbkdf2_sha1.ts";
 * const te = new TextEncoder();
 * // RFC 6070 test vector 2
 * const dk = pbkdf2Sha1(te.encode("password"), te.encode("salt"), 2, 20);
 * assert.equal(dk[0], 0xea);
 * assert.equal(dk[19], 0x57);
 * ```
 */
export function pbkdf2Sha1(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Uint8Array {
  const w = new Int32Array(80);
  const inner = new Int32Array(5);
  const outer = new Int32Array(5);
  const state = new Int32Array(5);

  // HMAC key: the password, or its SHA-1 when longer than a block; then zero-padded.
  const key = new Uint8Array(BLOCK);
  if (password.length > BLOCK) {
    reset(state);
    finish(state, w, password, 0);
    for (let i = 0; i < DIGEST; i++) key[i] = state[i >> 2] >>> (24 - 8 * (i & 3));
  } else {
    key.set(password);
  }
  const pad = new Uint8Array(BLOCK);
  for (const [target, fill] of [[inner, 0x36], [outer, 0x5c]] as const) {
    for (let i = 0; i < BLOCK; i++) pad[i] = key[i] ^ fill;
    reset(target);
    for (let i = 0; i < 16; i++) {
      w[i] = (pad[i * 4] << 24) | (pad[i * 4 + 1] << 16) | (pad[i * 4 + 2] << 8) | pad[i * 4 + 3];
    }
    compress(target, w);
  }

  const out = new Uint8Array(length);
  const first = new Uint8Array(salt.length + 4);
  first.set(salt);
  const u = new Int32Array(5);
  const acc = new Int32Array(5);
  // Bit length of a one-block HMAC message after the 64-byte pad: (64 + 20) * 8.
  const shortBits = (BLOCK + DIGEST) * 8;
  for (let block = 1, at = 0; at < length; block++, at += DIGEST) {
    first[salt.length] = block >>> 24;
    first[salt.length + 1] = block >>> 16;
    first[salt.length + 2] = block >>> 8;
    first[salt.length + 3] = block;
    // U1 = HMAC(salt ‖ INT(block))
    state.set(inner);
    finish(state, w, first, BLOCK);
    u.set(state);
    state.set(outer);
    hashDigest(state, w, u, shortBits);
    u.set(state);
    acc.set(u);
    for (let i = 1; i < iterations; i++) {
      state.set(inner);
      hashDigest(state, w, u, shortBits);
      u.set(state);
      state.set(outer);
      hashDigest(state, w, u, shortBits);
      u.set(state);
      for (let j = 0; j < 5; j++) acc[j] ^= u[j];
    }
    for (let i = 0; i < DIGEST && at + i < length; i++) {
      out[at + i] = acc[i >> 2] >>> (24 - 8 * (i & 3));
    }
  }
  return out;
}

/** Absorbs a 20-byte digest (`digest` words) as the final block after a 64-byte prefix. */
function hashDigest(state: Int32Array, w: Int32Array, digest: Int32Array, bits: number): void {
  w[0] = digest[0];
  w[1] = digest[1];
  w[2] = digest[2];
  w[3] = digest[3];
  w[4] = digest[4];
  w[5] = 0x80000000 | 0;
  for (let i = 6; i < 15; i++) w[i] = 0;
  w[15] = bits;
  compress(state, w);
}
