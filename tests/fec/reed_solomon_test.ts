import assert from "node:assert/strict";
import { gfMul } from "../../lib/fec/galois.ts";
import { ReedSolomon, type ReedSolomonOptions } from "../../lib/fec/reed_solomon.ts";
import { simdKernel } from "../../lib/fec/_simd.ts";
import { fromHex, toHex } from "../_helpers/bytes.ts";
import { Mulberry32 } from "../_helpers/rng.ts";
import { loadVector } from "../_helpers/vectors.ts";

const fec = loadVector("fec.json");
const fecLatest = loadVector("latest/fec-latest.json");

/** Both kernels: WebAssembly SIMD (the default) and the JavaScript loop. */
const KERNELS: { name: string; options: ReedSolomonOptions }[] = [
  { name: "simd", options: {} },
  { name: "js", options: { simd: false } },
];

/** Parity by the textbook formula, straight from the matrix rows. */
function referenceParity(rs: ReedSolomon, data: Uint8Array[], len: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < rs.parityShards; i++) {
    const row = rs.matrixRow(rs.dataShards + i);
    const p = new Uint8Array(len);
    for (let c = 0; c < rs.dataShards; c++) {
      for (let b = 0; b < len; b++) p[b] ^= gfMul(row[c], data[c][b]);
    }
    out.push(p);
  }
  return out;
}

Deno.test("reed-solomon: Deno has the SIMD kernel, so the default path is the SIMD one", () => {
  assert.ok(simdKernel() !== undefined);
});

Deno.test("reed-solomon: fec.json groups give the library's parity bytes (both kernels)", () => {
  assert.equal(fec.groups.length, 4);
  for (const g of fec.groups) {
    for (const { name, options } of KERNELS) {
      const rs = new ReedSolomon(g.data_shards, g.parity_shards, options);
      const len = g.shard_length;
      const shards: Uint8Array[] = g.data.map((d: { padded_shard: string }) =>
        fromHex(d.padded_shard)
      );
      for (let i = 0; i < g.parity_shards; i++) shards.push(new Uint8Array(len));
      rs.encode(shards, len);
      for (const p of g.parity) {
        assert.equal(
          toHex(shards[p.index]),
          p.shard,
          `${name} (${g.data_shards},${g.parity_shards}) #${p.index}`,
        );
      }
    }
    // The padded shard is the body zero-extended to the group length.
    for (const d of g.data) {
      assert.equal(d.padded_shard.slice(0, d.body.length), d.body);
      assert.equal(d.size_field, d.body.length / 2);
    }
  }
});

Deno.test("reed-solomon: encoding matrices (10,3), (3,2) and the latest parity rows", () => {
  const rs = new ReedSolomon(10, 3);
  const rows = fec.encoding_matrix_10_3.rows;
  assert.equal(rows.length, 13);
  rows.forEach((r: string, i: number) => assert.equal(toHex(rs.matrixRow(i)), r));
  assert.deepEqual(
    [10, 11, 12].map((i) => toHex(rs.matrixRow(i))),
    fecLatest.reed_solomon_check.parity_rows_10_3,
  );
  assert.deepEqual(
    fec.encoding_matrix_10_3.parity_rows,
    fecLatest.reed_solomon_check.parity_rows_10_3,
  );
  const rs32 = new ReedSolomon(3, 2);
  fec.encoding_matrix_3_2.rows.forEach((r: string, i: number) =>
    assert.equal(toHex(rs32.matrixRow(i)), r)
  );
  assert.equal(toHex(rs32.matrixRow(3)), "010101");
  assert.equal(toHex(rs32.matrixRow(4)), "0f0806");
  assert.throws(() => rs32.matrixRow(5), RangeError);
});

Deno.test("reed-solomon: kcptun-wire.md §11.4 (3,2) example", () => {
  const rs = new ReedSolomon(3, 2);
  const shards = ["07006162636465", "050078797a0000", "04005152000000"].map(fromHex);
  shards.push(new Uint8Array(7), new Uint8Array(7));
  rs.encode(shards, 7);
  assert.equal(toHex(shards[3]), "06004849196465");
  assert.equal(toHex(shards[4]), "1d00091afc2629");
});

