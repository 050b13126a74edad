/**
 * Sender-side FEC level (pure; time passed in): how many parity packets to send per group, from
 * the configured `--ps` on a lossy link down to none on a clean one, where parity only takes
 * bandwidth (3/13 of it with kcptun's 10/3).
 *
 * Receivers need nothing. The group keeps its (ds, ps) shape: with fewer parity packets the
 * seqids of the rest are skipped, which a receiver takes for loss, so its decoder never sees a
 * changed shape. Changing the shape itself would be unsafe: kcp-go 2021 keeps filing a new
 * shape's packets into groups of the old one until auto-tune notices, and rebuilds garbage from
 * the mix. With parity off, packets go out without the FEC header, which kcp-go and kcptun-ts
 * accept from any peer; parity comes back at a group boundary.
 *
 * Two loss estimates per window (at least {@link TUNER_WINDOW_MS} and {@link MIN_SAMPLES}
 * samples):
 * - receive loss: gaps in the seqids of the peer's FEC data packets, the raw loss of the
 *   reverse path, when the peer sends FEC;
 * - send loss: our needed retransmissions per delivered segment (spurious ones left out), the
 *   loss our FEC left over, or the raw loss while it is off.
 *
 * Two windows in a row with send loss above {@link LOSSY_LOSS} (and at least
 * {@link MIN_LOSSES} losses each) bring one parity packet back, and the next probe waits twice as
 * long (up to {@link MAX_BACKOFF}×). A lone lossy window between clean ones changes nothing: it is
 * noise, or a queue that overflowed for a moment, congestion loss that parity cannot repair and
 * the rate controller answers. With parity off the first lossy window brings parity back at once:
 * one packet per group when the raw loss it showed is below {@link MODEST_LOSS}, all of them
 * otherwise (the loss may come in bursts). Once a streak of {@link CLEAN_WINDOWS} windows
 * (× backoff, and at least {@link MIN_STREAK} segments) shows send loss below {@link CLEAN_LOSS},
 * parity steps down: to none when the reverse path showed no loss either (over at least
 * {@link MIN_SAMPLES} of the peer's packets), else by one and never below one. Between the two,
 * retransmission handles the residual loss cheaply and the level stays: on a link with 2 % random
 * loss 10/3 leaves almost nothing, 10/2 about 0.04 % and 10/1 about 0.4 % to retransmit, and 10/1
 * carries 91 % data instead of 10/3's 77 %. A session with little traffic never decides and keeps
 * its FEC, which is what latency-sensitive users (games) rely on.
 *
 * Bulk transfers send no parity at all, whatever the loss. A window is saturated when the
 * application kept our sender supplied (its queue empty with the windows open for less than
 * {@link BULK_IDLE_SHARE} of the window) and our pacing rate held the sender back for at least
 * {@link BULK_PACED_SHARE} of it (so the rate controller, not a receive window, sets the pace).
 * After {@link BULK_WINDOWS} saturated windows in a row the transfer is bulk: the link sets its
 * pace, so every parity packet takes the place of a data packet. Parity spends ps of
 * every ds + ps packets; retransmission spends one packet per lost segment, and the rate
 * controller paces at the measured delivery rate, so loss does not slow it down. What FEC saves
 * is the round trip a retransmission takes, which an application-limited flow (interactive
 * traffic) notices and a bulk one does not. The level from before comes back once a window
 * shows the application running dry for {@link BULK_EXIT_IDLE_SHARE} of it or more.
 *
 * @module
 */

/** Send loss below which parity may step down (summed over the clean streak). */
export const CLEAN_LOSS = 0.003;
/** Send loss above which a window is lossy (two in a row bring a parity shard back). */
export const LOSSY_LOSS = 0.01;
/**
 * Raw loss (seen with parity off) below which parity comes back as one packet per group rather
 * than all of them; if one is not enough, two lossy windows bring the next.
 */
export const MODEST_LOSS = 0.03;
/** Windows in a streak before parity steps down (times the backoff). */
export const CLEAN_WINDOWS = 2;
/** Window length, ms. */
export const TUNER_WINDOW_MS = 500;
/** Fewest samples (packets or segments) that make a window's estimate count. */
export const MIN_SAMPLES = 100;
/** Fewest losses in a window that bring parity back: fewer are noise, not evidence. */
export const MIN_LOSSES = 8;
/** Fewest delivered segments in a clean streak before parity steps down. */
export const MIN_STREAK = 2000;
/** Saturated windows in a row that make a transfer bulk (parity off). */
export const BULK_WINDOWS = 3;
/** A saturated window's most time with our queue empty and the windows open (idle). */
export const BULK_IDLE_SHARE = 0.1;
/** A saturated window's least time with the sender held back by its pacing rate. */
export const BULK_PACED_SHARE = 0.5;
/** Idle share of a window that ends a bulk transfer (parity back). */
export const BULK_EXIT_IDLE_SHARE = 0.25;

/** Cumulative counters the tuner reads. */
export interface FecTunerInput {
  /** FEC packets received from the peer. */
  fecReceived: number;
  /** Seqid span those packets covered (sum of forward seqid steps). */
  fecSpan: number;
  /** Segments retransmitted by our KCP that were needed (spurious retransmissions left out). */
  retransmitted: number;
  /** Segments the peer acknowledged (delivered bytes / mss). */
  deliveredSegments: number;
  /** Milliseconds our sender spent limited by its pacing rate (`Kcp.paceLimited`). */
  paceLimitedMs: number;
  /** Milliseconds our sender had nothing queued while its windows had room. */
  idleMs: number;
}

