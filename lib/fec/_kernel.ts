/**
 * The Reed-Solomon inner loop: up to four output shards at once from packed product tables.
 * Private helper of reed_solomon.ts.
 *
 * For every byte position `i`, `acc[i]` collects `Σ_j table_j[input_j[i]]`, where each table
 * entry packs the products for (up to) four outputs, one per byte lane. Inputs are consumed in
 * pairs to halve the accumulator traffic. At the end the lanes are scattered to the outputs.
 * Measured in Deno 2.x this is 3–4× faster than one byte-table pass per (input, output) pair.
 *
 * @module
 */

/**
 * `shards[outIdx[outStart + r]][i] = lane r of Σ_j tables[tBase + j][shards[inIdx[j]][i]]`
 * for `0 ≤ i < len`, `r < outCount ≤ 4`, `j < k` (k ≥ 1).
 *
 * @param acc Scratch with at least `len` entries.
 */
export function applyPacked(
  shards: readonly Uint8Array[],
  inIdx: Int32Array,
  k: number,
  tables: readonly Int32Array[],
  tBase: number,
  outIdx: Int32Array,
  outStart: number,
  outCount: number,
  acc: Int32Array,
  len: number,
): void {
  let j: number;
  if (k >= 2) {
    const a = shards[inIdx[0]], ta = tables[tBase];
    const b = shards[inIdx[1]], tb = tables[tBase + 1];
    for (let i = 0; i < len; i++) acc[i] = ta[a[i]] ^ tb[b[i]];
    j = 2;
  } else {
    const a = shards[inIdx[0]], ta = tables[tBase];
    for (let i = 0; i < len; i++) acc[i] = ta[a[i]];
    j = 1;
  }
  for (; j + 2 <= k; j += 2) {
    const a = shards[inIdx[j]], ta = tables[tBase + j];
    const b = shards[inIdx[j + 1]], tb = tables[tBase + j + 1];
    for (let i = 0; i < len; i++) acc[i] ^= ta[a[i]] ^ tb[b[i]];
  }
  if (j < k) {
    const a = shards[inIdx[j]], ta = tables[tBase + j];
    for (let i = 0; i < len; i++) acc[i] ^= ta[a[i]];
  }
  for (let r = 0; r < outCount; r++) {
    const out = shards[outIdx[outStart + r]];
    const shift = 8 * r;
    for (let i = 0; i < len; i++) out[i] = acc[i] >>> shift;
  }
}
