import assert from "node:assert/strict";
import {
  GF_EXP,
  GF_LOG,
  GF_POLYNOMIAL,
  gfDiv,
  gfInv,
  gfMul,
  gfMulAdd,
  gfMulSet,
  gfMulTable,
  gfPackedTable,
  gfPow,
} from "../../lib/fec/galois.ts";
import { toHex } from "../_helpers/bytes.ts";
import { Mulberry32 } from "../_helpers/rng.ts";

/** Reference multiply: shift-and-add with reduction by 0x11D, no tables. */
function slowMul(a: number, b: number): number {
  let r = 0;
  while (b) {
    if (b & 1) r ^= a;
    a <<= 1;
    if (a & 0x100) a ^= 0x11d;
    b >>= 1;
  }
  return r;
}

Deno.test("galois: exp table starts 01 02 04 … 1d 3a (kcptun-wire.md §4.4)", () => {
  assert.equal(GF_POLYNOMIAL, 0x11d);
  assert.equal(toHex(GF_EXP.subarray(0, 10)), "0102040810204080" + "1d3a");
  for (let i = 0; i < 255; i++) {
    assert.equal(GF_LOG[GF_EXP[i]], i);
    assert.equal(GF_EXP[i + 255], GF_EXP[i]);
  }
});

Deno.test("galois: gfMul equals shift-and-add multiplication for all 65536 pairs", () => {
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) {
      if (gfMul(a, b) !== slowMul(a, b)) assert.fail(`mul(${a}, ${b})`);
    }
  }
});

Deno.test("galois: inverse, division and power", () => {
  for (let a = 1; a < 256; a++) {
    assert.equal(gfMul(a, gfInv(a)), 1);
    for (const b of [1, 2, 0x1d, 0x8e, 255]) {
      assert.equal(gfMul(gfDiv(a, b), b), a);
    }
  }
  assert.equal(gfDiv(0, 7), 0);
  assert.throws(() => gfDiv(5, 0), RangeError);
  assert.throws(() => gfInv(0), RangeError);
  assert.throws(() => gfInv(256), RangeError);
  // klauspost galExp conventions: 0^0 = 1, 0^n = 0.
  assert.equal(gfPow(0, 0), 1);
  assert.equal(gfPow(0, 5), 0);
  for (let a = 0; a < 256; a++) {
    let p = 1;
    for (let n = 0; n < 20; n++) {
      assert.equal(gfPow(a, n), p, `pow(${a}, ${n})`);
      p = slowMul(p, a);
    }
  }
});

Deno.test("galois: byte-range mulAdd/mulSet through product tables", () => {
  const rng = new Mulberry32(1);
  for (const c of [0, 1, 2, 0x53, 0xff]) {
    const table = gfMulTable(c);
    for (let x = 0; x < 256; x++) assert.equal(table[x], slowMul(c, x));
    const src = rng.bytes(100), dst = rng.bytes(100);
    const expectAdd = dst.slice();
    for (let i = 0; i < 50; i++) expectAdd[10 + i] ^= slowMul(c, src[30 + i]);
    gfMulAdd(dst, 10, src, 30, 50, table);
    assert.deepEqual(dst, expectAdd);
    const expectSet = dst.slice();
    for (let i = 0; i < 40; i++) expectSet[i] = slowMul(c, src[i + 7]);
    gfMulSet(dst, 0, src, 7, 40, table);
    assert.deepEqual(dst, expectSet);
  }
  // A caller-supplied table is reused, including for c = 0 over a dirty table.
  const out = new Uint8Array(256).fill(9);
  assert.equal(gfMulTable(0, out), out);
  assert.ok(out.every((v) => v === 0));
});

Deno.test("galois: packed tables hold up to four products per entry", () => {
  const rng = new Mulberry32(2);
  const table = new Int32Array(300);
  for (let round = 0; round < 50; round++) {
    const count = 1 + (round % 4);
    const coefs = Array.from({ length: count }, () => rng.int(256));
    table.fill(-1);
    gfPackedTable(coefs, count, table, 20);
    assert.equal(table[19], -1);
    assert.equal(table[276], -1);
    for (let x = 0; x < 256; x++) {
      const v = table[20 + x];
      for (let k = 0; k < 4; k++) {
        const expected = k < count ? slowMul(coefs[k], x) : 0;
        assert.equal((v >>> (8 * k)) & 0xff, expected, `coef ${coefs[k]} x ${x} lane ${k}`);
      }
    }
  }
});