/** Longest wait between two probes of a lossy link, in clean-window units. */
export const MAX_BACKOFF = 64;

/** Decides how many parity shards our FEC encoder sends (0 = encoder off). */
export class FecTuner {
  readonly #max: number;
  #level: number;
  #clean = 0;
  /** Retransmissions and delivered segments summed over the current streak. */
  #streakRetrans = 0;
  #streakSegs = 0;
  #streakRxPackets = 0;
  #streakRxSpan = 0;
  #backoff = 1;
  /** The last window that closed with data flowing was lossy. */
  #lossyBefore = false;
  #start = 0;
  /** The counters at the start of the current window (none before the first update). */
  #last: FecTunerInput | undefined;
  /** Saturated windows in a row (see the module doc). */
  #saturated = 0;
  /** A bulk transfer turned parity off; `#beforeBulk` is the level it comes back to. */
  #bulk = false;
  #beforeBulk = 0;

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

  /** True while a bulk transfer keeps parity off. */
  get bulk(): boolean {
    return this.#bulk;
  }

  /** Feeds the counters; returns true when `parity` changed. */
  update(now: number, input: FecTunerInput): boolean {
    const last = this.#last;
    if (last === undefined) {
      this.#start = now;
      this.#last = { ...input };
      return false;
    }
    const elapsed = now - this.#start;
    if (elapsed < TUNER_WINDOW_MS) return false;
    const idle = (input.idleMs - last.idleMs) / elapsed;
    if (this.#bulk) {
      // parity stays off while the transfer lasts; its loss says nothing about what parity
      // an application-limited flow needs, so it is not counted
      this.#start = now;
      this.#last = { ...input };
      if (idle < BULK_EXIT_IDLE_SHARE) return false;
      this.#bulk = false;
      this.#saturated = 0;
      this.#resetStreak();
      this.#lossyBefore = false;
      this.#level = this.#beforeBulk;
      return this.#level !== 0;
    }
    const paced = (input.paceLimitedMs - last.paceLimitedMs) / elapsed;
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
    if (txLoss < 0) {
      // no data of ours flowing: nothing to decide
      this.#resetStreak();
      this.#lossyBefore = false;
      this.#saturated = 0;
      return false;
    }
    this.#saturated = idle < BULK_IDLE_SHARE && paced >= BULK_PACED_SHARE ? this.#saturated + 1 : 0;
    if (this.#saturated >= BULK_WINDOWS) {
      // the link sets the pace: parity would only displace data
      this.#bulk = true;
      this.#beforeBulk = this.#level;
      this.#resetStreak();
      this.#lossyBefore = false;
      if (this.#level === 0) return false;
      this.#level = 0;
      return true;
    }
    // The peer's seqid gaps show raw loss on the way back (FEC hides the forward loss from us):
    // with parity off they bring it back, and while they show loss parity never goes to none.
    const lossy = (txLoss > LOSSY_LOSS && retrans >= MIN_LOSSES) ||
      (this.#level === 0 && rxLoss > LOSSY_LOSS && rxSpan - rxPackets >= MIN_LOSSES);
    if (lossy) {
      this.#resetStreak();
      // with parity on, one lossy window is not yet a lossier link (see the module doc)
      const persistent = this.#lossyBefore || this.#level === 0;
      this.#lossyBefore = true;
      if (!persistent || this.#level >= this.#max) return false;
      // the probe found loss: wait longer before the next one, and one parity shard back (with
      // parity off, all of them unless the raw loss was modest: bursts need them all)
      this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF);
      if (this.#level > 0) this.#level++;
      else this.#level = Math.max(txLoss, rxLoss) < MODEST_LOSS ? 1 : this.#max;
      return true;
    }
    this.#lossyBefore = false;
    this.#clean++;
    this.#streakRetrans += retrans;
    this.#streakSegs += segs;
    this.#streakRxPackets += rxPackets;
    this.#streakRxSpan += rxSpan;
    if (this.#clean < CLEAN_WINDOWS * this.#backoff || this.#streakSegs < MIN_STREAK) return false;
    // the reverse path counts as clean only when the peer's packets showed it
    const rxSeen = this.#streakRxSpan;
    const pathClean = rxSeen >= MIN_SAMPLES &&
      rxSeen - this.#streakRxPackets < CLEAN_LOSS * rxSeen;
    const clean = this.#streakRetrans < CLEAN_LOSS * this.#streakSegs;
    this.#resetStreak();
    if (!clean) return false;
    if (this.#level === 0) {
      this.#backoff = 1; // a clean streak without parity: forget old loss
      return false;
    }
    if (this.#level === 1 && !pathClean) return false;
    // a clean path both ways needs no parity at all; a lossy one is probed shard by shard
    this.#level = pathClean ? 0 : this.#level - 1;
    return true;
  }

  #resetStreak(): void {
    this.#clean = 0;
    this.#streakRetrans = 0;
    this.#streakSegs = 0;
    this.#streakRxPackets = 0;
    this.#streakRxSpan = 0;
  }
}
