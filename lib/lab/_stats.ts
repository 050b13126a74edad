/**
 * Small statistics for the lab. Pure.
 *
 * @module
 */

/**
 * The nearest-rank percentile `p` (0..100) of `values`, NaN when there are none. `values` is not
 * modified.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
