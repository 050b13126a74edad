/**
 * A pure, seeded, user-space model of one direction of a lossy network link: bottleneck rate
 * with a tail-drop queue, random or bursty loss, base delay with jitter, reordering and
 * duplication. No clock, no sockets, no timers: the caller passes `now` (ms, fractional ok) and
 * pulls due packets with {@linkcode LinkDirection.deliver}. Used by the `lab` command, by the UDP
 * relay ({@link ./relay.ts}) and as the virtual link in protocol tests and benchmarks.
 *
 * ## The model, in the order a packet meets it
 *
 * 1. **Bottleneck** (only when `rateBps > 0`). Packets are serialised one after another at
 *    `rateBps`; a packet's departure time is `max(now, previous departure) + bits / rate`.
 *    The queue holds the bytes not yet serialised (including the rest of the packet being sent).
 *    A packet is tail-dropped (`queueDrops`) when those bytes plus its own length would exceed
 *    `queueBytes`; an empty queue always admits one packet, however large.
 * 2. **Loss** on the wire, after the bottleneck (a lost packet has used its share of the
 *    bandwidth, as on a real lossy last hop). Either Bernoulli (`loss`) or Gilbert–Elliott
 *    (`burst`, which overrides `loss`). The Gilbert–Elliott chain starts in the good state; each
 *    packet that leaves the bottleneck is first lost with the current state's loss rate, then
 *    the state moves (good→bad with `pGoodToBad`, bad→good with `pBadToGood`). With the default
 *    `lossGood = 0`, `lossBad = 1` the mean loss burst is `1 / pBadToGood` packets and the mean
 *    loss rate is `pGoodToBad / (pGoodToBad + pBadToGood)`.
 * 3. **Delay**: `delayMs` plus jitter drawn uniformly from `[-jitterMs, +jitterMs]`, clamped so
 *    the delay is never negative. **Jitter keeps FIFO order**: a packet never arrives before one
 *    sent earlier (its arrival is raised to the latest earlier arrival), so every arrival still
 *    lies within `departure + delayMs ± jitterMs`. This models a single path whose queueing
 *    delay varies, not a multipath network; ask for reordering explicitly with `reorder`.
 * 4. **Reordering**: with probability `reorder` a packet gets `reorderDelayMs` extra delay and is
 *    exempt from the FIFO rule, so packets sent after it may overtake it (`reordered` counts the
 *    packets so delayed, whether or not anything actually overtakes them).
 * 5. **Duplication**: with probability `duplicate` a delivered packet gets an identical second
 *    copy, delivered right after the original at the same instant. Lost packets are not
 *    duplicated; the copy does not use bottleneck bandwidth (`duplicated` counts copies).
 *
 * Each random feature draws from its own stream derived from the seed, so turning one feature on
 * or off does not change the decisions of the others (e.g. the same packets are lost with or
 * without jitter). Same profile + seed + sequence of calls → the same deliveries, always.
 *
 * Counters satisfy `sent + duplicated = delivered + lost + queueDrops + inFlight`.
 *
 * @example
 * ```ts
 * import {
 *   LINK_PROFILES,
 *   LinkDirection,
 *   type LinkProfile,
 *   type LinkStats,
 *   parseLinkProfile,
 * } from "./link.ts";
 * import assert from "node:assert/strict";
 *
 * const profile: LinkProfile = parseLinkProfile("delay=10ms,rate=8mbit");
 * assert.equal(LINK_PROFILES.loopback.delayMs, undefined);
 * const link = new LinkDirection(profile, 1);
 * assert.equal(link.send(new Uint8Array(1000), 0), true); // 1000 B at 8 Mbit/s = 1 ms
 * assert.equal(link.nextDelivery(), 11);
 * const got: Uint8Array[] = [];
 * assert.equal(link.deliver(10.5, (p) => got.push(p)), 0);
 * assert.equal(link.deliver(11, (p) => got.push(p)), 1);
 * assert.equal(got[0].length, 1000);
 * const stats: LinkStats = link.stats;
 * assert.equal(stats.delivered, 1);
 * ```
 *
 * @module
 */

