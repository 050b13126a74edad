// crc32 hands inputs of 64+ bytes to node:zlib's native CRC and keeps the table loop below:
// both paths, every boundary around the switch and any view offset equal a bitwise reference.

import assert from "node:assert/strict";
import { crc32 } from "../../lib/crypt/crc32.ts";
import { Prng } from "../../lib/link/prng.ts";

/** One bit at a time, straight from the definition. */
function reference(buf: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

Deno.test("crc32 equals the bitwise definition on both sides of the native threshold", () => {
  const data = new Uint8Array(3000);
  new Prng(64).fill(data);
  for (let len = 0; len <= 200; len++) {
    for (const start of [0, 1, 20]) {
      assert.equal(crc32(data, start, start + len), reference(data, start, start + len));
    }
  }
  for (const len of [1330, 1480, 2999]) {
    assert.equal(crc32(data, 1, 1 + len), reference(data, 1, 1 + len));
  }
  assert.equal(crc32(data), reference(data, 0, data.length));
});

Deno.test("crc32 on a view of a larger buffer reads only the view", () => {
  const backing = new Uint8Array(1000);
  new Prng(3).fill(backing);
  const view = backing.subarray(100, 600);
  assert.equal(crc32(view), reference(backing, 100, 600));
  assert.equal(crc32(view, 10, 400), reference(backing, 110, 500));
  // clamped bounds
  assert.equal(crc32(view, -5, 9999), reference(backing, 100, 600));
  assert.equal(crc32(view, 300, 200), 0);
});
