import assert from "node:assert/strict";
import {
  CHUNKS_CURRENT,
  CHUNKS_LEGACY,
  padInitialHmac,
  PM_SELECTOR_IDENTIFIER,
  QPP_MIN_PADS,
  QPP_MIN_SEED_LENGTH,
  seedToChunks,
  shuffleKey,
  stretchSeed,
} from "../../lib/qpp/_pads.ts";
import { hmacSha256 } from "../../lib/qpp/_crypto.ts";
import { fromHex, toHex } from "../_helpers/bytes.ts";
import { loadVector } from "../_helpers/vectors.ts";

const vectors = loadVector("latest/qpp.json");

Deno.test("minimums: ceil(bitlen(256!)/8) = 211 bytes, 7 chunks; legacy floor() gives 6", () => {
  let f = 1n;
  for (let i = 2n; i <= 256n; i++) f *= i;
  const bits = f.toString(2).length;
  assert.equal(bits, 1684);
  assert.equal(QPP_MIN_SEED_LENGTH, Math.ceil(bits / 8));
  assert.equal(QPP_MIN_SEED_LENGTH, vectors.minimums["QPPMinimumSeedLength(8)"]);
  assert.equal(QPP_MIN_PADS, vectors.minimums["QPPMinimumPads(8)"]);
  assert.equal(CHUNKS_CURRENT, Math.ceil(QPP_MIN_SEED_LENGTH / 32));
  assert.equal(CHUNKS_LEGACY, Math.floor(Math.floor(bits / 8) / 32));
});

for (const c of vectors.cases) {
  Deno.test(`qpp.json ${c.name}: stretched seed, chunks, AES keys, first HMAC, PRNG HMAC`, () => {
    const seed = fromHex(c.seed);
    assert.equal(seed.length, c.seed_length);
    if (c.stretched_seed) assert.equal(toHex(stretchSeed(seed)), c.stretched_seed);
    else assert.equal(stretchSeed(seed), seed);
    const chunks = seedToChunks(seed, CHUNKS_CURRENT);
    assert.deepEqual(chunks.map(toHex), c.chunks);
    assert.deepEqual(chunks.map((k) => toHex(shuffleKey(k))), c.aes_keys);
    assert.equal(toHex(padInitialHmac(chunks, 0)), c.pad0_initial_hmac);
    assert.equal(toHex(hmacSha256(seed, PM_SELECTOR_IDENTIFIER)), c.prng.hmac);
    // The legacy chunks are the first six of the same sequence.
    assert.deepEqual(seedToChunks(seed, CHUNKS_LEGACY).map(toHex), c.chunks.slice(0, 6));
  });
}

Deno.test("padInitialHmac: the pad id is written in base 2 (Go %b)", () => {
  const key = new Uint8Array(32).fill(9);
  const chunks = [key];
  const msg = (s: string) => new TextEncoder().encode(s);
  assert.equal(toHex(padInitialHmac(chunks, 0)), toHex(hmacSha256(key, msg("QPP_0"))));
  assert.equal(toHex(padInitialHmac(chunks, 2)), toHex(hmacSha256(key, msg("QPP_10"))));
  assert.equal(toHex(padInitialHmac(chunks, 60)), toHex(hmacSha256(key, msg("QPP_111100"))));
});
