/**
 * Systematic Reed-Solomon erasure code over GF(2^8), byte-identical to klauspost/reedsolomon
 * `New(dataShards, parityShards)` with default options (1.9.13 and 1.13.0 agree), which is
 * what kcp-go uses for its FEC layer.
 *
 * The encoding matrix is a Vandermonde matrix made systematic: `V[r][c] = r^c` for
 * `r < ds + ps`, `c < ds`, then `M = V · (top ds rows of V)⁻¹`. Rows `0..ds-1` of `M` are the
 * identity; parity shard `i` is `Σ_c M[ds+i][c] · data_c`, byte by byte.
 *
 * @module
 */

import { checkShardCounts } from "./_check.ts";
import { applyPacked } from "./_kernel.ts";
import { invertInPlace, multiply, vandermonde } from "./_matrix.ts";
import { NIBBLE_TABLE_SIZE, nibbleTables, type SimdKernel, simdKernel } from "./_simd.ts";
import { gfMul, gfPackedTable } from "./galois.ts";

/** Outputs computed per pass: one per byte lane of a packed table entry. */
const LANES = 4;
/** Entries per packed product table. */
const TABLE_SIZE = 256;
/** Precompute the encoder's tables only up to this many (1 KiB each); else rebuild per call. */
const MAX_CACHED_TABLES = 256;

/** Options of {@linkcode ReedSolomon}. */
export interface ReedSolomonOptions {
  /**
   * Use the WebAssembly SIMD kernel where the runtime has one (default true). False keeps the
   * portable JavaScript loop; both give identical bytes.
   */
  readonly simd?: boolean;
}

/**
 * Reed-Solomon codec for one (dataShards, parityShards) pair. Instances keep scratch buffers
 * and are not reentrant; use one per encoder or decoder.
 *
 * @example
 * ```ts
 * import { ReedSolomon } from "./reed_solomon.ts";
 * import assert from "node:assert/strict";
 *
 * // kcptun-wire.md §11.4: three size‖KCP shards zero-padded to 7 bytes.
 * const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));
 * const rs = new ReedSolomon(3, 2);
 * const shards = [hex("07006162636465"), hex("050078797a0000"), hex("04005152000000"),
 *   new Uint8Array(7), new Uint8Array(7)];
 * rs.encode(shards, 7);
 * assert.deepEqual(shards[3], hex("06004849196465"));
 * assert.deepEqual(shards[4], hex("1d00091afc2629"));
 *
 * // Lose data shard 1 and rebuild it from the others.
 * shards[1] = new Uint8Array(7);
 * assert.ok(rs.reconstructData(shards, [true, false, true, true, true], 7));
 * assert.deepEqual(shards[1], hex("050078797a0000"));
 * ```
 */
export class ReedSolomon {
  /** Number of data shards (1..255). */
  readonly dataShards: number;
  /** Number of parity shards (1..255, with dataShards + parityShards ≤ 256). */
  readonly parityShards: number;

  readonly #total: number;
  /** `total × dataShards` encoding matrix, row-major. */
  readonly #matrix: Uint8Array;
  /** Parity-row planes: ceil(parityShards / 4). */
  readonly #planes: number;
  /** Encoder tables, `[plane * ds + input]`, or null when they are rebuilt per plane. */
  readonly #encTables: Int32Array[] | null;
  /** One plane of tables built on demand: `[input]`. */
  readonly #scratch: Int32Array;
  readonly #scratchTables: Int32Array[];
  readonly #encIn: Int32Array;
  readonly #encOut: Int32Array;
  #acc: Int32Array = new Int32Array(0);

  // Reconstruction scratch.
  readonly #recIn: Int32Array;
  readonly #recOut: Int32Array;
  readonly #sub: Uint8Array;
  readonly #subInv: Uint8Array;
  /** Decode coefficients, `[missing q * ds + input j]`. */
  readonly #coef: Uint8Array;
  readonly #lane = new Uint8Array(LANES);

  /** The SIMD kernel, or undefined for the JavaScript loop. */
  readonly #simd: SimdKernel | undefined;
  /** SIMD nibble tables of the parity rows, `[(row · ds + input) · 32]`. */
  readonly #encNibbles: Uint8Array;
  /** SIMD nibble tables of one reconstruction, `[(missing q · ds + input j) · 32]`. */
  readonly #recNibbles: Uint8Array;

