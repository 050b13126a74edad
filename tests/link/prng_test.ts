import assert from "node:assert/strict";
import { Prng } from "../../lib/link/prng.ts";

// Known answers from an independent C build of xoshiro128** seeded by splitmix32 (Weyl step
// 0x9e3779b9 + MurmurHash3 fmix32). The same C program reproduces the published xoshiro128**
// reference stream 11520, 0, 5927040, 70819200, ... for the raw state {1, 2, 3, 4}.
const KNOWN: ReadonlyArray<[number, number[]]> = [
  [0, [3809008728, 1133695204, 53579671, 2891528803, 139681546, 2203266335]],
  [1, [2442144158, 3238099751, 3819917871, 2104621829, 2021136066, 4223536128]],
  [42, [2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290]],
  [0xffffffff, [835879718, 1921286648, 2356205009, 1885780724, 980451116, 1053911718]],
];

Deno.test("Prng matches the xoshiro128**/splitmix32 known answers", () => {
  for (const [seed, expected] of KNOWN) {
    const prng = new Prng(seed);
    assert.deepEqual(expected.map(() => prng.next()), expected, `seed ${seed}`);
  }
});

Deno.test("Prng reduces the seed to uint32", () => {
  const a = new Prng(-1);
  const b = new Prng(0xffffffff);
  const c = new Prng(2 ** 32 + 42);
  const d = new Prng(42);
  for (let i = 0; i < 100; i++) {
    assert.equal(a.next(), b.next());
    assert.equal(c.next(), d.next());
  }
});

Deno.test("Prng rejects a non-finite seed", () => {
  assert.throws(() => new Prng(NaN), new RangeError("Seed must be a finite number, got NaN"));
  assert.throws(
    () => new Prng(Infinity),
    new RangeError("Seed must be a finite number, got Infinity"),
  );
  assert.throws(
    () => new Prng("1" as unknown as number),
    new RangeError("Seed must be a finite number, got 1"),
  );
});

Deno.test("Prng.next returns uint32 with balanced bits", () => {
  const prng = new Prng(7);
  const n = 100_000;
  const ones = new Array<number>(32).fill(0);
  for (let i = 0; i < n; i++) {
    const v = prng.next();
    assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
    for (let b = 0; b < 32; b++) ones[b] += (v >>> b) & 1;
  }
  // Each bit is Binomial(n, 1/2): sd = 158; allow 5 sd.
  for (let b = 0; b < 32; b++) assert.ok(Math.abs(ones[b] - n / 2) < 800, `bit ${b}: ${ones[b]}`);
});

Deno.test("Prng.float is in [0, 1) and uniform", () => {
  const prng = new Prng(3);
  const n = 100_000;
  const bins = new Array<number>(10).fill(0);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = prng.float();
    assert.ok(x >= 0 && x < 1);
    sum += x;
    bins[Math.floor(x * 10)]++;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.005, `mean ${sum / n}`);
  // Chi-square with 9 degrees of freedom; 27.9 is the 0.1 % critical value.
  const chi = bins.reduce((acc, o) => acc + (o - n / 10) ** 2 / (n / 10), 0);
  assert.ok(chi < 27.9, `chi-square ${chi}`);
});

Deno.test("Prng.float is next() / 2^32 on the same stream", () => {
  const a = new Prng(11);
  const b = new Prng(11);
  for (let i = 0; i < 1000; i++) assert.equal(a.float(), b.next() / 2 ** 32);
});

Deno.test("Prng.int stays in range and is uniform", () => {
  const prng = new Prng(5);
  const n = 70_000;
  const bins = new Array<number>(7).fill(0);
  for (let i = 0; i < n; i++) {
    const v = prng.int(7);
    assert.ok(Number.isInteger(v) && v >= 0 && v < 7);
    bins[v]++;
  }
  // 6 degrees of freedom; 22.5 is the 0.1 % critical value.
  const chi = bins.reduce((acc, o) => acc + (o - n / 7) ** 2 / (n / 7), 0);
  assert.ok(chi < 22.5, `chi-square ${chi}`);
  for (let i = 0; i < 100; i++) assert.equal(prng.int(1), 0);
  const big = new Prng(5);
  const ref = new Prng(5);
  for (let i = 0; i < 100; i++) assert.equal(big.int(2 ** 32), ref.next());
});

Deno.test("Prng.int rejects a bad range", () => {
  const prng = new Prng(1);
  for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 32 + 1]) {
    assert.throws(
      () => prng.int(bad),
      new RangeError(`Range must be an integer 1..4294967296, got ${bad}`),
    );
  }
});

Deno.test("Prng.fill writes little-endian words of next() for every length", () => {
  for (let len = 0; len <= 13; len++) {
    const a = new Prng(99);
    const b = new Prng(99);
    const dst = new Uint8Array(len + 2).fill(0xee);
    a.fill(dst.subarray(1, 1 + len));
    const expected = new Uint8Array(len + 2).fill(0xee);
    for (let i = 0; i < len; i += 4) {
      const v = b.next();
      for (let j = 0; j < 4 && i + j < len; j++) expected[1 + i + j] = (v >>> (8 * j)) & 0xff;
    }
    assert.deepEqual(dst, expected, `length ${len}`);
    // Both generators consumed the same number of words.
    assert.equal(a.next(), b.next());
  }
});
