/**
 * Sender-side rate control for a KCP session (pure; time passed in): a delivery-rate estimator
 * in the spirit of BBR that paces new data at the measured bottleneck rate and sizes the send
 * window from the bandwidth-delay product.
 *
 * Why: kcp-go with kcptun's presets (nc = 1) sends a whole window at once. Into a rate-limited
 * bottleneck with a bounded queue that burst is tail-dropped, the drops look like loss, and the
 * retransmissions feed the next burst. Pacing at the delivery rate keeps the queue short, so
 * only the link's own loss remains (and FEC repairs most of it). Nothing of this is visible on
 * the wire beyond packet timing, so Go peers are unaffected.
 *
 * States: `startup` (pacing gain 2.89 until the delivery rate stops growing by 25 % for three
 * rounds that delivered at least half the estimate — a round stalled by a loss burst proves no
 * plateau), `drain` (one round at 1/2.89), then `probe` (gains cycling 1.25, 0.75, 1 × 6 per
 * round). Past startup a round's delivery sample is capped at 1.25× the estimate: delivery
 * cannot outrun the probe's highest pacing gain, so more is ACKs arriving bunched (ACK
 * compression), which the max filter would otherwise keep for ten rounds and pace above the
 * link. Behind a peer that ACKs in batches it is also capped at what was sent (see
 * {@link ACK_BATCHES_PER_ROUND}). Before the first rate sample nothing is paced and the window is
 * capped at {@link INITIAL_WINDOW} segments, like TCP's initial window.
 *
 * A round ends on an ACK arrival, so it spans whole ACK batches. In a round without a queue
 * (its lowest RTT near the lowest of the last rounds) the sample is at least the previous
 * round's send rate, capped at the estimate: the link carried all of it, so the delivery rate,
 * which falls short by the random loss, must not pull the estimate down (on a 10 %-loss link
 * it would decay round after round), but sending never raises it.
 *
 * @module
 */

/**
 * Past startup, when the peer's mean ACK gap is more than 1 / this of the minimum RTT (a kcp-go
 * receiver flushes its ACKs once per 30 ms interval, so a 40 ms round holds one or two of its
 * batches), a round's delivery sample is also bounded by the higher of this and the previous
 * round's send rate: one batch counted in the wrong round inflates a sample by up to half, the
 * filter keeps it for ten rounds, and pacing above the link overflows its queue. Our sender to a
 * Go kcptun receiver over 50 Mbit/s, 40 ms, 2 % loss (seeds 1-4) went from 35.2 to 37.1 Mbit/s
 * mean downloading and from 36.3 to 39.5 uploading (seeds 1-2), retransmissions from 3-6 % to
 * 2-3 %. Our own receivers ACK more often than that on such paths. The bound is not applied
 * more widely: applied whenever the gap exceeded 20 ms, it cost our own jittery 10 Mbit/s,
 * 120 ms profile up to a quarter of its goodput (7.0 → 5.3 Mbit/s).
 */
export const ACK_BATCHES_PER_ROUND = 2;
/** Segments allowed in flight before the first delivery-rate sample. */
export const INITIAL_WINDOW = 32;
/** Window floor in segments, whatever the estimate. */
export const MIN_WINDOW = 16;
const STARTUP_GAIN = 2.885;
const PROBE_GAINS = [1.25, 0.75, 1, 1, 1, 1, 1, 1];
/** The highest pacing gain of the probe cycle. */
const PROBE_GAIN_MAX = 1.25;
const BW_FILTER_ROUNDS = 10;
/** A startup round delivering under this share of the estimate is a stall, not a plateau. */
const STALLED_ROUND = 0.5;
/**
 * Startup rounds without a queue not counted towards the plateau, at most: past that, startup
 * ends even on a path that never queues (a policer that drops instead). Measured on the bursty
 * profile, seed 10, download: the loss bursts held the estimate near 3.5 Mbit/s for three rounds
 * (RTT at its minimum, the window full), startup ended there in 5 of 15 runs, and the
 * probe cycle's 1.25× steps then took the whole 12 s run to climb back (6.8–8.7 instead of
 * 10.7–11.8 Mbit/s).
 */
const STARTUP_QUEUE_FREE_SKIPS = 3;
const MIN_RTT_WINDOW_MS = 10_000;
const MIN_ROUND_MS = 5;
/**
 * A round saw no queue when its lowest RTT is within this share of the baseline (or
 * {@link QUEUE_FREE_MS}, or twice the RTT's mean deviation, whichever is more).
 */