  /**
   * Builds the systematic encoding matrix for `dataShards` + `parityShards`.
   *
   * @param dataShards Data shards per group, 1..255.
   * @param parityShards Parity shards per group, 1..255.
   * @param options See {@linkcode ReedSolomonOptions}.
   * @throws {RangeError} If a count is not a positive integer or their sum exceeds 256.
   */
  constructor(dataShards: number, parityShards: number, options: ReedSolomonOptions = {}) {
    checkShardCounts(dataShards, parityShards);
    const ds = dataShards, ps = parityShards, n = ds + ps;
    this.dataShards = ds;
    this.parityShards = ps;
    this.#total = n;

    const v = vandermonde(n, ds);
    const topInv = new Uint8Array(ds * ds);
    // The top of a Vandermonde matrix with distinct points is always invertible.
    invertInPlace(v.slice(0, ds * ds), ds, topInv);
    // V_top · V_top⁻¹ is the identity, so only the parity rows need the product.
    this.#matrix = new Uint8Array(n * ds);
    for (let i = 0; i < ds; i++) this.#matrix[i * ds + i] = 1;
    this.#matrix.set(multiply(v.subarray(ds * ds), ps, ds, topInv, ds), ds * ds);

    this.#simd = options.simd === false ? undefined : simdKernel();
    const simd = this.#simd !== undefined;
    this.#encNibbles = new Uint8Array(simd ? ps * ds * NIBBLE_TABLE_SIZE : 0);
    this.#recNibbles = new Uint8Array(this.#encNibbles.length);
    for (let c = 0; c < this.#encNibbles.length / NIBBLE_TABLE_SIZE; c++) {
      nibbleTables(this.#matrix[ds * ds + c], this.#encNibbles, c * NIBBLE_TABLE_SIZE);
    }

    this.#planes = Math.ceil(ps / LANES);
    this.#scratch = new Int32Array(simd ? 0 : ds * TABLE_SIZE);
    this.#scratchTables = tableViews(this.#scratch, simd ? 0 : ds);
    if (simd) {
      this.#encTables = [];
    } else if (ds * this.#planes <= MAX_CACHED_TABLES) {
      const all = new Int32Array(ds * this.#planes * TABLE_SIZE);
      this.#encTables = tableViews(all, ds * this.#planes);
      for (let p = 0; p < this.#planes; p++) this.#buildParityPlane(p, all, p * ds);
    } else {
      this.#encTables = null;
    }
    this.#encIn = new Int32Array(ds);
    for (let j = 0; j < ds; j++) this.#encIn[j] = j;
    this.#encOut = new Int32Array(ps);
    for (let i = 0; i < ps; i++) this.#encOut[i] = ds + i;

    this.#recIn = new Int32Array(ds);
    this.#recOut = new Int32Array(ps);
    this.#sub = new Uint8Array(ps * ps);
    this.#subInv = new Uint8Array(ps * ps);
    this.#coef = new Uint8Array(ps * ds);
  }

  /**
   * Coefficient row `r` of the encoding matrix (`r < ds` is a unit row). Returns a copy.
   *
   * @throws {RangeError} If `r` is out of range.
   */
  matrixRow(r: number): Uint8Array {
    if (!(r >= 0 && r < this.#total && r === (r | 0))) {
      throw new RangeError(`Matrix row must be 0..${this.#total - 1}, got ${r}`);
    }
    return this.#matrix.slice(r * this.dataShards, (r + 1) * this.dataShards);
  }

  /**
   * Compute the parity shards. `shards[0..ds)` are the inputs and `shards[ds..ds+ps)` the
   * outputs; each must hold at least `len` bytes, and only `[0, len)` is read or written.
   * Allocates nothing once its accumulator has grown to `len`.
   *
   * @throws {RangeError} If there are fewer than ds+ps shards or one is shorter than `len`.
   */
  encode(shards: Uint8Array[], len: number): void {
    this.#checkShards(shards, len, null);
    if (len === 0) return;
    const ds = this.dataShards;
    if (this.#simd !== undefined) {
      this.#simd.apply(
        shards,
        this.#encIn,
        ds,
        this.#encNibbles,
        this.#encOut,
        this.parityShards,
        len,
      );
      return;
    }
    const acc = this.#accumulator(len);
    for (let p = 0; p < this.#planes; p++) {
      const count = Math.min(LANES, this.parityShards - p * LANES);
      let tables = this.#encTables, base = p * ds;
      if (tables === null) {
        this.#buildParityPlane(p, this.#scratch, 0);
        tables = this.#scratchTables;
        base = 0;
      }
      applyPacked(shards, this.#encIn, ds, tables, base, this.#encOut, p * LANES, count, acc, len);
    }
  }

  /**
   * Rebuild missing data shards in place. `present[i]` says whether `shards[i]` holds a
   * received shard; every missing data shard is overwritten over `[0, len)` (it must be at
   * least `len` long). Missing parity shards are not rebuilt and their entries are not read.
   * Present shards are read over `[0, len)` only: the caller zero-pads shorter shards.
   *
   * @returns false (and touches nothing) if fewer than `dataShards` shards are present.
   * @throws {RangeError} If the arrays are shorter than ds+ps or a used shard is shorter than `len`.
   */
  reconstructData(shards: Uint8Array[], present: boolean[], len: number): boolean {
    this.#checkShards(shards, len, present);
    const ds = this.dataShards, n = this.#total;
    let presentCount = 0;
    for (let i = 0; i < n; i++) if (present[i]) presentCount++;
    if (presentCount < ds) return false;

    // Inputs: the present data shards, then the first `e` present parity shards.
    // Outputs: the `e` missing data shards.
    const inIdx = this.#recIn, outIdx = this.#recOut;
    let k = 0, e = 0;
    for (let i = 0; i < ds; i++) {
      if (present[i]) inIdx[k++] = i;
      else outIdx[e++] = i;
    }
    if (e === 0) return true;
    for (let i = ds; i < n && k < ds; i++) if (present[i]) inIdx[k++] = i;
    if (len === 0) return true;

    // Solve A·d_E = p_R ⊕ M[R][P]·d_P with A = M[R][E] (e × e).
    const m = this.#matrix, sub = this.#sub, inv = this.#subInv;
    const firstParity = ds - e;
    for (let t = 0; t < e; t++) {
      const row = inIdx[firstParity + t] * ds;
      for (let q = 0; q < e; q++) sub[t * e + q] = m[row + outIdx[q]];
    }
    if (!invertInPlace(sub, e, inv)) return false;
    // Coefficients of missing shard q on each input j.
    const coef = this.#coef;
    for (let q = 0; q < e; q++) {
      for (let j = 0; j < firstParity; j++) {
        const c = inIdx[j];
        let v = 0;
        for (let t = 0; t < e; t++) v ^= gfMul(inv[q * e + t], m[inIdx[firstParity + t] * ds + c]);
        coef[q * ds + j] = v;
      }
      for (let t = 0; t < e; t++) coef[q * ds + firstParity + t] = inv[q * e + t];
    }

    if (this.#simd !== undefined) {
      const nib = this.#recNibbles;
      for (let c = 0; c < e * ds; c++) nibbleTables(coef[c], nib, c * NIBBLE_TABLE_SIZE);
      this.#simd.apply(shards, inIdx, ds, nib, outIdx, e, len);
      return true;
    }
    const acc = this.#accumulator(len);
    const lane = this.#lane, scratch = this.#scratch;
    for (let start = 0; start < e; start += LANES) {
      const count = Math.min(LANES, e - start);
      for (let j = 0; j < ds; j++) {
        for (let r = 0; r < count; r++) lane[r] = coef[(start + r) * ds + j];
        gfPackedTable(lane, count, scratch, j * TABLE_SIZE);
      }
      applyPacked(shards, inIdx, ds, this.#scratchTables, 0, outIdx, start, count, acc, len);
    }
    return true;
  }

  /** Fill the tables of parity plane `p` into `out`, starting at table index `first`. */
  #buildParityPlane(p: number, out: Int32Array, first: number): void {
    const ds = this.dataShards, m = this.#matrix, lane = this.#lane;
    const count = Math.min(LANES, this.parityShards - p * LANES);
    for (let j = 0; j < ds; j++) {
      for (let r = 0; r < count; r++) lane[r] = m[(ds + p * LANES + r) * ds + j];
      gfPackedTable(lane, count, out, (first + j) * TABLE_SIZE);
    }
  }

  #accumulator(len: number): Int32Array {
    if (this.#acc.length < len) this.#acc = new Int32Array(Math.max(len, 2 * this.#acc.length));
    return this.#acc;
  }

  #checkShards(shards: Uint8Array[], len: number, present: boolean[] | null): void {
    const n = this.#total;
    if (!(len >= 0 && len === Math.floor(len) && len <= 0x7fffffff)) {
      throw new RangeError(`Shard length must be a non-negative integer, got ${len}`);
    }
    if (shards.length < n) {
      throw new RangeError(`Shards must hold ${n} entries, got ${shards.length}`);
    }
    if (present !== null && present.length < n) {
      throw new RangeError(`Present flags must hold ${n} entries, got ${present.length}`);
    }
    for (let i = 0; i < n; i++) {
      const needed = present === null || present[i] || i < this.dataShards;
      if (needed && !(shards[i]?.length >= len)) {
        throw new RangeError(
          `Shard ${i} must hold at least ${len} bytes, got ${shards[i]?.length ?? "none"}`,
        );
      }
    }
  }
}

function tableViews(buf: Int32Array, count: number): Int32Array[] {
  const views: Int32Array[] = [];
  for (let i = 0; i < count; i++) views.push(buf.subarray(i * TABLE_SIZE, (i + 1) * TABLE_SIZE));
  return views;
}
