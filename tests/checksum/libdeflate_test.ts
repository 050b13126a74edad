// The libdeflate (FFI) CRC-32 against the JavaScript loop and the bitwise definition: same value
// for every length, range and view offset, same clamping of bad bounds.

import assert from "node:assert/strict";
import { loadLibdeflateCrc32 } from "../../lib/checksum/_libdeflate.ts";
import { createCrc32 } from "../../lib/checksum/crc.ts";
import { crc32, crc32Backend } from "../../lib/crypt/crc32.ts";
import { bitwiseCrc32, CRC32_IEEE_POLY } from "../_helpers/crc.ts";
import { XorShift128 } from "../_helpers/rng.ts";

const native = loadLibdeflateCrc32();
const ignore = native === undefined;
if (ignore) console.warn("libdeflate.so.0 not loadable here: its CRC-32 tests are skipped");
const js = createCrc32(CRC32_IEEE_POLY);

Deno.test({
  name: "libdeflate crc32: check value, empty input, and the backend crc32 reports",
  ignore,
  fn() {
    assert.equal(native!(new TextEncoder().encode("123456789")), 0xcbf43926);
    assert.equal(native!(new Uint8Array(0)), 0);
    assert.equal(crc32Backend(), "libdeflate");
    assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  },
});

Deno.test({
  name: "libdeflate crc32 equals the JS loop and the definition on random lengths and ranges",
  ignore,
  fn() {
    const rng = new XorShift128(0xdef1a7e);
    // a view that does not start at byte 0 of its buffer, as received datagrams may be
    const backing = rng.bytes(70000);
    for (let i = 0; i < 400; i++) {
      const off = rng.int(64);
      const buf = backing.subarray(off, off + rng.int(i < 20 ? 66000 : 1500));
      const start = rng.int(buf.length + 1);
      const end = start + rng.int(buf.length - start + 1);
      const want = js(buf, start, end);
      assert.equal(native!(buf, start, end), want);
      if (i < 40) assert.equal(want, bitwiseCrc32(buf.subarray(start, end), CRC32_IEEE_POLY));
    }
  },
});

Deno.test({
  name: "libdeflate crc32 clamps out-of-range bounds like the JS loop",
  ignore,
  fn() {
    const buf = new TextEncoder().encode("123456789");
    for (const [s, e] of [[-5, 100], [5, 2], [9, 9], [0, 0], [3, 100], [-1, 4], [100, 200]]) {
      assert.equal(native!(buf, s, e), js(buf, s, e), `[${s}, ${e})`);
    }
  },
});