Deno.test("reed-solomon: fec.json recovery case (lose 1, 5, 11) rebuilds the exact shards", () => {
  const rec = fec.recovery;
  assert.deepEqual(rec.lost_indices, [1, 5, 11]);
  const rs = new ReedSolomon(rec.data_shards, rec.parity_shards);
  const n = rec.data_shards + rec.parity_shards;
  let len = 0;
  for (const r of rec.received) len = Math.max(len, r.as_received.length / 2);
  const shards: Uint8Array[] = [], present: boolean[] = [];
  for (let i = 0; i < n; i++) {
    shards.push(new Uint8Array(len).fill(0xee)); // garbage where shards are missing
    present.push(false);
  }
  for (const r of rec.received) {
    shards[r.index].fill(0);
    shards[r.index].set(fromHex(r.as_received));
    present[r.index] = true;
  }
  assert.ok(rs.reconstructData(shards, present, len));
  assert.equal(rec.reconstructed_data.length, 2);
  for (const r of rec.reconstructed_data) {
    assert.equal(toHex(shards[r.index]), r.reconstructed_shard);
    const size = shards[r.index][0] | (shards[r.index][1] << 8);
    assert.equal(size, r.size_field);
    assert.equal(toHex(shards[r.index].subarray(2, size)), r.recovered_kcp_packet);
  }
  // The lost parity shard is not rebuilt.
  assert.ok(shards[11].every((b) => b === 0xee));
});

Deno.test("reed-solomon: constructor validates shard counts", () => {
  for (const [ds, ps] of [[0, 1], [1, 0], [-1, 3], [1.5, 2], [2, NaN], [200, 57], [256, 1]]) {
    assert.throws(() => new ReedSolomon(ds, ps), RangeError, `(${ds},${ps})`);
  }
  assert.throws(() => new ReedSolomon(300, 3), { message: "Data shards must be 1..255, got 300" });
  assert.throws(() => new ReedSolomon(200, 57), {
    message: "Data shards plus parity shards must be at most 256, got 257",
  });
  for (const [ds, ps] of [[1, 1], [255, 1], [1, 255], [128, 128]]) new ReedSolomon(ds, ps);
});

Deno.test("reed-solomon: encode checks its arguments and only touches [0, len)", () => {
  const rs = new ReedSolomon(3, 2);
  const rng = new Mulberry32(3);
  const shards = Array.from({ length: 5 }, () => rng.bytes(20));
  const before = shards.map((s) => s.slice());
  rs.encode(shards, 12);
  for (let i = 0; i < 5; i++) assert.deepEqual(shards[i].subarray(12), before[i].subarray(12));
  for (let i = 0; i < 3; i++) assert.deepEqual(shards[i], before[i]);
  const expected = referenceParity(rs, shards, 12);
  assert.deepEqual(shards[3].subarray(0, 12), expected[0]);
  assert.deepEqual(shards[4].subarray(0, 12), expected[1]);
  assert.throws(() => rs.encode(shards.slice(0, 4), 12), RangeError);
  assert.throws(() => rs.encode(shards, 21), RangeError);
  assert.throws(() => rs.encode(shards, -1), RangeError);
  assert.throws(() => rs.reconstructData(shards, [true, true, true], 12), RangeError);
  rs.encode(shards, 0); // nothing to do
});

Deno.test("reed-solomon: random erasures over many (ds, ps) always recover exactly", () => {
  for (const { options } of KERNELS) randomErasures(options);
});

