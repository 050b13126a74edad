/**
 * A minimal WebAssembly assembler: enough of the binary format to build small kernels (one
 * exported memory, exported functions with i32/v128 parameters and locals) from opcode
 * arrays at load time, so the repository carries readable source rather than a binary blob.
 *
 * Only what the kernels use is defined here; see the WebAssembly core specification (binary
 * format, §5) and its SIMD proposal for the encodings.
 *
 * @module
 */

/** Value type `i32`. */
export const I32 = 0x7f;
/** Value type `v128`. */
export const V128 = 0x7b;

/** Block type "no result". */
const EMPTY_BLOCK = 0x40;
const SIMD_PREFIX = 0xfd;

/** Single-byte opcodes (core instruction set). */
export const Op = {
  block: [0x02, EMPTY_BLOCK],
  loop: [0x03, EMPTY_BLOCK],
  end: [0x0b],
  /** Followed by a label index. */
  br: [0x0c],
  /** Followed by a label index. */
  brIf: [0x0d],
  i32Eqz: [0x45],
  i32Ne: [0x47],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32And: [0x71],
  i32Xor: [0x73],
  i32Shl: [0x74],
  i32ShrU: [0x76],
  v128And: [SIMD_PREFIX, 0x4e],
  v128Xor: [SIMD_PREFIX, 0x51],
  i8x16Swizzle: [SIMD_PREFIX, 0x0e],
  i8x16Splat: [SIMD_PREFIX, 0x0f],
  i8x16ShrU: [SIMD_PREFIX, 0x6d],
} as const;

/** `local.get x`. */
export function get(x: number): number[] {
  return [0x20, ...uleb(x)];
}

/** `local.set x`. */
export function set(x: number): number[] {
  return [0x21, ...uleb(x)];
}

/** `i32.const v`. */
export function i32(v: number): number[] {
  return [0x41, ...sleb(v | 0)];
}

/** `i32.load offset` (natural alignment). */
export function i32Load(offset = 0): number[] {
  return [0x28, 2, ...uleb(offset)];
}

/** `i32.load8_u offset`. */
export function i32Load8(offset = 0): number[] {
  return [0x2d, 0, ...uleb(offset)];
}

/** `i32.store offset` (natural alignment). */
export function i32Store(offset = 0): number[] {
  return [0x36, 2, ...uleb(offset)];
}

/** `v128.load offset` (alignment hint 1 byte: addresses need not be aligned). */
export function v128Load(offset = 0): number[] {
  return [SIMD_PREFIX, 0x00, 0, ...uleb(offset)];
}

/** `v128.store offset` (alignment hint 1 byte). */
export function v128Store(offset = 0): number[] {
  return [SIMD_PREFIX, 0x0b, 0, ...uleb(offset)];
}

/** `v128.const` of sixteen zero bytes. */
export function v128Zero(): number[] {
  return [SIMD_PREFIX, 0x0c, ...new Array<number>(16).fill(0)];
}

/** One function of a module. */
export interface WasmFunction {
  /** Export name. */
  readonly name: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  /** Types of the locals after the parameters, one entry per local. */
  readonly locals: readonly number[];
  /** The instructions, without the final `end`. */
  readonly body: readonly (readonly number[])[];
}

/**
 * The bytes of a module with one memory of `pages` 64 KiB pages (exported as `memory`, growable)
 * and `funcs` exported under their names.
 */
export function assemble(funcs: readonly WasmFunction[], pages: number): Uint8Array<ArrayBuffer> {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, body: number[]) => out.push(id, ...uleb(body.length), ...body);
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const name = (s: string) => vec([...new TextEncoder().encode(s)].map((b) => [b]));

  section(
    1,
    vec(
      funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]),
    ),
  );
  section(3, vec(funcs.map((_, i) => uleb(i))));
  section(5, vec([[0x00, ...uleb(pages)]]));
  section(
    7,
    vec([
      [...name("memory"), 0x02, 0],
      ...funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
    ]),
  );
  section(
    10,
    vec(funcs.map((f) => {
      const locals = vec(f.locals.map((t) => [1, t]));
      const body = [...locals, ...f.body.flat(), ...Op.end];
      return [...uleb(body.length), ...body];
    })),
  );
  return Uint8Array.from(out);
}

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const bytes: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    bytes.push(b);
  } while (n !== 0);
  return bytes;
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(n: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      bytes.push(b);
      return bytes;
    }
    bytes.push(b | 0x80);
  }
}
