/**
 * Detects the sender's (dataShards, parityShards) from the type pattern of received FEC
 * packets (kcp-go `autotune.go`, kcptun-wire.md §4.6). Private helper of fec.ts.
 *
 * Every FEC packet is sampled as (seqid, isData) into a ring of the last 258 samples. To find
 * the periods, the samples are sorted by seqid (wrap-safe, relative to the newest sample) and
 * scanned for *complete runs*: a run of equal types whose first seqid follows a sample of the
 * other type at seqid−1 and whose last seqid is followed by one of the other type at seqid+1.
 * A sender with fixed (ds, ps) produces complete data runs of exactly ds packets and complete
 * parity runs of exactly ps packets; losses and latest kcp-go's skipped parity only break
 * runs (gaps), they never create wrong-length complete runs.
 *
 * Deviation from kcp-go, deliberately more robust: kcp-go ≥ 5.6.x gives up unless every sample
 * from the oldest one up to the first complete run is contiguous (any gap → -1), and 5.6.1
 * scans its ring in slot order from slot 0. Both return the first complete run; this returns
 * the most recent complete run of each type found anywhere in the window. With a consistent
 * sender all of these agree.
 *
 * Limitation (shared with kcp-go): across the seqid wrap at `paws` the seqids are not
 * consecutive, so runs spanning the wrap are not counted; detection resumes a few packets later.
 *
 * @module
 */

import { MAX_TOTAL_SHARDS } from "./_check.ts";

/** kcp-go `maxAutoTuneSamples`: 256 + 2 for the edges. */
export const AUTO_TUNE_SAMPLES = 258;

/** Offset that makes a signed 32-bit seqid distance non-negative for the sort key. */
const KEY_BIAS = 0x80000000;

/** Ring of (seqid, isData) samples and the run-length detector. */
export class AutoTune {
  readonly #seq = new Uint32Array(AUTO_TUNE_SAMPLES);
  readonly #bit = new Uint8Array(AUTO_TUNE_SAMPLES);
  /** Sort keys: `(distance + 2^31) * 2 + bit`; unused entries are +Infinity. */
  readonly #keys = new Float64Array(AUTO_TUNE_SAMPLES);
  #tail = 0;
  #count = 0;

  /** Data run length found by the last successful {@linkcode AutoTune.find}. */
  dataShards = 0;
  /** Parity run length found by the last successful {@linkcode AutoTune.find}. */
  parityShards = 0;

  /** Record one received FEC packet. */
  sample(isData: boolean, seqid: number): void {
    this.#seq[this.#tail] = seqid;
    this.#bit[this.#tail] = isData ? 1 : 0;
    this.#tail = this.#tail === AUTO_TUNE_SAMPLES - 1 ? 0 : this.#tail + 1;
    if (this.#count < AUTO_TUNE_SAMPLES) this.#count++;
  }

  /**
   * Look for a complete data run and a complete parity run. On success sets
   * {@linkcode AutoTune.dataShards} / {@linkcode AutoTune.parityShards} and returns true;
   * the pair always satisfies `ds ≥ 1, ps ≥ 1, ds + ps ≤ 256`.
   */
  find(): boolean {
    const count = this.#count;
    if (count < 3) return false;
    const last = this.#tail === 0 ? AUTO_TUNE_SAMPLES - 1 : this.#tail - 1;
    const ref = this.#seq[last];
    const keys = this.#keys;
    for (let i = 0; i < count; i++) {
      const rel = (this.#seq[i] - ref) | 0;
      keys[i] = (rel + KEY_BIAS) * 2 + this.#bit[i];
    }
    keys.fill(Infinity, count);
    keys.sort();

    let dataRun = 0, parityRun = 0;
    let prevRel = 0, prevBit = 0, runStart = 0, runBit = 0, runHasEdge = false;
    for (let i = 0; i < count; i++) {
      const key = keys[i];
      const bit = key % 2;
      const rel = (key - bit) / 2 - KEY_BIAS;
      if (i > 0 && rel === prevRel) continue; // duplicate seqid
      if (i > 0 && rel === prevRel + 1) {
        if (bit !== prevBit) {
          // The run that just ended is complete if it also started at a type change.
          if (runHasEdge) {
            if (runBit === 1) dataRun = prevRel - runStart + 1;
            else parityRun = prevRel - runStart + 1;
          }
          runStart = rel;
          runBit = bit;
          runHasEdge = true;
        }
      } else {
        runStart = rel;
        runBit = bit;
        runHasEdge = false;
      }
      prevRel = rel;
      prevBit = bit;
    }
    if (dataRun === 0 || parityRun === 0 || dataRun + parityRun > MAX_TOTAL_SHARDS) return false;
    this.dataShards = dataRun;
    this.parityShards = parityRun;
    return true;
  }
}
