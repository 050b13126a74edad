import assert from "node:assert/strict";
import { pbkdf2Sync } from "node:crypto";
import { pbkdf2Sha1 } from "../../lib/crypt/_pbkdf2_sha1.ts";
import { toHex } from "../_helpers/bytes.ts";

const te = new TextEncoder();

Deno.test("pbkdf2Sha1 reproduces the RFC 6070 vectors", () => {
  const cases: [string, string, number, number, string][] = [
    ["password", "salt", 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6"],
    ["password", "salt", 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"],
    ["password", "salt", 4096, 20, "4b007901b765489abead49d926f721d065a429c1"],
    [
      "passwordPASSWORDpassword",
      "saltSALTsaltSALTsaltSALTsaltSALTsalt",
      4096,
      25,
      "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
    ],
    ["pass\0word", "sa\0lt", 4096, 16, "56fa6aa75548099dcc37d7f03425e0c3"],
  ];
  for (const [p, s, c, len, hex] of cases) {
    assert.equal(toHex(pbkdf2Sha1(te.encode(p), te.encode(s), c, len)), hex, `${p}/${s}/${c}`);
  }
});

Deno.test("pbkdf2Sha1 equals node:crypto for seeded random passwords, salts and lengths", () => {
  let seed = 0x12345678;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16;
  // Lengths around the block boundaries: SHA-1 padding (55/56/64 bytes) and the HMAC key (64/65).
  const sizes = [0, 1, 19, 20, 21, 43, 44, 54, 55, 56, 63, 64, 65, 119, 120, 200];
  for (const pl of sizes) {
    const password = Uint8Array.from({ length: pl }, next);
    const salt = Uint8Array.from({ length: sizes[next() % sizes.length] }, next);
    const iterations = 1 + (next() % 40);
    const length = 1 + (next() % 90);
    const want = pbkdf2Sync(password, salt, iterations, length, "sha1");
    assert.equal(
      toHex(pbkdf2Sha1(password, salt, iterations, length)),
      toHex(new Uint8Array(want.buffer, want.byteOffset, want.byteLength)),
      `password ${pl} B, salt ${salt.length} B, ${iterations} iterations, ${length} B`,
    );
  }
});
