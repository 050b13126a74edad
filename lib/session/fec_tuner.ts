/**
 * Sender-side FEC level (pure; time passed in): how many parity shards to send per group, from
 * the configured `--ps` on a lossy link down to none on a clean one, where parity only takes
 * bandwidth (3/13 of it with kcptun's 10/3). Receivers need nothing: kcp-go and kcptun-ts accept
 * packets with and without the FEC header from any peer, and learn a changed (ds, ps) by
 * auto-tune (kcptun-wire.md §4.6), kcp-go 2021 included.
 *
 * Two loss estimates per window (at least 1 s and {@link MIN_SAMPLES} samples):
 * - receive loss: gaps in the seqids of the peer's FEC packets (the reverse path), when the
 *   peer sends FEC;
 * - send loss: our retransmissions per delivered segment (residual loss while our FEC is on,
 *   raw loss while it is off).
 *
 * While our data flows and both show less than {@link CLEAN_LOSS} for {@link CLEAN_WINDOWS}
 * windows, one parity shard less is sent: a probe. If a window then shows more than
 * {@link LOSSY_LOSS}, one shard comes back at once, and the next probe waits twice as long (up to
 * {@link MAX_BACKOFF}×). Between the two (residual loss that retransmission handles well) the
 * level stays: on a link with 2 % random loss 10/1 leaves about 0.2 % to retransmit and carries
 * 91 % data instead of 10/3's 77 %. A session with little traffic never decides and keeps its
 * FEC, which is what latency-sensitive users (games) rely on.
 *
 * @module
 */

/** Loss below which a window counts as clean. */
export const CLEAN_LOSS = 0.001;
/** Loss above which FEC comes back on. */
export const LOSSY_LOSS = 0.005;
/** Consecutive clean windows before FEC goes off. */
export const CLEAN_WINDOWS = 3;
/** Window length, ms. */
export const TUNER_WINDOW_MS = 1000;
/** Fewest samples (packets or segments) that make a window's estimate count. */
export const MIN_SAMPLES = 100;

/** Cumulative counters the tuner reads. */
export interface FecTunerInput {
  /** FEC packets received from the peer. */
  fecReceived: number;
  /** Seqid span those packets covered (sum of forward seqid steps). */
  fecSpan: number;
  /** Segments retransmitted by our KCP. */
  retransmitted: number;
  /** Segments the peer acknowledged (delivered bytes / mss). */
  deliveredSegments: number;
}

/** Longest wait between two probes of a lossy link, in clean-window units. */
export const MAX_BACKOFF = 64;

/** Decides how many parity shards our FEC encoder sends (0 = encoder off). */
export class FecTuner {
  readonly #max: number;
  #level: number;
  #clean = 0;
  #backoff = 1;
  #start = -1;
  #last: FecTunerInput = { fecReceived: 0, fecSpan: 0, retransmitted: 0, deliveredSegments: 0 };

  /** `maxParity` is the configured parity shard count (the level the tuner starts at). */
  constructor(maxParity = 1) {
    if (!(Number.isInteger(maxParity) && maxParity >= 1 && maxParity <= 255)) {
      throw new RangeError(`Parity shards must be 1..255, got ${maxParity}`);
    }
    this.#max = maxParity;
    this.#level = maxParity;
  }

  /** True while FEC should be sent. */
  get enabled(): boolean {
    return this.#level > 0;
  }

  /** Parity shards per group to send now, 0..maxParity. */
  get parity(): number {
    return this.#level;
  }

  /** Feeds the counters; returns true when `parity` changed. */
  update(now: number, input: FecTunerInput): boolean {
    if (this.#start < 0) {
      this.#start = now;
      this.#last = { ...input };
      return false;
    }
    if (now - this.#start < TUNER_WINDOW_MS) return false;
    const last = this.#last;
    const rxPackets = input.fecReceived - last.fecReceived;
    const rxSpan = input.fecSpan - last.fecSpan;
    const retrans = input.retransmitted - last.retransmitted;
    const segs = input.deliveredSegments - last.deliveredSegments;
    // a window closes only once it holds enough samples to say something
    if (rxSpan < MIN_SAMPLES && segs < MIN_SAMPLES) return false;
    this.#start = now;
    this.#last = { ...input };
    const rxLoss = rxSpan >= MIN_SAMPLES ? Math.max(0, 1 - rxPackets / rxSpan) : -1;
    const txLoss = segs >= MIN_SAMPLES ? retrans / segs : -1;
    // With parity on, our retransmissions are the loss FEC left over: they decide the steps.
    // The peer's seqid gaps show raw loss (FEC hides it from us), so they only stop the last
    // step to no parity, and bring parity back once it is off.
    const lossy = txLoss > LOSSY_LOSS || (this.#level === 0 && rxLoss > LOSSY_LOSS);
    const loss = this.#level >= 2 ? txLoss : Math.max(rxLoss, txLoss);
    if (lossy) {
      this.#clean = 0;
      if (this.#level >= this.#max) return false;
      // the probe found loss: one parity shard back, and wait longer before the next probe
      this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF);
      this.#level++;
      return true;
    }
    if (loss >= CLEAN_LOSS || txLoss < 0) {
      this.#clean = 0;
      return false;
    }
    // clean window with our own data flowing: probe the link without FEC when due
    this.#clean++;
    if (this.#level === 0) {
      if (this.#clean >= CLEAN_WINDOWS * 4) this.#backoff = 1; // long clean: forget old loss
      return false;
    }
    if (this.#clean >= CLEAN_WINDOWS * this.#backoff) {
      this.#clean = 0;
      this.#level--;
      return true;
    }
    return false;
  }
}