const QUEUE_FREE_SHARE = 0.25;
const QUEUE_FREE_MS = 5;
/**
 * Send window past startup in bandwidth-delay products. BBR uses 2, which lets a standing queue
 * of one BDP build; behind a 50 ms tail-drop buffer (the bench's profiles) an estimate a few
 * per cent high then overflows it, and the loss burst brings FEC parity back. With 1.5 the
 * 50 Mbit/s, 40 ms, 2 %-loss link went from 36-38.6 to 39.9-41.1 Mbit/s each way, the other
 * profiles unchanged (seeds 1-2). A kcp-go receiver, which ACKs once per 30 ms interval, needs
 * more on short paths; {@link ACK_GAP_WINDOW_GAIN} gives it that (before that term existed, 1.5
 * held our upload to Go's server on that link to 15-22 Mbit/s; with it, 35 as with 2).
 */
const WINDOW_GAIN = 1.5;
/**
 * Smallest RTT the window is sized for, so that a path measured at near-zero RTT (loopback)
 * still has room for the receiver's ACK timing.
 */
export const WINDOW_RTT_FLOOR_MS = 25;
/**
 * The window also covers this many times the minimum RTT plus the longest mean time between
 * ACK arrivals of the last rounds. A kcp-go receiver ACKs once per flush interval (30 ms with
 * kcptun's defaults), so on a short path it needs more in flight than the BDP terms give: our
 * sender to a Go kcptun receiver over 100 Mbit/s, 20 ms went from 77-80 to 82-84 Mbit/s. Our
 * own receivers ACK every few ms, so between our peers it rarely decides.
 */
export const ACK_GAP_WINDOW_GAIN = 1.15;

/** The controller's view of its KCP sender, read once per call. */
export interface RateSample {
  /** Cumulative bytes the peer acknowledged. */
  delivered: number;
  /** Latest RTT sample in ms (0 = none yet). */
  rtt: number;
  /** Segments in flight. */
  inflight: number;
  /** Cumulative bytes transmitted, retransmissions included (0 if not tracked). */
  sent?: number;
  /** Lowest RTT sample in ms since the previous call (0 = none). */
  lowRtt?: number;
  /** Mean deviation of the RTT in ms (0 = unknown). */
  rttvar?: number;
}

/** Paces and sizes the send window from measured delivery rate and RTT. */
export class RateController {
  readonly #segment: number;
  readonly #samples: number[] = [];
  #state: "startup" | "drain" | "probe" = "startup";
  #roundStart = -1;
  #roundDelivered = 0;
  #lastDelivered = 0;
  #roundSent = 0;
  /** Lowest RTT seen in the current round (0 = none). */
  #roundLowRtt = 0;
  /** Send rate of the previous round, bytes/s (0 = unknown or not queue-free). */
  #prevSentRate = 0;
  #lastAckAt = -Infinity;
  /** Send rate of the previous round, bytes/s, queue or not. */
  #lastSentRate = 0;
  #roundAcks = 0;
  /** Mean time between ACK arrivals in each of the last rounds, ms. */
  readonly #ackGaps: number[] = [];
  /** The longest of {@link #ackGaps}, kept at round ends (window() runs per datagram). */
  #ackGapMax = 0;
  /** Lowest RTT of each of the last rounds. */
  readonly #lows: number[] = [];
  #btlBw = 0;
  #fullBw = 0;
  #fullBwRounds = 0;
  /** Startup rounds not counted as a plateau because they saw no queue. */
  #queueFreeSkips = 0;
  #minRtt = 0;
  #minRttAt = 0;
  #cycle = 0;

  /** `segmentBytes` is KCP's mss plus its 24-byte header. */
  constructor(segmentBytes: number) {
    if (!(segmentBytes > 0)) throw new RangeError(`Segment size must be > 0, got ${segmentBytes}`);
    this.#segment = segmentBytes;
  }

  /** Current state (for tests and the lab). */
  get state(): string {
    return this.#state;
  }

  /** Estimated bottleneck rate in bytes/s (0 before the first sample). */
  get bottleneckRate(): number {
    return this.#btlBw;
  }

  /** Minimum RTT seen in the last 10 s, ms (0 before the first sample). */
  get minRtt(): number {
    return this.#minRtt;
  }

