import assert from "node:assert/strict";
import { crc32c, maskCrc } from "../../lib/snappy/crc32c.ts";
import { fromHex } from "../_helpers/bytes.ts";
import { bitwiseCrc32, CRC32C_POLY } from "../_helpers/crc.ts";
import { XorShift32 } from "../_helpers/rng.ts";
import { loadVector } from "../_helpers/vectors.ts";

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
      assert.equal(crc32c(buf, start, end), bitwiseCrc32(buf.subarray(start, end), CRC32C_POLY));
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
    assert.equal(maskCrc(crc32c(fromHex(ch.data))), ch.masked_crc32c);
    checked++;
  }
  assert.ok(checked >= 4, `only ${checked} uncompressed chunks checked`);
  // kcptun-wire.md §11.5: the SYN chunk's stored checksum, and the mask formula's extremes.
  assert.equal(maskCrc(crc32c(fromHex("0100000003000000"))), 0x2fac3944);
  assert.equal(maskCrc(0), 0xa282ead8);
  assert.equal(maskCrc(0xffffffff), (0xffffffff + 0xa282ead8) % 2 ** 32);
});
