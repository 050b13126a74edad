/**
 * QPP (Quantum Permutation Pads), latest kcptun's `--QPP` stream-payload transform
 * (xtaci/qpp; kcptun-wire.md §8).
 *
 * @module
 */

import { QppPrng } from "./prng.ts";
import {
  CHUNKS_CURRENT,
  CHUNKS_LEGACY,
  generatePads,
  prngSeedBytes,
  QPP_MIN_PADS,
  QPP_MIN_SEED_LENGTH,
  seedToChunks,
} from "./_pads.ts";

export { QppPrng };

/** Largest pad count: qpp stores it as a uint16 (kcptun passes `uint16(QPPCount)`). */
const MAX_PADS = 0xffff;
const PAD_SIZE = 256;

/** Options for {@link Qpp}. */
export interface QppOptions {
  /**
   * Build the pads like qpp v1.1.16–v1.1.18 (kcptun builds of mid-2024 to late 2025): six seed
   * chunks and only the first half of the shuffle state through AES. Peers on qpp ≥ v1.1.23
   * (current kcptun) cannot talk to such peers, and vice versa.
   *
   * @default false
   */
  legacy?: boolean;
}

/**
 * A set of QPP permutation pads built from a key.
 *
 * kcptun builds one per process from the raw `--key` bytes and `--QPPCount`, then gives every
 * smux stream two fresh PRNGs, one per direction; only stream payload bytes are transformed.
 * The transform is position based, so how a direction's bytes are split into calls does not
 * matter.
 *
 * @example
 * ```ts
 * import { Qpp } from "./qpp.ts";
 * import assert from "node:assert/strict";
 * const qpp = new Qpp(new TextEncoder().encode("it's a secrect"), 61);
 * const msg = new TextEncoder().encode("hello, quantum world");
 * const w = qpp.createPrng();
 * qpp.encrypt(msg, w, 0, 3); // any split gives the same bytes
 * qpp.encrypt(msg, w, 3);
 * const hex = Array.from(msg, (b) => b.toString(16).padStart(2, "0")).join("");
 * assert.equal(hex, "40ebc9233de08c12b17d7d7c5624c50a5e93f56f"); // kcptun-wire.md §11.6
 * qpp.decrypt(msg, qpp.createPrng());
 * assert.equal(new TextDecoder().decode(msg), "hello, quantum world");
 * ```
 */
export class Qpp {
  /** Number of pads (`--QPPCount`). */
  readonly numPads: number;
  /** Whether the pads follow the legacy qpp v1.1.16–v1.1.18 derivation. */
  readonly legacy: boolean;
  readonly #pads: Uint8Array;
  readonly #rpads: Uint8Array;
  readonly #prngTemplate: QppPrng;

  /**
   * Builds the pads (about 20 ms for 61 pads; measured in tests/qpp/qpp_bench.ts).
   *
   * @param seed The raw `--key` bytes (not the PBKDF2 "pass"). Any length, even empty.
   * @param numPads `--QPPCount`, 1..65535 (kcptun's default is 61).
   * @throws {TypeError} If `seed` is not a Uint8Array.
   * @throws {RangeError} If `numPads` is not an integer in 1..65535.
   */
  constructor(seed: Uint8Array, numPads: number, options: QppOptions = {}) {
    if (!(seed instanceof Uint8Array)) {
      throw new TypeError(`QPP seed must be a Uint8Array, got ${typeof seed}`);
    }
    checkPadCount(numPads);
    if (numPads > MAX_PADS) {
      throw new RangeError(`QPP pad count must be 1..${MAX_PADS}, got ${numPads}`);
    }
    this.numPads = numPads;
    this.legacy = options.legacy === true;
    const chunks = seedToChunks(seed, this.legacy ? CHUNKS_LEGACY : CHUNKS_CURRENT);
    const { pads, rpads } = generatePads(chunks, numPads, this.legacy);
    this.#pads = pads;
    this.#rpads = rpads;
    // CreatePRNG(seed) is a pure function of the seed: derive it once, clone per stream.
    this.#prngTemplate = new QppPrng(prngSeedBytes(seed));
  }

  /** A fresh generator at stream position 0 (one per stream direction). */
  createPrng(): QppPrng {
    return this.#prngTemplate.clone();
  }

  /**
   * Encrypts `data[start, end)` in place and advances `prng` by that many bytes
   * (qpp `EncryptWithPRNG`).
   */
  encrypt(data: Uint8Array, prng: QppPrng, start = 0, end: number = data.length): void {
    prng.permute(this.#pads, this.numPads, data, start, end, false);
  }

  /**
   * Decrypts `data[start, end)` in place and advances `prng` by that many bytes
   * (qpp `DecryptWithPRNG`).
   */
  decrypt(data: Uint8Array, prng: QppPrng, start = 0, end: number = data.length): void {
    prng.permute(this.#rpads, this.numPads, data, start, end, true);
  }

  /** A copy of pad `i` (256 bytes: the permutation), for inspection and tests. */
  pad(i: number): Uint8Array {
    return this.#pads.slice(i * PAD_SIZE, (i + 1) * PAD_SIZE);
  }

  /** A copy of the inverse of pad `i`. */
  rpad(i: number): Uint8Array {
    return this.#rpads.slice(i * PAD_SIZE, (i + 1) * PAD_SIZE);
  }
}

function checkPadCount(numPads: number): void {
  if (!Number.isInteger(numPads) || numPads <= 0) {
    throw new RangeError(`QPP pad count must be greater than 0, got ${numPads}`);
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * kcptun's QPP start-up warnings, word for word: a key shorter than 211 bytes, fewer than 7
 * pads, or a pad count sharing a factor with 8 (an even count).
 *
 * @param seed The raw `--key` bytes.
 * @param numPads `--QPPCount`.
 * @returns The warnings, in kcptun's order; empty when none apply.
 * @throws {RangeError} If `numPads` is not a positive integer (fatal in kcptun).
 *
 * @example
 * ```ts
 * import { qppWarnings } from "./qpp.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(qppWarnings(new TextEncoder().encode("it's a secrect"), 61), [
 *   "QPP Warning: 'key' has size of 14 bytes, required 211 bytes at least",
 * ]);
 * assert.deepEqual(qppWarnings(new Uint8Array(211), 61), []);
 * ```
 */
export function qppWarnings(seed: Uint8Array, numPads: number): string[] {
  checkPadCount(numPads);
  const warnings: string[] = [];
  if (seed.length < QPP_MIN_SEED_LENGTH) {
    warnings.push(
      `QPP Warning: 'key' has size of ${seed.length} bytes, required ${QPP_MIN_SEED_LENGTH} bytes at least`,
    );
  }
  if (numPads < QPP_MIN_PADS) {
    warnings.push(`QPP Warning: QPPCount ${numPads}, required ${QPP_MIN_PADS} at least`);
  }
  if (gcd(numPads, 8) !== 1) {
    warnings.push(`QPP Warning: QPPCount ${numPads}, choose a prime number for security`);
  }
  return warnings;
}