import { Prng } from "./prng.ts";
import { DeliveryQueue } from "./_delivery_queue.ts";
import {
  LOSS_BERNOULLI,
  LOSS_BURST,
  type ResolvedLinkProfile,
  resolveLinkProfile,
} from "./_resolve_profile.ts";

export { LINK_PROFILES } from "./_profiles.ts";
export { parseLinkProfile } from "./_parse_profile.ts";

/** Shape of one direction of an emulated link. Every field is optional; `{}` is a perfect link. */
export interface LinkProfile {
  /** Bernoulli loss probability 0..1, applied after the bottleneck. Ignored when `burst` is set. @default 0 */
  loss?: number;
  /**
   * Gilbert–Elliott bursty loss (overrides `loss` when set): per-packet transition
   * probabilities and the loss rate in each state. The chain starts in the good state.
   */
  burst?: {
    /** Probability 0..1 of moving from the good to the bad state after a packet. */
    pGoodToBad: number;
    /** Probability 0..1 of moving from the bad to the good state after a packet. */
    pBadToGood: number;
    /** Loss probability 0..1 in the good state. @default 0 */
    lossGood?: number;
    /** Loss probability 0..1 in the bad state. @default 1 */
    lossBad?: number;
  };
  /** One-way base delay in ms. @default 0 */
  delayMs?: number;
  /** Uniform jitter ±ms added to the delay; keeps FIFO order (see module doc). @default 0 */
  jitterMs?: number;
  /** Bottleneck rate in bits per second; 0 = unlimited (no bottleneck, no queue). @default 0 */
  rateBps?: number;
  /**
   * Bottleneck queue capacity in bytes (tail drop when full); only used when `rateBps > 0`.
   * @default the bytes the bottleneck drains in 50 ms at `rateBps`, but at least 64 KiB
   *   (100 Mbit/s → 625 000 B, 20 Mbit/s → 125 000 B, 10 Mbit/s → 65 536 B)
   */
  queueBytes?: number;
  /** Probability 0..1 that a packet is held back by `reorderDelayMs` and may be overtaken. @default 0 */
  reorder?: number;
  /** Extra delay of a reordered packet in ms. @default 10 */
  reorderDelayMs?: number;
  /** Probability 0..1 that a packet arrives twice. @default 0 */
  duplicate?: number;
}

/** Counters of one {@linkcode LinkDirection}. All are packet counts except `bytesDelivered`. */
export interface LinkStats {
  /** Packets offered to `send`. */
  sent: number;
  /** Packets handed to a `deliver` sink, duplicates included. */
  delivered: number;
  /** Packets dropped by random (Bernoulli or Gilbert–Elliott) loss. */
  lost: number;
  /** Packets tail-dropped because the bottleneck queue was full. */
  queueDrops: number;
  /** Extra copies created by duplication. */
  duplicated: number;
  /** Packets given the extra reorder delay. */
  reordered: number;
  /** Sum of the lengths of delivered packets. */
  bytesDelivered: number;
  /** Packets (and copies) scheduled but not yet delivered. */
  inFlight: number;
}

/**
 * One direction of an emulated link. See the module documentation for the exact model.
 *
 * Buffer ownership: `send` copies the bytes, so the caller may reuse its buffer at once; the
 * `Uint8Array` handed to a `deliver` sink is a fresh copy the receiver owns and may keep.
 */
export class LinkDirection {
  /** Live counters; read them at any time, do not write them. */
  readonly stats: LinkStats = {
    sent: 0,
    delivered: 0,
    lost: 0,
    queueDrops: 0,
    duplicated: 0,
    reordered: 0,
    bytesDelivered: 0,
    inFlight: 0,
  };

  #p: ResolvedLinkProfile;
  #lossRng: Prng;
  #delayRng: Prng;
  #reorderRng: Prng;
  #duplicateRng: Prng;
  #queue = new DeliveryQueue();
  /** Time the bottleneck finishes serialising everything admitted so far. */
  #busyUntil = -Infinity;
  /** Latest arrival time of a packet that is subject to FIFO order. */
  #lastFifoArrival = -Infinity;
  /** Gilbert–Elliott state: true = bad. */
  #bad = false;

