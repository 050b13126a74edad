import assert from "node:assert/strict";
import { deriveKey } from "../../lib/crypt/kdf.ts";
import { fromHex, toHex } from "../_helpers/bytes.ts";
import { loadVector } from "../_helpers/vectors.ts";

interface KdfVectors {
  salt: string;
  iterations: number;
  key_length: number;
  default_password: string;
  cases: { password: string; password_utf8_hex: string; key: string }[];
}

const kdf = loadVector<KdfVectors>("kdf.json");

Deno.test("deriveKey reproduces every kdf.json case (PBKDF2-HMAC-SHA1, kcp-go, 4096, 32)", () => {
  assert.equal(kdf.salt, "kcp-go");
  assert.equal(kdf.iterations, 4096);
  assert.ok(kdf.cases.length >= 5);
  for (const c of kdf.cases) {
    // The password really is the UTF-8 of the string (non-ASCII and >64-byte cases included).
    assert.equal(toHex(new TextEncoder().encode(c.password)), c.password_utf8_hex);
    const key = deriveKey(c.password);
    assert.equal(key.length, 32);
    assert.equal(toHex(key), c.key, `password ${JSON.stringify(c.password)}`);
  }
});

Deno.test("deriveKey of the default key matches kcptun-wire.md §2.1", () => {
  assert.deepEqual(
    deriveKey(kdf.default_password),
    fromHex("25d7d7bd51050742d8d791f2b653c6c8b2366b7e25a124cf7a2e12eaf4ffa444"),
  );
});

Deno.test("deriveKey returns a plain, independent Uint8Array", () => {
  const a = deriveKey("x");
  const b = deriveKey("x");
  assert.equal(Object.getPrototypeOf(a), Uint8Array.prototype);
  a[0] ^= 1;
  assert.notEqual(a[0], b[0]);
});

Deno.test("deriveKey rejects a non-string password with TypeError", () => {
  assert.throws(() => deriveKey(42 as unknown as string), TypeError);
});
