import assert from "node:assert/strict";
import { crc32 } from "../../lib/crypt/crc32.ts";
import { fromHex } from "../_helpers/bytes.ts";
import { bitwiseCrc32, CRC32_IEEE_POLY } from "../_helpers/crc.ts";
import { XorShift128 } from "../_helpers/rng.ts";
import { loadVector } from "../_helpers/vectors.ts";

Deno.test("crc32 check value and the §11.2 segment", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const segment = fromHex("4433221151000002e803000000000000000000000500000068656c6c6f");
  assert.equal(crc32(segment), 0x208e314b);
});

Deno.test("crc32 equals the bitwise definition on random data, lengths and ranges", () => {
  const rng = new XorShift128(0xc0ffee);
  for (let i = 0; i < 500; i++) {
    const buf = rng.bytes(rng.int(300));
    const start = rng.int(buf.length + 1);
    const end = start + rng.int(buf.length - start + 1);
    assert.equal(crc32(buf, start, end), bitwiseCrc32(buf.subarray(start, end), CRC32_IEEE_POLY));
  }
});

Deno.test("crc32 clamps out-of-range bounds", () => {
  const buf = new TextEncoder().encode("123456789");
  assert.equal(crc32(buf, -5, 100), 0xcbf43926);
  assert.equal(crc32(buf, 5, 2), 0);
});

interface PacketVectors {
  hand_built: {
    crypt: string | null;
    datagrams: { crc32?: number; crc32_le?: string; before_encrypt?: string }[];
  }[];
}

Deno.test("crc32 matches every crc32 field of packet.json hand_built", () => {
  const packets = loadVector<PacketVectors>("packet.json");
  let checked = 0;
  for (const c of packets.hand_built) {
    for (const d of c.datagrams) {
      if (d.before_encrypt === undefined || d.crc32 === undefined) continue;
      const plain = fromHex(d.before_encrypt);
      assert.equal(crc32(plain, 20), d.crc32);
      const le = fromHex(d.crc32_le!);
      assert.deepEqual(plain.subarray(16, 20), le);
      checked++;
    }
  }
  assert.ok(checked >= 20, `checked ${checked}`);
});
