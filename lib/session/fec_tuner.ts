/**
 * Sender-side FEC switch (pure; time passed in): parity is the configured `--ds/--ps` on a
 * lossy link and off on a clean one, where it would only take bandwidth (3/13 of it with
 * kcptun's 10/3). Receivers need nothing: kcp-go and kcptun-ts accept packets with and without
 * the FEC header from any peer.
 *
 * Two loss estimates per window (at least 1 s and {@link MIN_SAMPLES} samples):
 * - receive loss: gaps in the seqids of the peer's FEC packets (the reverse path), when the
 *   peer sends FEC;
 * - send loss: our retransmissions per delivered segment (residual loss while our FEC is on,
 *   raw loss while it is off).
 *
 * While our data flows and both show less than {@link CLEAN_LOSS} for {@link CLEAN_WINDOWS}
 * windows, FEC goes off: a probe. If a window then shows more than {@link LOSSY_LOSS} it comes
 * back on at once, and the next probe waits twice as long (up to {@link MAX_BACKOFF}×). A
 * session with little traffic never decides and keeps its FEC, which is what latency-sensitive
 * users (games) rely on.
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

/** Decides whether our FEC encoder should run. */
export class FecTuner {
  #on = true;
  #clean = 0;
  #backoff = 1;
  #start = -1;
  #last: FecTunerInput = { fecReceived: 0, fecSpan: 0, retransmitted: 0, deliveredSegments: 0 };

  /** True while FEC should be sent. */
  get enabled(): boolean {
    return this.#on;
  }

  /** Feeds the counters; returns true when `enabled` changed. */
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
    const loss = Math.max(rxLoss, txLoss);
    if (loss > LOSSY_LOSS) {
      this.#clean = 0;
      if (this.#on) return false;
      // the probe found loss: FEC back on, and wait longer before the next probe
      this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF);
      return this.#on = true;
    }
    if (loss >= CLEAN_LOSS || txLoss < 0) {
      this.#clean = 0;
      return false;
    }
    // clean window with our own data flowing: probe the link without FEC when due
    this.#clean++;
    if (!this.#on) {
      if (this.#clean >= CLEAN_WINDOWS * 4) this.#backoff = 1; // long clean: forget old loss
      return false;
    }
    if (this.#clean >= CLEAN_WINDOWS * this.#backoff) {
      this.#clean = 0;
      this.#on = false;
      return true;
    }
    return false;
  }
}