function randomErasures(options: ReedSolomonOptions): void {
  const rng = new Mulberry32(4);
  const configs = [
    [1, 1],
    [1, 2],
    [2, 1],
    [3, 2],
    [4, 4],
    [5, 5],
    [7, 5],
    [10, 3],
    [13, 9],
    [20, 5],
    [30, 10],
    [64, 8],
    [100, 20],
    [200, 56],
    [255, 1],
    [1, 255],
    [128, 128],
  ];
  for (const [ds, ps] of configs) {
    const rs = new ReedSolomon(ds, ps, options);
    const n = ds + ps;
    const rounds = n > 100 ? 3 : 10;
    for (let round = 0; round < rounds; round++) {
      const len = 1 + rng.int(n > 100 ? 64 : 300);
      const data = Array.from({ length: ds }, () => rng.bytes(len));
      const shards = data.map((d) => d.slice());
      for (let i = 0; i < ps; i++) shards.push(new Uint8Array(len));
      rs.encode(shards, len);
      if (round === 0) {
        const expected = referenceParity(rs, data, len);
        for (let i = 0; i < ps; i++) assert.deepEqual(shards[ds + i], expected[i], `(${ds},${ps})`);
      }
      // Erase between 1 and ps shards, any mix of data and parity.
      const lost = rng.subset(n, 1 + rng.int(ps));
      const present = Array.from({ length: n }, () => true);
      const work: Uint8Array[] = shards.map((s) => s.slice());
      for (const i of lost) {
        present[i] = false;
        work[i] = rng.bytes(len); // garbage in the missing slot
      }
      assert.ok(rs.reconstructData(work, present, len), `(${ds},${ps}) lost ${lost}`);
      for (let i = 0; i < ds; i++) assert.deepEqual(work[i], data[i], `(${ds},${ps}) shard ${i}`);
      // One more erasure than parity can cover: refused, nothing touched.
      if (ps < n) {
        const tooMany = rng.subset(n, ps + 1);
        const flags = Array.from({ length: n }, (_, i) => !tooMany.includes(i));
        const copy = work.map((s) => s.slice());
        assert.equal(rs.reconstructData(copy, flags, len), false);
        assert.deepEqual(copy, work);
      }
    }
  }
}

Deno.test("reed-solomon: cached and rebuilt-per-call parity tables agree (ps > 4)", () => {
  // (20, 9): 3 planes, tables cached. (120, 9): 360 tables, rebuilt per plane per call.
  const rng = new Mulberry32(5);
  for (const [ds, ps] of [[20, 9], [120, 9], [60, 5]]) {
    const rs = new ReedSolomon(ds, ps, { simd: false });
    const data = Array.from({ length: ds }, () => rng.bytes(77));
    const shards = [
      ...data.map((d) => d.slice()),
      ...Array.from({ length: ps }, () => new Uint8Array(77)),
    ];
    rs.encode(shards, 77);
    assert.deepEqual(shards.slice(ds), referenceParity(rs, data, 77), `(${ds},${ps})`);
  }
});

Deno.test("reed-solomon: the SIMD and JavaScript kernels give identical bytes at every length", () => {
  // Lengths around the 32-byte step, a datagram, and one that makes the scratch memory grow
  // (255 data shards of 4000 bytes need more than its first 64 KiB page).
  const rng = new Mulberry32(6);
  for (
    const [ds, ps, lens] of [
      [10, 3, [1, 15, 16, 17, 31, 32, 33, 63, 1324, 1500]],
      [255, 1, [4000]],
      [2, 7, [100]],
    ] as const
  ) {
    const simd = new ReedSolomon(ds, ps);
    const js = new ReedSolomon(ds, ps, { simd: false });
    for (const len of lens) {
      const a = Array.from({ length: ds + ps }, () => rng.bytes(len + 40));
      const b = a.map((s) => s.slice());
      simd.encode(a, len);
      js.encode(b, len);
      assert.deepEqual(a, b, `encode (${ds},${ps}) len ${len}`);
      // Lose the first min(ps, ds) data shards and rebuild them from the rest.
      const present = Array.from({ length: ds + ps }, (_, i) => i >= Math.min(ps, ds));
      for (let i = 0; i < ds + ps; i++) if (!present[i]) a[i].fill(0xee), b[i].fill(0x11);
      assert.ok(simd.reconstructData(a, present, len));
      assert.ok(js.reconstructData(b, present, len));
      for (let i = 0; i < ds; i++) {
        assert.deepEqual(a[i].subarray(0, len), b[i].subarray(0, len), `rebuild ${i} len ${len}`);
        assert.ok(a[i].subarray(len).every((x) => x === 0xee) || present[i], "past len untouched");
      }
    }
  }
});
