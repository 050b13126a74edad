/**
 * Small dense matrices over GF(2^8), stored row-major in a Uint8Array.
 * Private helpers of the Reed-Solomon code; not exported from the package.
 *
 * @module
 */

import { GF_EXP, GF_LOG, gfInv, gfMul, gfPow } from "./galois.ts";

/** `rows × cols` Vandermonde matrix `V[r][c] = r^c` (with `0^0 = 1`), as klauspost builds it. */
export function vandermonde(rows: number, cols: number): Uint8Array {
  const m = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) m[r * cols + c] = gfPow(r, c);
  }
  return m;
}

/** `a (ar × ac) · b (ac × bc)`, a new `ar × bc` matrix. */
export function multiply(
  a: Uint8Array,
  ar: number,
  ac: number,
  b: Uint8Array,
  bc: number,
): Uint8Array {
  const out = new Uint8Array(ar * bc);
  for (let r = 0; r < ar; r++) {
    for (let c = 0; c < bc; c++) {
      let v = 0;
      for (let k = 0; k < ac; k++) v ^= gfMul(a[r * ac + k], b[k * bc + c]);
      out[r * bc + c] = v;
    }
  }
  return out;
}

/**
 * Invert the `n × n` matrix `m` by Gauss-Jordan elimination.
 *
 * `m` is destroyed (reduced to the identity); the inverse is written to `out` (n × n). Both
 * must hold at least `n²` bytes. Returns false if `m` is singular, which never happens for
 * the square sub-matrices of an MDS code's encoding matrix.
 */
export function invertInPlace(m: Uint8Array, n: number, out: Uint8Array): boolean {
  out.fill(0, 0, n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    // Find a pivot row with a non-zero entry in this column and swap it up.
    let pivot = col;
    while (pivot < n && m[pivot * n + col] === 0) pivot++;
    if (pivot === n) return false;
    if (pivot !== col) {
      swapRows(m, n, pivot, col);
      swapRows(out, n, pivot, col);
    }
    // Scale the pivot row so the pivot becomes 1.
    const p = m[col * n + col];
    if (p !== 1) {
      const scale = gfInv(p);
      scaleRow(m, col * n, n, scale);
      scaleRow(out, col * n, n, scale);
    }
    // Clear this column in every other row: row_r ^= f · row_col.
    for (let r = 0; r < n; r++) {
      const f = m[r * n + col];
      if (r === col || f === 0) continue;
      // Columns left of `col` are already reduced (zero in the pivot row).
      addScaledRow(m, r * n + col, col * n + col, n - col, f);
      addScaledRow(out, r * n, col * n, n, f);
    }
  }
  return true;
}

/** `m[at + c] *= f` for `c < n` (f ≠ 0). */
function scaleRow(m: Uint8Array, at: number, n: number, f: number): void {
  const logF = GF_LOG[f];
  for (let c = 0; c < n; c++) {
    const v = m[at + c];
    if (v !== 0) m[at + c] = GF_EXP[logF + GF_LOG[v]];
  }
}

/** `m[dst + c] ^= f · m[src + c]` for `c < n` (f ≠ 0). */
function addScaledRow(m: Uint8Array, dst: number, src: number, n: number, f: number): void {
  const logF = GF_LOG[f];
  for (let c = 0; c < n; c++) {
    const v = m[src + c];
    if (v !== 0) m[dst + c] ^= GF_EXP[logF + GF_LOG[v]];
  }
}

function swapRows(m: Uint8Array, n: number, a: number, b: number): void {
  for (let c = 0; c < n; c++) {
    const t = m[a * n + c];
    m[a * n + c] = m[b * n + c];
    m[b * n + c] = t;
  }
}
