/**
 * QPP key setup: seed chunks, shuffle keys, the permutation pads and the PRNG seed, as in
 * xtaci/qpp `NewQPP` / `CreatePRNG` (kcptun-wire.md §8.2, §8.4, §8.5).
 *
 * @module
 */

import { aes256Ecb, hmacSha256, pbkdf2Sha1 } from "./_crypto.ts";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Salt that stretches short seeds and derives chunks. */
export const CHUNK_DERIVE_SALT: Uint8Array = ascii("___QUANTUM_PERMUTATION_PAD_SEED_DERIVE___");
/** Salt of the per-chunk AES-256 shuffle keys. */
export const SHUFFLE_SALT: Uint8Array = ascii("___QUANTUM_PERMUTATION_PAD_SHUFFLE_SALT___");
/** Salt of the PRNG seed. */
export const PRNG_SALT: Uint8Array = ascii("___QUANTUM_PERMUTATION_PAD_PRNG_SALT___");
/** HMAC message of the PRNG seed. */
export const PM_SELECTOR_IDENTIFIER: Uint8Array = ascii("PERMUTATION_MATRIX_SELECTOR");

/** PBKDF2 iterations everywhere except chunk derivation. */
const PBKDF2_LOOPS = 128;
/** PBKDF2 iterations of chunk derivation. */
const CHUNK_DERIVE_LOOPS = 1024;
/** Seeds shorter than this are stretched first. */
const MIN_RAW_SEED = 32;
const CHUNK_SIZE = 32;
const PAD_SIZE = 256;
const AES_BLOCK = 16;

/**
 * qpp's `QPPMinimumSeedLength(8)`: bytes needed to hold log2(256!) bits, rounded up
 * (bitlen(256!) = 1684 → 211). kcptun warns about shorter keys.
 */
export const QPP_MIN_SEED_LENGTH = 211;
/** qpp's `QPPMinimumPads(8)`: ceil(211 / 32) = 7. kcptun warns about fewer pads. */
export const QPP_MIN_PADS = 7;
/** Chunks (and AES keys) of the current algorithm, qpp ≥ v1.1.19: ceil(211 / 32). */
export const CHUNKS_CURRENT = 7;
/** Chunks of qpp v1.1.16–v1.1.18, which rounded down twice: floor(floor(1684 / 8) / 32). */
export const CHUNKS_LEGACY = 6;

/** The seed that chunks are cut from: the raw seed, or its PBKDF2 stretch if under 32 bytes. */
export function stretchSeed(seed: Uint8Array): Uint8Array {
  return seed.length < MIN_RAW_SEED
    ? pbkdf2Sha1(seed, CHUNK_DERIVE_SALT, PBKDF2_LOOPS, CHUNK_SIZE)
    : seed;
}

/**
 * `count` chunks of 32 bytes: chunk i takes bytes 32·i .. 32·i+31 of the stretched seed,
 * cycling over it, then goes through PBKDF2 (1024 iterations).
 */
export function seedToChunks(seed: Uint8Array, count: number): Uint8Array[] {
  const s = stretchSeed(seed);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const raw = new Uint8Array(CHUNK_SIZE);
    for (let j = 0; j < CHUNK_SIZE; j++) raw[j] = s[(i * CHUNK_SIZE + j) % s.length];
    chunks.push(pbkdf2Sha1(raw, CHUNK_DERIVE_SALT, CHUNK_DERIVE_LOOPS, CHUNK_SIZE));
  }
  return chunks;
}

/** The AES-256 key each chunk contributes to the shuffle. */
export function shuffleKey(chunk: Uint8Array): Uint8Array {
  return pbkdf2Sha1(chunk, SHUFFLE_SALT, PBKDF2_LOOPS, 32);
}