  /**
   * Multiplies every rate the controller holds by `factor` (> 0). For a change in what one
   * delivered byte costs on the wire: the estimates count data only, so when the FEC encoder
   * goes from p to q parity packets per group of d, the same link carries (d + p) / (d + q) ×
   * as much data. Without it a parity increase paces above the link until the filter forgets.
   */
  rescale(factor: number): void {
    if (!(factor > 0) || !Number.isFinite(factor)) {
      throw new RangeError(`Rescale factor must be a positive number, got ${factor}`);
    }
    const samples = this.#samples;
    for (let i = 0; i < samples.length; i++) samples[i] *= factor;
    this.#btlBw *= factor;
    this.#fullBw *= factor;
    this.#prevSentRate *= factor;
  }

  /** Updates the estimates; call after every input and timer tick. */
  update(now: number, s: RateSample): void {
    if (
      s.rtt > 0 &&
      (this.#minRtt === 0 || s.rtt <= this.#minRtt || now - this.#minRttAt > MIN_RTT_WINDOW_MS)
    ) {
      this.#minRtt = s.rtt;
      this.#minRttAt = now;
    }
    const low = s.lowRtt ?? 0;
    if (low > 0 && (this.#roundLowRtt === 0 || low < this.#roundLowRtt)) this.#roundLowRtt = low;
    const sent = s.sent ?? 0;
    if (this.#roundStart < 0) {
      this.#roundStart = now;
      this.#roundDelivered = s.delivered;
      this.#roundSent = sent;
      return;
    }
    const elapsed = now - this.#roundStart;
    const roundMs = Math.max(this.#minRtt, MIN_ROUND_MS);
    // a round ends on an ACK arrival, never on a timer tick: peers send ACKs in batches (kcp-go
    // every flush interval), and a round cut between two batches would count one batch in one
    // round and two in the next, a sample off by up to a batch that the max filter keeps
    const acked = s.delivered !== this.#lastDelivered;
    this.#lastDelivered = s.delivered;
    if (acked) {
      // ACK arrivals at least 1 ms apart: the datagrams of one batch count once
      if (now - this.#lastAckAt >= 1) this.#roundAcks++;
      this.#lastAckAt = now;
    }
    if (elapsed < roundMs || this.#minRtt === 0 || !acked) return;
    const ackGap = elapsed / this.#roundAcks;
    this.#roundAcks = 0;
    const bytes = s.delivered - this.#roundDelivered;
    const sentRate = (sent - this.#roundSent) * 1000 / elapsed;
    const roundLow = this.#roundLowRtt;
    this.#roundStart = now;
    this.#roundDelivered = s.delivered;
    this.#roundSent = sent;
    this.#roundLowRtt = 0;
    // an idle round (nothing in flight, nothing delivered) says nothing about the link
    if (bytes <= 0 && s.inflight === 0) return;
    const gaps = this.#ackGaps;
    gaps.push(ackGap);
    if (gaps.length > BW_FILTER_ROUNDS) gaps.shift();
    let gapMax = 0;
    for (const g of gaps) if (g > gapMax) gapMax = g;
    this.#ackGapMax = gapMax;
    let sample = bytes * 1000 / elapsed;
    // No queue this round (even its lowest RTT is near the lowest of the last rounds): the link
    // carried everything we sent in the round before, losses included, for random loss is not
    // congestion. Then the estimate is held at that send rate, never raised by it: a lossy
    // link's delivery rate alone falls short of the link by the loss, and pacing at it would
    // send ever slower. With a queue the link is full and only deliveries count. The baseline
    // is not the 10 s minimum RTT: on a jittery path that is a lucky sample few rounds come near.
    const lows = this.#lows;
    if (roundLow > 0) {
      lows.push(roundLow);
      if (lows.length > BW_FILTER_ROUNDS) lows.shift();
    }
    let base = roundLow;
    for (const l of lows) if (l < base) base = l;
    const slack = Math.max(base * QUEUE_FREE_SHARE, QUEUE_FREE_MS, 2 * (s.rttvar ?? 0));
    const queueFree = roundLow > 0 && roundLow <= base + slack;
    const prevSent = this.#prevSentRate;
    this.#prevSentRate = queueFree ? sentRate : 0;
    const lastSent = this.#lastSentRate;
    this.#lastSentRate = sentRate;
    if (this.#state === "probe" && queueFree) {
      const held = prevSent < this.#btlBw ? prevSent : this.#btlBw;
      if (held > sample) sample = held;
    }
    // delivery cannot outrun sending: past startup we send at most PROBE_GAIN_MAX × the
    // estimate, so more than that is ACKs arriving bunched, not link capacity
    if (this.#state === "probe" && sample > this.#btlBw * PROBE_GAIN_MAX) {
      sample = this.#btlBw * PROBE_GAIN_MAX;
    }
    // a round holding fewer than ACK_BATCHES_PER_ROUND of the peer's ACK batches may count one
    // batch too many; delivery cannot outrun sending, so what was sent bounds it
    if (
      this.#state === "probe" && sent > 0 && gapMax * ACK_BATCHES_PER_ROUND > this.#minRtt
    ) {
      const bound = sentRate > lastSent ? sentRate : lastSent;
      if (sample > bound) sample = bound;
    }
    this.#samples.push(sample);
    if (this.#samples.length > BW_FILTER_ROUNDS) this.#samples.shift();
    let max = 0;
    for (const r of this.#samples) if (r > max) max = r;
    this.#btlBw = max;
    this.#advance(sample, queueFree);
  }

  #advance(sample: number, queueFree: boolean): void {
    switch (this.#state) {
      case "startup":
        if (this.#btlBw >= this.#fullBw * 1.25) {
          this.#fullBw = this.#btlBw;
          this.#fullBwRounds = 0;
        } else if (sample < this.#btlBw * STALLED_ROUND) {
          // a round stalled by a loss burst (waiting on a retransmission) shows no plateau
        } else if (queueFree && this.#queueFreeSkips < STARTUP_QUEUE_FREE_SKIPS) {
          // nor, up to a point, does a round that built no queue: the link was not full. Early
          // in startup the window (sized from the estimate) is small, a loss burst holds
          // delivery near the estimate round after round, and that flat estimate would end
          // startup at a fraction of the link
          this.#queueFreeSkips++;
        } else if (++this.#fullBwRounds >= 3) {
          this.#state = "drain";
        }
        break;
      case "drain":
        this.#state = "probe";
        this.#cycle = 0;
        break;
      case "probe":
        this.#cycle = (this.#cycle + 1) % PROBE_GAINS.length;
        break;
    }
  }

  /**
   * Pacing rate for new data in bytes/s; 0 = unpaced (no estimate yet). Never below
   * {@link MIN_WINDOW} segments per RTT (taken as at least {@link WINDOW_RTT_FLOOR_MS}), the
   * rate the window floor allows anyway: a sender of little data (the side that only sends
   * ACKs and smux window updates) measures its own trickle, not the link, and paced at that a
   * few retransmissions held its next window update back for 20 s.
   */
  pacingRate(): number {
    if (this.#btlBw === 0) return 0;
    const gain = this.#state === "startup"
      ? STARTUP_GAIN
      : this.#state === "drain"
      ? 1 / STARTUP_GAIN
      : PROBE_GAINS[this.#cycle];
    const rate = this.#btlBw * gain;
    const rtt = this.#minRtt > WINDOW_RTT_FLOOR_MS ? this.#minRtt : WINDOW_RTT_FLOOR_MS;
    const floor = MIN_WINDOW * this.#segment * 1000 / rtt;
    return rate > floor ? rate : floor;
  }

  /**
   * Send window in segments, at least {@link MIN_WINDOW}: {@link WINDOW_GAIN} bandwidth-delay
   * products past startup, with the RTT taken as at least {@link WINDOW_RTT_FLOOR_MS}. The floor
   * covers a peer that delays its ACKs on a fast path — kcp-go 2021 flushes them only every
   * 30 ms, which the minimum RTT does not show — without letting queueing delay (which the
   * smoothed RTT holds) inflate the window. Past startup the window also covers
   * {@link ACK_GAP_WINDOW_GAIN} × (minimum RTT + the longest mean gap between ACK arrivals of
   * the last 10 rounds), for such a peer on a path where the floor is not enough.
   */
  window(): number {
    if (this.#btlBw === 0 || this.#minRtt === 0) return INITIAL_WINDOW;
    const gain = this.#state === "startup" ? STARTUP_GAIN : WINDOW_GAIN;
    const rtt = this.#minRtt > WINDOW_RTT_FLOOR_MS ? this.#minRtt : WINDOW_RTT_FLOOR_MS;
    let span = gain * rtt;
    if (this.#state !== "startup") {
      const need = ACK_GAP_WINDOW_GAIN * (this.#minRtt + this.#ackGapMax);
      if (need > span) span = need;
    }
    return Math.max(MIN_WINDOW, Math.ceil(this.#btlBw * span / 1000 / this.#segment));
  }
}
