import assert from "node:assert/strict";
import { assemble, get, I32, i32, i32Load, i32Load8, i32Store, Op, set } from "../../lib/_wasm.ts";

function instantiate(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Exports {
  assert.ok(WebAssembly.validate(bytes));
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
}

Deno.test("wasm assembler: header, sections and multi-byte constants", () => {
  // f(a, b) = (a - b) ^ -1000000 ; a three-byte negative and a five-byte positive constant
  const bytes = assemble([
    {
      name: "f",
      params: [I32, I32],
      results: [I32],
      locals: [],
      body: [get(0), get(1), Op.i32Sub, i32(-1000000), Op.i32Xor],
    },
    { name: "big", params: [], results: [I32], locals: [], body: [i32(0x7fffffff)] },
  ], 1);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  const e = instantiate(bytes);
  const f = e.f as (a: number, b: number) => number;
  assert.equal(f(10, 3), 7 ^ -1000000);
  assert.equal(f(-5, 0x40), (-5 - 0x40) ^ -1000000);
  assert.equal((e.big as () => number)(), 0x7fffffff);
  assert.equal((e.memory as WebAssembly.Memory).buffer.byteLength, 65536);
});

Deno.test("wasm assembler: loops, branches, locals and memory offsets", () => {
  // sum(p, n): Σ bytes [p, p + n), stored as an i32 at p + n + 4 (offset immediate 4)
  const P = 0, N = 1, S = 2, I = 3;
  const bytes = assemble([{
    name: "sum",
    params: [I32, I32],
    results: [I32],
    locals: [I32, I32],
    body: [
      i32(0),
      set(I),
      Op.block,
      Op.loop,
      get(I),
      get(N),
      Op.i32GeU,
      [...Op.brIf, 1],
      get(S),
      get(P),
      get(I),
      Op.i32Add,
      i32Load8(),
      Op.i32Add,
      set(S),
      get(I),
      i32(1),
      Op.i32Add,
      set(I),
      [...Op.br, 0],
      Op.end,
      Op.end,
      get(P),
      get(N),
      Op.i32Add,
      get(S),
      i32Store(4),
      get(P),
      get(N),
      Op.i32Add,
      i32Load(4),
    ],
  }], 1);
  const e = instantiate(bytes);
  const mem = new Uint8Array((e.memory as WebAssembly.Memory).buffer);
  for (let i = 0; i < 300; i++) mem[100 + i] = i & 0xff;
  let expected = 0;
  for (let i = 0; i < 300; i++) expected += i & 0xff;
  assert.equal((e.sum as (p: number, n: number) => number)(100, 300), expected);
  assert.equal(new DataView(mem.buffer).getInt32(100 + 300 + 4, true), expected);
});
