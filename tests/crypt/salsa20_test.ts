import assert from "node:assert/strict";
import { salsa20 } from "@noble/ciphers/salsa.js";
import { Salsa20Crypt } from "../../lib/crypt/_salsa20.ts";
import { toHex } from "../_helpers/bytes.ts";

Deno.test("Salsa20Crypt equals an independent Salsa20/20 (@noble/ciphers) for seeded lengths 0..1600", () => {
  let seed = 0x9e3779b9;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16 & 0xff;
  for (let round = 0; round < 120; round++) {
    const key = Uint8Array.from({ length: 32 }, next);
    const len = round < 80 ? round : (next() << 3 | next() & 7) % 1601;
    const buf = Uint8Array.from({ length: len }, next);
    const want = buf.slice();
    if (len > 8) {
      const body = want.subarray(8);
      salsa20(key, want.subarray(0, 8), body, body);
    }
    const got = buf.slice();
    new Salsa20Crypt(key).encrypt(got);
    assert.equal(toHex(got), toHex(want), `length ${len}`);
    new Salsa20Crypt(key).decrypt(got);
    assert.equal(toHex(got), toHex(buf), `round trip, length ${len}`);
  }
});

Deno.test("Salsa20Crypt works on a prefix and clamps an oversized length", () => {
  const key = new Uint8Array(32).fill(7);
  const buf = new Uint8Array(300).fill(1);
  const crypt = new Salsa20Crypt(key);
  crypt.encrypt(buf, 200);
  assert.deepEqual(buf.subarray(200), new Uint8Array(100).fill(1));
  const whole = new Uint8Array(200).fill(1);
  crypt.encrypt(whole, 999);
  assert.deepEqual(whole, buf.subarray(0, 200));
});

Deno.test("Salsa20Crypt rejects a key that is not 32 bytes", () => {
  assert.throws(() => new Salsa20Crypt(new Uint8Array(16)), RangeError);
});
