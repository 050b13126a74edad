/**
 * The Reed-Solomon inner loop in WebAssembly SIMD: sixteen bytes per step, each GF(2^8)
 * product looked up as two 16-entry nibble tables with `i8x16.swizzle` (PSHUFB on x86-64,
 * TBL on arm64). Private helper of reed_solomon.ts; the packed-table loop of _kernel.ts stays
 * for runtimes without SIMD.
 *
 * Why: parity encoding was 6–7 % of the sending end's CPU on the 2 % loss bench link with the
 * JavaScript loop, which does one table load per byte per input.
 *
 * The module is built by {@link assemble} at first use; one instance per process, with one
 * growable memory used as scratch: coefficient tables, then the input shards, then the output
 * shards, each shard at a stride of its length rounded up to the loop's 32-byte step. Inputs are
 * copied in and outputs out for every call, which costs far less than the products.
 *
 * @module
 */

import {
  assemble,
  get,
  I32,
  i32,
  Op,
  set,
  V128,
  v128Load,
  v128Store,
  v128Zero,
  type WasmFunction,
} from "../_wasm.ts";
import { gfMul } from "./galois.ts";

/** Bytes of one coefficient's nibble tables: products of the low nibble, then of the high one. */
export const NIBBLE_TABLE_SIZE = 32;

const PAGE = 65536;
const VECTOR = 16;
/** Bytes per step of the loop (two vectors); shard strides are rounded up to it. */
const STEP = 32;

// dot(tab, src, stride, k, dst, len): for i in [0, len) step 32 (whole steps, so up to len
// rounded up to 32, which the stride leaves room for),
//   dst[i..i+32) = Σ_{j<k} nib(tab + 32j, src[j·stride + i .. +32))
const TAB = 0, SRC = 1, STRIDE = 2, K = 3, DST = 4, LEN = 5;
const I = 6, J = 7, P = 8, T = 9, ACC = 10, V = 11, MASK = 12, ACC2 = 13, LO = 14, HI = 15;

const DOT: WasmFunction = {
  name: "dot",
  params: [I32, I32, I32, I32, I32, I32],
  results: [],
  locals: [I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128],
  body: [
    i32(0x0f),
    Op.i8x16Splat,
    set(MASK),
    i32(0),
    set(I),
    Op.block,
    Op.loop,
    // while (i < len): two vectors per step, sharing each coefficient's table loads
    get(I),
    get(LEN),
    Op.i32GeU,
    [...Op.brIf, 1],
    v128Zero(),
    set(ACC),
    v128Zero(),
    set(ACC2),
    get(SRC),
    get(I),
    Op.i32Add,
    set(P),
    get(TAB),
    set(T),
    get(K),
    set(J),
    Op.loop,
    get(T),
    v128Load(),
    set(LO),
    get(T),
    v128Load(VECTOR),
    set(HI),
    ...product(ACC, 0),
    ...product(ACC2, VECTOR),
    get(P),
    get(STRIDE),
    Op.i32Add,
    set(P),
    get(T),
    i32(NIBBLE_TABLE_SIZE),
    Op.i32Add,
    set(T),
    get(J),
    i32(1),
    Op.i32Sub,
    set(J),
    get(J),
    [...Op.brIf, 0],
    Op.end,
    get(DST),
    get(I),
    Op.i32Add,
    get(ACC),
    v128Store(),
    get(DST),
    get(I),
    Op.i32Add,
    get(ACC2),
    v128Store(VECTOR),
    get(I),
    i32(STEP),
    Op.i32Add,
    set(I),
    [...Op.br, 0],
    Op.end,
    Op.end,
  ],
};

/** `acc ^= lo[v & 15] ^ hi[v >> 4]` for the vector `v` at `p + offset`. */
function product(acc: number, offset: number): (readonly number[])[] {
  return [
    get(P),
    v128Load(offset),
    set(V),
    get(acc),
    get(LO),
    get(V),
    get(MASK),
    Op.v128And,
    Op.i8x16Swizzle,
    Op.v128Xor,
    get(HI),
    get(V),
    i32(4),
    Op.i8x16ShrU,
    Op.i8x16Swizzle,
    Op.v128Xor,
    set(acc),
  ];
}

type Dot = (tab: number, src: number, stride: number, k: number, dst: number, len: number) => void;

/**
 * Write the nibble tables of coefficient `c` at `out[offset, offset + 32)`: `c·x` for x in
 * 0..15, then `c·(x << 4)`.
 */
export function nibbleTables(c: number, out: Uint8Array, offset: number): void {
  for (let x = 0; x < 16; x++) {
    out[offset + x] = gfMul(c, x);
    out[offset + 16 + x] = gfMul(c, x << 4);
  }
}

/** The SIMD kernel with its scratch memory. Not reentrant (one per process is enough). */
export class SimdKernel {
  readonly #memory: WebAssembly.Memory;
  readonly #dot: Dot;
  #bytes: Uint8Array;

  constructor(instance: WebAssembly.Instance) {
    this.#memory = instance.exports.memory as WebAssembly.Memory;
    this.#dot = instance.exports.dot as Dot;
    this.#bytes = new Uint8Array(this.#memory.buffer);
  }

  /**
   * `shards[outIdx[r]][0, len) = Σ_j c(r, j)·shards[inIdx[j]][0, len)` for
   * `r < count`, `j < k`, where `tables[(r·k + j)·32, +32)` are the nibble tables of c(r, j)
   * (see {@link nibbleTables}).
   */
  apply(
    shards: readonly Uint8Array[],
    inIdx: Int32Array,
    k: number,
    tables: Uint8Array,
    outIdx: Int32Array,
    count: number,
    len: number,
  ): void {
    const stride = (len + STEP - 1) & ~(STEP - 1);
    const tabBytes = count * k * NIBBLE_TABLE_SIZE;
    const src = tabBytes;
    const dst = src + k * stride;
    const bytes = this.#reserve(dst + count * stride);
    bytes.set(tables.subarray(0, tabBytes), 0);
    for (let j = 0; j < k; j++) bytes.set(shards[inIdx[j]].subarray(0, len), src + j * stride);
    for (let r = 0; r < count; r++) {
      const at = dst + r * stride;
      this.#dot(r * k * NIBBLE_TABLE_SIZE, src, stride, k, at, len);
      shards[outIdx[r]].set(bytes.subarray(at, at + len));
    }
  }

  #reserve(size: number): Uint8Array {
    if (this.#bytes.length < size) {
      this.#memory.grow(Math.ceil((size - this.#bytes.length) / PAGE));
      this.#bytes = new Uint8Array(this.#memory.buffer);
    }
    return this.#bytes;
  }
}

let kernel: SimdKernel | null | undefined;

/**
 * The process's SIMD kernel, or undefined where WebAssembly SIMD is unavailable. Decided once
 * per process.
 */
export function simdKernel(): SimdKernel | undefined {
  if (kernel !== undefined) return kernel ?? undefined;
  kernel = null;
  if (typeof WebAssembly !== "object") return undefined;
  try {
    const bytes = assemble([DOT], 1);
    if (!WebAssembly.validate(bytes)) return undefined;
    kernel = new SimdKernel(new WebAssembly.Instance(new WebAssembly.Module(bytes), {}));
  } catch {
    kernel = null;
  }
  return kernel ?? undefined;
}