/** The HMAC-SHA256 that starts pad `i`'s shuffle: key = its chunk, message "QPP_" + binary i. */
export function padInitialHmac(chunks: Uint8Array[], i: number): Uint8Array {
  // Go formats the uint16 pad id with %b: 0 → "QPP_0", 2 → "QPP_10".
  return hmacSha256(chunks[i % chunks.length], ascii("QPP_" + (i & 0xffff).toString(2)));
}

/** The 32 bytes that seed a fresh PRNG: PBKDF2(HMAC-SHA256(seed, selector), salt, 128). */
export function prngSeedBytes(seed: Uint8Array): Uint8Array {
  return pbkdf2Sha1(hmacSha256(seed, PM_SELECTOR_IDENTIFIER), PRNG_SALT, PBKDF2_LOOPS, 32);
}

/** `v` (32 big-endian bytes at `b[p]`) mod `m`, for m ≤ 256, without BigInt. */
function mod256(b: Uint8Array, p: number, m: number): number {
  let r = 0;
  for (let i = p; i < p + 32; i += 4) {
    const w = ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
    r = (r * 4294967296 + w) % m; // r < 256, so the sum stays below 2^40: exact
  }
  return r;
}

/** Permutation pads and their inverses, `numPads` × 256 bytes each, back to back. */
export interface PadSet {
  /** Encryption pads: `pads[256·k + x]` is pad k applied to x. */
  pads: Uint8Array;
  /** Decryption pads: the inverse permutations. */
  rpads: Uint8Array;
}

/**
 * Builds every pad: start from the identity, then a Fisher–Yates shuffle from index 255 down
 * to 1 where each step first runs the 32-byte state through all the AES keys in order (both
 * 16-byte halves; only the first half when `firstHalfOnly`, as qpp v1.1.16–v1.1.22 did) and
 * swaps position k with (state as a big-endian 256-bit integer) mod (k+1).
 *
 * All pads advance in lockstep so each AES key encrypts every pad's state in one ECB call
 * (255 × keys calls in total instead of 255 × keys × pads); ECB makes this identical to
 * encrypting each pad's state on its own.
 */
export function generatePads(
  chunks: Uint8Array[],
  numPads: number,
  firstHalfOnly: boolean,
): PadSet {
  const ciphers = chunks.map((c) => aes256Ecb(shuffleKey(c)));
  const pads = new Uint8Array(numPads * PAD_SIZE);
  for (let i = 0; i < pads.length; i++) pads[i] = i & 0xff;

  // Every pad's 32-byte state, back to back.
  const states = new Uint8Array(numPads * 32);
  for (let i = 0; i < numPads; i++) states.set(padInitialHmac(chunks, i), i * 32);

  // The part the AES keys transform: all of each state, or each state's first half only.
  let work: Uint8Array;
  if (firstHalfOnly) {
    work = new Uint8Array(numPads * AES_BLOCK);
    for (let i = 0; i < numPads; i++) {
      work.set(states.subarray(i * 32, i * 32 + AES_BLOCK), i * AES_BLOCK);
    }
  } else {
    work = states;
  }

  for (let k = PAD_SIZE - 1; k > 0; k--) {
    for (const c of ciphers) work = c.encrypt(work);
    if (firstHalfOnly) {
      for (let i = 0; i < numPads; i++) {
        states.set(work.subarray(i * AES_BLOCK, (i + 1) * AES_BLOCK), i * 32);
      }
    }
    const st = firstHalfOnly ? states : work;
    for (let i = 0; i < numPads; i++) {
      const j = mod256(st, i * 32, k + 1);
      const base = i * PAD_SIZE;
      const t = pads[base + k];
      pads[base + k] = pads[base + j];
      pads[base + j] = t;
    }
  }

  const rpads = new Uint8Array(numPads * PAD_SIZE);
  for (let i = 0; i < numPads; i++) {
    const base = i * PAD_SIZE;
    for (let x = 0; x < PAD_SIZE; x++) rpads[base + pads[base + x]] = x;
  }
  return { pads, rpads };
}
