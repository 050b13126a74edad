import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { QppPrng } from "../../lib/qpp/prng.ts";
import { prngSeedBytes } from "../../lib/qpp/_pads.ts";
import { fromHex } from "../_helpers/bytes.ts";
import { loadVector } from "../_helpers/vectors.ts";

const cases = loadVector("latest/qpp.json").cases;

/** The four little-endian 64-bit words of 32 bytes, as 16-digit hex. */
function le64Words(b: Uint8Array): string[] {
  const v = new DataView(b.buffer, b.byteOffset, 32);
  return [0, 8, 16, 24].map((o) => v.getBigUint64(o, true).toString(16).padStart(16, "0"));
}

/** Reference xoshiro256** in BigInt, straight from the definition. */
function xoshiroRef(s: bigint[]): bigint {
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (64n - k))) & M;
  const result = (rotl((s[1] * 5n) & M, 7n) * 9n) & M;
  const t = (s[1] << 17n) & M;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45n);
  return result;
}

for (const c of cases) {
  Deno.test(`QppPrng ${c.name}: seed derivation, state and the first 8 words`, () => {
    const p = c.prng;
    const x = prngSeedBytes(fromHex(c.seed));
    assert.equal(Buffer.from(x).toString("hex"), p.pbkdf2);
    assert.deepEqual(le64Words(x), p.state_before_first_output);
    const prng = new QppPrng(x);
    assert.deepEqual(prng.stateHex(), p.state_after_first_output);
    assert.equal(prng.position, 0);
    for (let i = 0; i < 8; i++) {
      assert.equal(prng.wordHex(), p.outputs[i], `word ${i}`);
      assert.equal(parseInt(p.outputs[i].slice(12), 16) % c.count, p.pad_index_per_8_bytes[i]);
      prng.advance();
    }
  });
}

Deno.test("QppPrng: 10000 words agree with a BigInt xoshiro256** (carries and rotations)", () => {
  const seed = new Uint8Array(32);
  for (let i = 0; i < 32; i++) seed[i] = (i * 37 + 255) & 0xff; // high bits set everywhere
  const s = le64Words(seed).map((h) => BigInt("0x" + h));
  const prng = new QppPrng(seed);
  for (let i = 0; i < 10000; i++) {
    assert.equal(prng.wordHex(), xoshiroRef(s).toString(16).padStart(16, "0"));
    prng.advance();
  }
  // The generator has drawn one word more than it has shown (the current one).
  assert.equal(prng.wordHex(), xoshiroRef(s).toString(16).padStart(16, "0"));
  assert.deepEqual(prng.stateHex(), s.map((w) => w.toString(16).padStart(16, "0")));
});

Deno.test("QppPrng.clone: an independent copy at the same position", () => {
  const a = new QppPrng(fromHex(cases[0].prng.pbkdf2));
  const pads = new Uint8Array(256).map((_, i) => i);
  a.permute(pads, 1, new Uint8Array(13), 0, 13, false);
  const b = a.clone();
  assert.equal(b.position, 5);
  assert.equal(b.wordHex(), a.wordHex());
  assert.deepEqual(b.stateHex(), a.stateHex());
  a.advance();
  assert.notEqual(b.wordHex(), a.wordHex());
  assert.equal(b.wordHex(), cases[0].prng.outputs[1]);
});
