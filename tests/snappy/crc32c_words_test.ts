// crc32c's word loop (aligned 32-bit loads, 16 bytes a step) against a bitwise reference at
// every alignment, around its length threshold and on views of larger buffers.

import assert from "node:assert/strict";
import { crc32c } from "../../lib/snappy/crc32c.ts";
import { Prng } from "../../lib/link/prng.ts";

function reference(buf: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

Deno.test("crc32c equals the bitwise definition at every alignment and length", () => {
  const data = new Uint8Array(70000);
  new Prng(32).fill(data);
  for (let start = 0; start < 8; start++) {
    for (let len = 0; len <= 160; len++) {
      assert.equal(crc32c(data, start, start + len), reference(data, start, start + len));
    }
  }
  for (const [s, e] of [[3, 8195], [0, 65536], [1, 65537], [7, 70000]]) {
    assert.equal(crc32c(data, s, e), reference(data, s, e));
  }
});

Deno.test("crc32c on unaligned views reads only the view and clamps its bounds", () => {
  const backing = new Uint8Array(5000);
  new Prng(7).fill(backing);
  for (let off = 0; off < 4; off++) {
    const view = backing.subarray(off + 1, off + 4001);
    assert.equal(crc32c(view), reference(backing, off + 1, off + 4001));
    assert.equal(crc32c(view, 2, 3999), reference(backing, off + 3, off + 4000));
    assert.equal(crc32c(view, -3, 1e9), reference(backing, off + 1, off + 4001));
  }
});
