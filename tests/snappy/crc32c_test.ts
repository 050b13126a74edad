import assert from "node:assert/strict";
import { crc32c, maskCrc } from "../../lib/snappy/crc32c.ts";
import { loadVector, unhex, XorShift32 } from "./_helpers.ts";

/** Bit-at-a-time reference CRC-32C, straight from the definition. */
function crc32cBitwise(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

Deno.test("crc32c: check value and RFC 3720 (iSCSI) vectors", () => {
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

Deno.test("crc32c: slicing-by-8 equals the bitwise definition on every length and offset", () => {
  const rng = new XorShift32(0xc0ffee);
  const buf = rng.bytes(300);
  for (let start = 0; start < 9; start++) {
    for (let end = start; end <= 300; end += 1 + (end % 7)) {
      assert.equal(crc32c(buf, start, end), crc32cBitwise(buf.subarray(start, end)));
    }
  }
});

Deno.test("maskCrc: reproduces every masked checksum in snappy.json", () => {
  const v = loadVector("snappy.json");
  let checked = 0;
  const chunks = [
    ...v.cases.flatMap((c: { framed_chunks: unknown[] }) => c.framed_chunks),
    ...v.compstream_sequence.calls.flatMap((c: { chunks: unknown[] }) => c.chunks),
  ];
  for (const ch of chunks as { type: number; masked_crc32c?: number; data?: string }[]) {
    if (ch.type !== 1 || ch.masked_crc32c === undefined || ch.data === undefined) continue;
    assert.equal(maskCrc(crc32c(unhex(ch.data))), ch.masked_crc32c);
    checked++;
  }
  assert.ok(checked >= 4, `only ${checked} uncompressed chunks checked`);
  // kcptun-wire.md §11.5: the SYN chunk's stored checksum, and the mask formula's extremes.
  assert.equal(maskCrc(crc32c(unhex("0100000003000000"))), 0x2fac3944);
  assert.equal(maskCrc(0), 0xa282ead8);
  assert.equal(maskCrc(0xffffffff), (0xffffffff + 0xa282ead8) % 2 ** 32);
});
