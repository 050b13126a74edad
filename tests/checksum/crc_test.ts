// The one CRC loop (aligned 32-bit word loads, 16 bytes a step) behind crc32 (IEEE, kcp-go's
// packet checksum) and crc32c (snappy framing), against a bitwise reference of each polynomial
// at every alignment, around the word-loop threshold and on views of larger buffers.

import assert from "node:assert/strict";
import { createCrc32 } from "../../lib/checksum/crc.ts";
import { crc32 } from "../../lib/crypt/crc32.ts";
import { crc32c } from "../../lib/snappy/crc32c.ts";
import { Prng } from "../../lib/link/prng.ts";

/** One bit at a time, straight from the definition. */
function reference(poly: number, buf: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

const CASES = [
  { name: "crc32 (IEEE)", poly: 0xedb88320, f: crc32, check: 0xcbf43926 },
  { name: "crc32c (Castagnoli)", poly: 0x82f63b78, f: crc32c, check: 0xe3069283 },
];

for (const { name, poly, f, check } of CASES) {
  Deno.test(`${name}: the check value, and createCrc32 of its polynomial agrees`, () => {
    const digits = new TextEncoder().encode("123456789");
    assert.equal(f(digits), check);
    assert.equal(createCrc32(poly)(digits), check);
    assert.equal(f(new Uint8Array(0)), 0);
  });

  Deno.test(`${name}: equals the bitwise definition at every alignment and length`, () => {
    const data = new Uint8Array(70000);
    new Prng(32).fill(data);
    for (let start = 0; start < 8; start++) {
      for (let len = 0; len <= 160; len++) {
        assert.equal(f(data, start, start + len), reference(poly, data, start, start + len));
      }
    }
    for (const [s, e] of [[3, 8195], [0, 65536], [1, 65537], [7, 70000], [20, 1370]]) {
      assert.equal(f(data, s, e), reference(poly, data, s, e));
    }
  });

  Deno.test(`${name}: on unaligned views reads only the view and clamps its bounds`, () => {
    const backing = new Uint8Array(5000);
    new Prng(7).fill(backing);
    for (let off = 0; off < 4; off++) {
      const view = backing.subarray(off + 1, off + 4001);
      assert.equal(f(view), reference(poly, backing, off + 1, off + 4001));
      assert.equal(f(view, 2, 3999), reference(poly, backing, off + 3, off + 4000));
      assert.equal(f(view, -3, 1e9), reference(poly, backing, off + 1, off + 4001));
      assert.equal(f(view, 300, 200), 0);
    }
  });
}