  /**
   * Create one direction of a link.
   *
   * @param profile What the link does; validated here.
   * @param seed Seed for every random decision (any finite number, reduced to uint32).
   * @throws {TypeError} If a profile field has the wrong type.
   * @throws {RangeError} If a profile field is out of range or `seed` is not finite.
   */
  constructor(profile: LinkProfile, seed: number) {
    this.#p = resolveLinkProfile(profile);
    const master = new Prng(seed);
    this.#lossRng = new Prng(master.next());
    this.#delayRng = new Prng(master.next());
    this.#reorderRng = new Prng(master.next());
    this.#duplicateRng = new Prng(master.next());
  }

  /**
   * Offer a packet at time `now` (ms, fractional ok; calls should not go back in time). The bytes
   * are copied.
   *
   * @param packet The datagram; copied, so the caller may reuse its buffer.
   * @param now Current time in ms.
   * @param tag Optional number handed back to the sink with this packet (and its duplicate),
   *   e.g. to tell several flows sharing one link apart. @default 0
   * @returns `false` if the packet was dropped (random loss or full queue), `true` if it is
   *   scheduled for delivery.
   */
  send(packet: Uint8Array, now: number, tag = 0): boolean {
    const p = this.#p;
    const stats = this.stats;
    stats.sent++;
    const len = packet.length;

    let departure = now;
    if (p.rateBps > 0) {
      const start = this.#busyUntil > now ? this.#busyUntil : now;
      const backlog = (start - now) * p.bytesPerMs;
      // Tiny slack absorbs float rounding of backlog so an exactly-full queue still fits.
      if (backlog > 0 && backlog + len > p.queueBytes + 1e-6) {
        stats.queueDrops++;
        return false;
      }
      departure = start + len / p.bytesPerMs;
      this.#busyUntil = departure;
    }

    if (p.lossModel === LOSS_BERNOULLI) {
      if (this.#lossRng.float() < p.loss) {
        stats.lost++;
        return false;
      }
    } else if (p.lossModel === LOSS_BURST) {
      const bad = this.#bad;
      const lost = this.#lossRng.float() < (bad ? p.lossBad : p.lossGood);
      if (this.#lossRng.float() < (bad ? p.pBadToGood : p.pGoodToBad)) this.#bad = !bad;
      if (lost) {
        stats.lost++;
        return false;
      }
    }

    let delay = p.delayMs;
    if (p.jitterMs > 0) {
      delay += (this.#delayRng.float() * 2 - 1) * p.jitterMs;
      if (delay < 0) delay = 0;
    }
    let arrival = departure + delay;
    if (p.reorder > 0 && this.#reorderRng.float() < p.reorder) {
      arrival += p.reorderDelayMs;
      stats.reordered++;
    } else {
      if (arrival < this.#lastFifoArrival) arrival = this.#lastFifoArrival;
      this.#lastFifoArrival = arrival;
    }

    const copy = packet.slice();
    this.#queue.push(arrival, copy, tag);
    stats.inFlight++;
    if (p.duplicate > 0 && this.#duplicateRng.float() < p.duplicate) {
      this.#queue.push(arrival, copy.slice(), tag);
      stats.inFlight++;
      stats.duplicated++;
    }
    return true;
  }

  /** Time (ms) of the next delivery, or `Infinity` if nothing is in flight. */
  nextDelivery(): number {
    return this.#queue.peekTime();
  }

  /**
   * Deliver every packet due at or before `now`, in delivery order (by arrival time, ties in
   * the order they were scheduled), to `sink`. A packet that `sink` itself sends into this same
   * direction and that is already due is delivered in the same call.
   *
   * @param now Current time in ms.
   * @param sink Receives each packet (a fresh copy the sink owns) and the tag given to `send`.
   * @returns The number of packets delivered.
   */
  deliver(now: number, sink: (packet: Uint8Array, tag: number) => void): number {
    const queue = this.#queue;
    const stats = this.stats;
    let count = 0;
    while (queue.size > 0 && queue.peekTime() <= now) {
      const tag = queue.peekTag();
      const packet = queue.pop();
      stats.inFlight--;
      stats.delivered++;
      stats.bytesDelivered += packet.length;
      count++;
      sink(packet, tag);
    }
    return count;
  }
}
