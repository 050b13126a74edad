/**
 * kcp-go's FEC layer (kcptun-wire.md §4): framing, Reed-Solomon parity, recovery, auto-tune.
 *
 * Wire format, after the crypto header (all little-endian):
 *
 * ```
 * data   : seqid u32 | type u16 = 0x00F1 | size u16 = 2 + len(KCP) | KCP bytes
 * parity : seqid u32 | type u16 = 0x00F2 | RS parity over the group's size‖KCP shards (L bytes)
 * oob    : seqid u32 = 0xFFFFFFFF | type u16 = 0x00F3 | size u16 | conv u32 | payload  (latest)
 * ```
 *
 * The seqid counts data and parity packets together from 0, modulo
 * `paws = floor(0xFFFFFFFF / n) · n` with `n = ds + ps`; group = `floor(seqid / n)`,
 * positions `0..ds-1` are data and `ds..n-1` parity. Data packets go out unpadded; parity
 * shards cover the group's `size‖KCP` bodies zero-padded to the longest one (L) and follow
 * the group's last data packet immediately.
 *
 * Both classes are pure engines: no I/O, no clock (time is the `now` argument, in ms), no
 * global state, and no per-packet allocation on the encode path.
 *
 * @module
 */

import { AutoTune } from "./_autotune.ts";
import { checkShardCounts } from "./_check.ts";
import { ShardBuffer } from "./_shard_buffer.ts";
import { ReedSolomon } from "./reed_solomon.ts";

/** Bytes of the FEC header common to all packet types: seqid u32 + type u16. */
export const FEC_HEADER_SIZE = 6;
/** FEC header plus the data packet's size u16: where the KCP bytes start. */
export const FEC_HEADER_SIZE_PLUS2 = 8;
/** Type of a data packet. */
export const FEC_TYPE_DATA = 0xf1;
/** Type of a parity packet. */
export const FEC_TYPE_PARITY = 0xf2;
/** Type of an out-of-band packet (latest kcp-go only; kcptun never sends it). */
export const FEC_TYPE_OOB = 0xf3;

/** Offset of the seqid u32 in an FEC packet. */
const OFFSET_SEQID = 0;
/** Offset of the type u16. */
const OFFSET_TYPE = 4;
/** Offset of the size u16 (data packets; first two bytes of the shard). */
const OFFSET_SIZE = 6;
/** Largest FEC packet the size field can describe: 6 + 0xFFFF. */
const MAX_FEC_PACKET = FEC_HEADER_SIZE + 0xffff;
/** Largest value a seqid can take before the modulo; paws = floor(this / n) · n. */
const SEQID_SPAN = 0xffffffff;

/**
 * Group sets kept behind the newest one (latest kcp-go `maxShardSets`): a packet whose group
 * is more than this many groups older than the newest seen is too late to help.
 */
const MAX_GROUPS_BEHIND = 3;
/** Group sets held at once: the newest plus MAX_GROUPS_BEHIND. */
const GROUP_SLOTS = MAX_GROUPS_BEHIND + 1;
/** 2021 kcp-go `fecExpire`: an incomplete group older than this (by arrival) is dropped. */
const FEC_EXPIRE_MS = 60000;
/** Consecutive too-old packets after which the decoder assumes the sender's seqids restarted. */
const MIN_RESYNC_PACKETS = 16;

/** Options of {@linkcode FecEncoder}. */
export interface FecEncoderOptions {
  /**
   * latest kcp-go's parity skipping (`maxFECEncodeLatency`, 500 ms since v5.6.10): when the
   * group's last data packet comes this many ms or more after the previous data packet, the
   * group's parity is not generated, but the seqid still advances by `parityShards`. As in
   * kcp-go, the session's very first data packet counts as "after a gap", so with
   * `dataShards = 1` it never gets parity. 0 never skips, like kcp-go 5.6.1 (2021).
   * Receivers of either version handle both.
   *
   * @default 0
   */
  skipParityAfterGapMs?: number;
  /**
   * First seqid to write. kcp-go always starts at 0; this exists so tests can exercise the
   * wrap at `paws` without sending four billion packets. Must be a multiple of
   * `dataShards + parityShards` below `paws`.
   *
   * @default 0
   */
  initialSeqid?: number;
}

/**
 * Adds the FEC header to outgoing KCP packets in place and produces the parity packets.
 *
 * Buffer layout of a packet handed to {@linkcode FecEncoder.encode}:
 *
 * ```
 * [0, headroom)                  free for the outer (crypto) header
 * [headroom, headroom + 8)       FEC header, written by encode()
 * [headroom + 8, + kcpLen)       the KCP packet
 * ```
 *
 * Parity packets come back in internal buffers with the same layout, so the caller can put
 * its crypto header in front and a tag (tailroom) behind without copying.
 *
 * `dataShards ≤ 0`, `parityShards ≤ 0` or `dataShards + parityShards > 256` make the
 * constructor throw a RangeError. kcp-go has no encoder in those cases either: the caller
 * then sends plain KCP packets with no FEC header (and reserves no FEC header space).
 *
 * @example
 * ```ts
 * import { FecEncoder } from "./fec.ts";
 * import assert from "node:assert/strict";
 *
 * const enc = new FecEncoder(3, 2, 0, 0, 1400);
 * const pkt = new Uint8Array(100);
 * let ready = 0;
 * for (let i = 0; i < 3; i++) ready = enc.encode(pkt, 24, 0); // 24 KCP bytes at offset 8
 * assert.equal(pkt[0], 2); // seqid of the third data packet
 * assert.equal(ready, 2); // two parity packets follow it
 * assert.equal(enc.parityPacket(1)[0], 4); // seqid 4
 * assert.equal(enc.parityLength, 6 + 26);
 * ```
 */
export class FecEncoder {
  /** Data shards per group. */
  readonly dataShards: number;
  /** Parity shards per group. */
  readonly parityShards: number;
  /** Bytes kept free in front of the FEC header. */
  readonly headroom: number;
  /** Bytes kept free after each parity packet. */
  readonly tailroom: number;
  /** Largest FEC packet (header + KCP) accepted. */
  readonly maxSize: number;

  readonly #paws: number;
  readonly #skipGap: number;
  #sendParity: number;
  readonly #rs: ReedSolomon;
  readonly #cache: ShardBuffer[] = [];
  readonly #lens: Int32Array;
  /** Shard views handed to the codec: data views (set per packet), then parity views. */
  readonly #shards: Uint8Array[] = [];
  readonly #parity: Uint8Array[] = [];
  #next = 0;
  #count = 0;
  #maxLen = 0;
  #ready = 0;
  #parityLength = 0;
  #last = 0;
  #hasLast = false;

  /**
   * Creates an encoder writing FEC headers in place behind `headroom` bytes.
   *
   * @param dataShards Data packets per group, ≥ 1.
   * @param parityShards Parity packets per group, ≥ 1; `dataShards + parityShards ≤ 256`.
   * @param headroom Bytes the caller keeps free in front of the FEC header (crypto header).
   * @param tailroom Bytes the caller needs free after each packet (e.g. 16 for a GCM tag).
   * @param maxSize Largest FEC packet (8-byte FEC header + KCP) it will ever see, 8..65541.
   * @param options See {@linkcode FecEncoderOptions}.
   * @throws {RangeError} If a value is out of range.
   */
  constructor(
    dataShards: number,
    parityShards: number,
    headroom: number,
    tailroom: number,
    maxSize: number,
    options: FecEncoderOptions = {},
  ) {
    checkShardCounts(dataShards, parityShards);
    checkInteger("Headroom", headroom, 0, 0x10000);
    checkInteger("Tailroom", tailroom, 0, 0x10000);
    checkInteger("Max size", maxSize, FEC_HEADER_SIZE_PLUS2, MAX_FEC_PACKET);
    const skip = options.skipParityAfterGapMs ?? 0;
    if (!(skip >= 0 && Number.isFinite(skip))) {
      throw new RangeError(
        `Skip parity after gap must be a non-negative number of ms, got ${skip}`,
      );
    }
    this.dataShards = dataShards;
    this.parityShards = parityShards;
    this.#sendParity = parityShards;
    this.headroom = headroom;
    this.tailroom = tailroom;
    this.maxSize = maxSize;
    this.#skipGap = skip;
    const n = dataShards + parityShards;
    this.#paws = Math.floor(SEQID_SPAN / n) * n;
    const first = options.initialSeqid ?? 0;
    if (!(Number.isInteger(first) && first >= 0 && first < this.#paws && first % n === 0)) {
      throw new RangeError(
        `Initial seqid must be a multiple of ${n} below ${this.#paws}, got ${first}`,
      );
    }
    this.#next = first;
    this.#rs = new ReedSolomon(dataShards, parityShards);
    const shardCapacity = maxSize - FEC_HEADER_SIZE;
    for (let i = 0; i < dataShards; i++) {
      const buf = new ShardBuffer(shardCapacity);
      this.#cache.push(buf);
      this.#shards.push(buf.view);
    }
    this.#lens = new Int32Array(dataShards);
    for (let i = 0; i < parityShards; i++) {
      const pkt = new Uint8Array(headroom + maxSize + tailroom);
      this.#parity.push(pkt);
      this.#shards.push(pkt.subarray(headroom + FEC_HEADER_SIZE, headroom + maxSize));
    }
  }

  /**
   * Frame one outgoing KCP packet: writes seqid, type 0xF1 and size into
   * `buf[headroom, headroom + 8)` and remembers the shard. When this packet completes a
   * group, the group's parity packets are computed (unless skipped, see
   * {@linkcode FecEncoderOptions.skipParityAfterGapMs}).
   *
   * @param buf Packet buffer; the KCP bytes are at `[headroom + 8, headroom + 8 + kcpLen)`.
   * @param kcpLen Number of KCP bytes.
   * @param now Current time in ms (only used for parity skipping; uint32 wrap is fine).
   * @returns How many parity packets are ready: 0, or `sendParity`. Read them with
   *   {@linkcode FecEncoder.parityPacket} before the next call.
   * @throws {RangeError} If `kcpLen` exceeds `maxSize - 8` or `buf` is too short (caller bugs).
   */
  encode(buf: Uint8Array, kcpLen: number, now: number): number {
    const h = this.headroom;
    if (
      !(kcpLen >= 0 && kcpLen <= this.maxSize - FEC_HEADER_SIZE_PLUS2 && kcpLen === (kcpLen | 0))
    ) {
      throw new RangeError(
        `KCP length must be 0..${this.maxSize - FEC_HEADER_SIZE_PLUS2}, got ${kcpLen}`,
      );
    }
    if (buf.length < h + FEC_HEADER_SIZE_PLUS2 + kcpLen) {
      throw new RangeError(
        `Packet buffer must hold ${h + FEC_HEADER_SIZE_PLUS2 + kcpLen} bytes, got ${buf.length}`,
      );
    }
    this.#ready = 0;
    this.#writeHeader(buf, h, FEC_TYPE_DATA);
    const shardLen = kcpLen + 2;
    buf[h + OFFSET_SIZE] = shardLen;
    buf[h + OFFSET_SIZE + 1] = shardLen >>> 8;

    const i = this.#count;
    this.#shards[i] = this.#cache[i].copyFrom(buf, h + OFFSET_SIZE, shardLen);
    this.#lens[i] = shardLen;
    if (shardLen > this.#maxLen) this.#maxLen = shardLen;
    this.#count = i + 1;

    if (this.#count === this.dataShards) {
      const skip = this.#skipGap > 0 &&
        (!this.#hasLast || ((now - this.#last) | 0) >= this.#skipGap);
      if (skip) {
        this.#next = (this.#next + this.parityShards) % this.#paws;
      } else {
        this.#makeParity();
      }
      this.#count = 0;
      this.#maxLen = 0;
    }
    this.#last = now;
    this.#hasLast = true;
    return this.#ready;
  }

  /**
   * The `i`-th ready parity packet: an internal buffer whose
   * `[headroom, headroom + parityLength)` is the FEC parity packet, with `headroom` bytes free
   * in front and at least `tailroom` free behind. Valid until the next
   * {@linkcode FecEncoder.encode}.
   *
   * @throws {RangeError} If fewer than `i + 1` parity packets are ready.
   */
  parityPacket(i: number): Uint8Array {
    if (!(i >= 0 && i < this.#ready)) {
      throw new RangeError(`Parity packet index must be below ${this.#ready}, got ${i}`);
    }
    return this.#parity[i];
  }

  /** FEC bytes of each ready parity packet: 6 + the group's longest shard (size‖KCP). */
  get parityLength(): number {
    return this.#parityLength;
  }

  /** Next seqid the encoder will write (for diagnostics and tests). */
  get nextSeqid(): number {
    return this.#next;
  }

  /**
   * Parity packets sent per group, 1..`parityShards` (default all). Fewer keeps the group's
   * shape: the first ones are sent and the seqids of the rest are skipped, which every receiver
   * takes for lost packets, so its decoder (kcp-go's included) never sees a changed (ds, ps).
   *
   * @throws {RangeError} If the count is out of range.
   */
  get sendParity(): number {
    return this.#sendParity;
  }

  set sendParity(count: number) {
    if (!(Number.isInteger(count) && count >= 1 && count <= this.parityShards)) {
      throw new RangeError(`Parity packets to send must be 1..${this.parityShards}, got ${count}`);
    }
    this.#sendParity = count;
  }

  #makeParity(): void {
    const ds = this.dataShards, len = this.#maxLen, shards = this.#shards, lens = this.#lens;
    for (let k = 0; k < ds; k++) shards[k].fill(0, lens[k], len);
    this.#rs.encode(shards, len);
    const send = this.#sendParity;
    for (let k = 0; k < send; k++) {
      this.#writeHeader(this.#parity[k], this.headroom, FEC_TYPE_PARITY);
    }
    this.#next = (this.#next + this.parityShards - send) % this.#paws;
    this.#parityLength = FEC_HEADER_SIZE + len;
    this.#ready = send;
  }

  #writeHeader(buf: Uint8Array, at: number, type: number): void {
    const seqid = this.#next;
    buf[at + OFFSET_SEQID] = seqid;
    buf[at + OFFSET_SEQID + 1] = seqid >>> 8;
    buf[at + OFFSET_SEQID + 2] = seqid >>> 16;
    buf[at + OFFSET_SEQID + 3] = seqid >>> 24;
    buf[at + OFFSET_TYPE] = type;
    buf[at + OFFSET_TYPE + 1] = 0;
    this.#next = seqid + 1 === this.#paws ? 0 : seqid + 1;
  }
}

/** Counters of a {@linkcode FecDecoder}. All only ever increase. */
export interface FecDecoderStats {
  /** KCP packets rebuilt from parity and returned by `decode` (valid size field). */
  recovered: number;
  /**
   * Malformed input: packets shorter than 8 bytes, longer than `maxSize` or than the buffer,
   * of a type other than 0xF1/0xF2, or with `seqid ≥ paws`; and rebuilt shards whose size
   * field is outside `2..L` (kcp-go `FECErrs`).
   */
  errors: number;
  /** Well-formed parity packets received. */
  parityShards: number;
  /** Well-formed data packets received. */
  dataShards: number;
  /** Packets whose seqid was already held for its group. */
  duplicates: number;
  /**
   * Incomplete groups dropped (more than 3 groups behind the newest, or older than 60 s), plus
   * packets that arrived for a group already that far behind.
   */
  expired: number;
  /** Re-initialisations after auto-tune detected different sender (ds, ps). */
  autoTunes: number;
}

/** One group (shard set) being collected. */
class ShardSet {
  /** Group index (seqid / n), or -1 when the slot is free. */
  group = -1;
  /** Reached `ds` shards and was processed: later packets of the group are ignored. */
  done = false;
  count = 0;
  dataCount = 0;
  firstArrival = 0;
  readonly buffers: (ShardBuffer | null)[];
  readonly lens: Int32Array;

  constructor(n: number) {
    this.buffers = new Array<ShardBuffer | null>(n).fill(null);
    this.lens = new Int32Array(n);
  }
}

/**
 * Receives FEC packets, rebuilds lost data packets from parity, and learns the sender's
 * (dataShards, parityShards) by itself (kcp-go auto-tune), so the two sides' FEC settings
 * need not match.
 *
 * Data packets are not returned: the caller feeds their KCP bytes to KCP itself, as kcp-go
 * does, and only recovered packets come out of {@linkcode FecDecoder.decode}.
 *
 * Memory policy (bounded, works with 2021 and latest senders and across the seqid wrap):
 *
 * - Shards are kept per group, for the newest group seen and the 3 before it (latest kcp-go's
 *   `maxShardSets`). Group distances are computed modulo the number of groups before `paws`,
 *   so the wrap from the last group to group 0 is just "one newer".
 * - A group is processed once it holds `dataShards` shards: if data is missing it is rebuilt,
 *   then the group is marked done and its later packets are ignored, so every recovered
 *   packet is returned exactly once. (kcp-go forgets an emptied group, so a late shard
 *   starts it over; with ds = 1 a late parity packet "rebuilds" data that already arrived.)
 * - Incomplete groups are also dropped 60 s after their first packet (2021's `fecExpire`).
 * - Packets more than 3 groups older than the newest are dropped; after max(16, 2n) of them
 *   in a row the decoder assumes the sender restarted its seqids and starts over.
 * - Shard buffers come from a per-decoder pool and return to it, so steady state allocates
 *   nothing but the view of each recovered packet.
 *
 * Auto-tune: a packet whose type does not fit its position under the current (ds, ps) puts
 * the decoder out of step; it then stores nothing until the run lengths of the last 258
 * packets reveal the sender's (ds, ps), re-initialises with them if they differ (dropping
 * pending groups) and carries on. An unconfigured decoder starts out of step.
 *
 * @example
 * ```ts
 * import { FecDecoder, FecEncoder } from "./fec.ts";
 * import assert from "node:assert/strict";
 *
 * const enc = new FecEncoder(2, 1, 0, 0, 100);
 * const dec = new FecDecoder(2, 1, 100);
 * const a = new Uint8Array(40), b = new Uint8Array(40);
 * a.fill(7, 8, 32); // 24 KCP bytes
 * b.fill(9, 8, 32);
 * enc.encode(a, 24, 0);
 * enc.encode(b, 24, 0); // completes the group: one parity packet
 * const parity = enc.parityPacket(0).slice(0, enc.parityLength);
 * assert.equal(dec.decode(a, 32, 0), 0); // data packet: caller feeds a[8, 32) to KCP
 * assert.equal(dec.decode(parity, parity.length, 0), 1); // b was lost: rebuilt
 * assert.deepEqual(dec.recovered(0), b.subarray(8, 32));
 * ```
 */
export class FecDecoder {
  readonly #maxSize: number;
  readonly #shardCapacity: number;
  #ds = 0;
  #ps = 0;
  #n = 0;
  #paws = 0;
  #groupCount = 0;
  #resyncAfter = 0;
  #rs: ReedSolomon | null = null;
  readonly #tuner = new AutoTune();
  #shouldTune = false;
  #sets: ShardSet[] = [];
  #newest = 0;
  #hasNewest = false;
  #staleRun = 0;
  readonly #pool: ShardBuffer[] = [];
  #shards: Uint8Array[] = [];
  #present: boolean[] = [];
  readonly #empty = new Uint8Array(0);
  readonly #out: Uint8Array[] = [];
  #outCount = 0;
  readonly #outBuffers: ShardBuffer[] = [];
  #outBufferCount = 0;
  readonly #stats: FecDecoderStats = {
    recovered: 0,
    errors: 0,
    parityShards: 0,
    dataShards: 0,
    duplicates: 0,
    expired: 0,
    autoTunes: 0,
  };

  /**
   * Creates a decoder; (0, 0) waits for the first FEC packet and auto-tunes.
   *
   * @param dataShards Expected data shards per group. 0 (or parityShards 0) means not
   *   configured: the first FEC packet creates a (1, 1) decoder, which then auto-tunes, as
   *   kcp-go does for a session whose own FEC is off.
   * @param parityShards Expected parity shards per group.
   * @param maxSize Largest FEC packet accepted (8..65541); longer ones count as errors.
   * @throws {RangeError} If a count is negative or not an integer, the sum exceeds 256, or
   *   `maxSize` is out of range.
   */
  constructor(dataShards: number, parityShards: number, maxSize: number) {
    checkInteger("Data shards", dataShards, 0, 255);
    checkInteger("Parity shards", parityShards, 0, 255);
    checkInteger("Max size", maxSize, FEC_HEADER_SIZE_PLUS2, MAX_FEC_PACKET);
    this.#maxSize = maxSize;
    this.#shardCapacity = maxSize - FEC_HEADER_SIZE;
    if (dataShards > 0 && parityShards > 0) {
      checkShardCounts(dataShards, parityShards);
      this.#configure(dataShards, parityShards);
    }
  }

  /** Current data shards per group (after auto-tune); 0 until configured. */
  get dataShards(): number {
    return this.#ds;
  }

  /** Current parity shards per group (after auto-tune); 0 until configured. */
  get parityShards(): number {
    return this.#ps;
  }

  /** Counters; the object is live and owned by the decoder. */
  get stats(): Readonly<FecDecoderStats> {
    return this.#stats;
  }

  /**
   * Take one received FEC packet (type 0xF1 or 0xF2) starting at its seqid, `pkt[0, len)`.
   * Stores its shard, runs auto-tune, and rebuilds the group's missing data packets once the
   * group holds enough shards. Never throws: malformed packets are counted in
   * `stats.errors` and ignored.
   *
   * @param now Current time in ms (for the 60 s expiry; uint32 wrap is fine).
   * @returns How many KCP packets were recovered; read them with {@linkcode FecDecoder.recovered}.
   */
  decode(pkt: Uint8Array, len: number, now: number): number {
    this.#releaseOutputs();
    const stats = this.#stats;
    if (
      !(len >= FEC_HEADER_SIZE_PLUS2 && len <= this.#maxSize && len <= pkt.length) ||
      len !== (len | 0)
    ) {
      stats.errors++;
      return 0;
    }
    const type = pkt[OFFSET_TYPE] | (pkt[OFFSET_TYPE + 1] << 8);
    if (type !== FEC_TYPE_DATA && type !== FEC_TYPE_PARITY) {
      stats.errors++;
      return 0;
    }
    const isData = type === FEC_TYPE_DATA;
    const seqid = (pkt[OFFSET_SEQID] | (pkt[OFFSET_SEQID + 1] << 8) |
      (pkt[OFFSET_SEQID + 2] << 16) | (pkt[OFFSET_SEQID + 3] << 24)) >>> 0;
    if (isData) stats.dataShards++;
    else stats.parityShards++;

    if (this.#rs === null) {
      // kcp-go's lazy (1, 1) decoder. It is only a guess, so (deviation from kcp-go) it stores
      // nothing until auto-tune has seen the sender's pattern: storing under a wrong guess
      // could "recover" a parity shard of another group as if it were data.
      this.#configure(1, 1);
      this.#shouldTune = true;
    }
    this.#tuner.sample(isData, seqid);
    this.#expireByTime(now);
    if (seqid >= this.#paws) {
      stats.errors++;
      return 0;
    }
    if ((seqid % this.#n < this.#ds) !== isData) this.#shouldTune = true;
    if (this.#shouldTune) {
      // Out of step with the sender: store nothing until its (ds, ps) is known (latest
      // kcp-go does the same; storing under the wrong n would rebuild garbage).
      const tuner = this.#tuner;
      if (!tuner.find()) return 0;
      this.#shouldTune = false;
      if (tuner.dataShards !== this.#ds || tuner.parityShards !== this.#ps) {
        this.#configure(tuner.dataShards, tuner.parityShards);
        stats.autoTunes++;
      }
      if (seqid >= this.#paws || (seqid % this.#n < this.#ds) !== isData) return 0;
    }
    return this.#store(pkt, len, seqid, isData, now);
  }

  /**
   * The `i`-th KCP packet recovered by the last {@linkcode FecDecoder.decode}: a view into the
   * decoder's buffers, valid until the next `decode`.
   *
   * @throws {RangeError} If the last decode recovered fewer than `i + 1` packets.
   */
  recovered(i: number): Uint8Array {
    if (!(i >= 0 && i < this.#outCount)) {
      throw new RangeError(`Recovered packet index must be below ${this.#outCount}, got ${i}`);
    }
    return this.#out[i];
  }

  #store(pkt: Uint8Array, len: number, seqid: number, isData: boolean, now: number): number {
    const n = this.#n;
    const group = Math.floor(seqid / n);
    const pos = seqid - group * n;
    if (!this.#hasNewest) {
      this.#newest = group;
      this.#hasNewest = true;
    } else {
      const d = this.#distance(group, this.#newest);
      if (d < -MAX_GROUPS_BEHIND) {
        if (++this.#staleRun < this.#resyncAfter) {
          this.#stats.expired++;
          return 0;
        }
        // Far too many stale packets in a row: the sender's seqids restarted.
        this.#dropAll();
        this.#newest = group;
        this.#hasNewest = true;
      } else if (d > 0) {
        this.#newest = group;
        this.#dropBehind();
      }
    }
    this.#staleRun = 0;

    let set: ShardSet | null = null, free: ShardSet | null = null;
    for (const s of this.#sets) {
      if (s.group === group) set = s;
      else if (s.group === -1 && free === null) free = s;
    }
    if (set === null) {
      // At most GROUP_SLOTS groups lie in the window, so a slot is free; stay total anyway.
      if (free === null) {
        this.#stats.expired++;
        return 0;
      }
      set = free;
      set.group = group;
      set.done = false;
      set.count = 0;
      set.dataCount = 0;
      set.firstArrival = now;
    }
    if (set.done) return 0;
    if (set.buffers[pos] !== null) {
      this.#stats.duplicates++;
      return 0;
    }
    const buf = this.#pool.pop() ?? new ShardBuffer(this.#shardCapacity);
    buf.copyFrom(pkt, FEC_HEADER_SIZE, len - FEC_HEADER_SIZE);
    set.buffers[pos] = buf;
    set.lens[pos] = len - FEC_HEADER_SIZE;
    set.count++;
    if (isData) set.dataCount++;
    if (set.count < this.#ds) return 0;
    return this.#complete(set);
  }

  /** The group reached ds shards: rebuild missing data if any, then retire it. */
  #complete(set: ShardSet): number {
    const ds = this.#ds, n = this.#n;
    if (set.dataCount === ds) {
      this.#retire(set);
      return 0;
    }
    let len = 0;
    for (let i = 0; i < n; i++) if (set.buffers[i] !== null && set.lens[i] > len) len = set.lens[i];
    const shards = this.#shards, present = this.#present;
    for (let i = 0; i < n; i++) {
      const buf = set.buffers[i];
      if (buf !== null) {
        buf.view.fill(0, set.lens[i], len);
        shards[i] = buf.view;
        present[i] = true;
      } else if (i < ds) {
        const out = this.#pool.pop() ?? new ShardBuffer(this.#shardCapacity);
        this.#outBuffers[this.#outBufferCount++] = out;
        shards[i] = out.view;
        present[i] = false;
      } else {
        shards[i] = this.#empty;
        present[i] = false;
      }
    }
    this.#rs!.reconstructData(shards, present, len);
    for (let i = 0; i < ds; i++) {
      if (present[i]) continue;
      const r = shards[i];
      const size = r[0] | (r[1] << 8);
      if (size >= 2 && size <= len) {
        this.#out[this.#outCount++] = r.subarray(2, size);
        this.#stats.recovered++;
      } else {
        this.#stats.errors++;
      }
    }
    this.#retire(set);
    return this.#outCount;
  }

  /** Mark a group done and give its buffers back to the pool. */
  #retire(set: ShardSet): void {
    this.#freeBuffers(set);
    set.done = true;
  }

  #freeBuffers(set: ShardSet): void {
    const buffers = set.buffers;
    for (let i = 0; i < buffers.length; i++) {
      const buf = buffers[i];
      if (buf !== null) {
        this.#pool.push(buf);
        buffers[i] = null;
      }
    }
    set.count = 0;
    set.dataCount = 0;
  }

  /** Free a slot; an incomplete group with shards counts as expired. */
  #drop(set: ShardSet): void {
    if (!set.done && set.count > 0) this.#stats.expired++;
    this.#freeBuffers(set);
    set.group = -1;
    set.done = false;
  }

  #dropBehind(): void {
    for (const s of this.#sets) {
      if (s.group !== -1 && this.#distance(s.group, this.#newest) < -MAX_GROUPS_BEHIND) {
        this.#drop(s);
      }
    }
  }

  #dropAll(): void {
    for (const s of this.#sets) if (s.group !== -1) this.#drop(s);
    this.#hasNewest = false;
  }

  #expireByTime(now: number): void {
    for (const s of this.#sets) {
      if (s.group !== -1 && !s.done && ((now - s.firstArrival) | 0) > FEC_EXPIRE_MS) this.#drop(s);
    }
  }

  /** Signed distance a − b between group indices, modulo the number of groups. */
  #distance(a: number, b: number): number {
    const g = this.#groupCount;
    let d = a - b;
    if (d > g / 2) d -= g;
    else if (d < -g / 2) d += g;
    return d;
  }

  #releaseOutputs(): void {
    for (let i = 0; i < this.#outBufferCount; i++) this.#pool.push(this.#outBuffers[i]);
    this.#outBufferCount = 0;
    this.#outCount = 0;
  }

  #configure(ds: number, ps: number): void {
    for (const s of this.#sets) this.#freeBuffers(s);
    const n = ds + ps;
    this.#ds = ds;
    this.#ps = ps;
    this.#n = n;
    this.#paws = Math.floor(SEQID_SPAN / n) * n;
    this.#groupCount = this.#paws / n;
    this.#resyncAfter = Math.max(MIN_RESYNC_PACKETS, 2 * n);
    this.#rs = new ReedSolomon(ds, ps);
    this.#sets = [];
    for (let i = 0; i < GROUP_SLOTS; i++) this.#sets.push(new ShardSet(n));
    this.#shards = new Array<Uint8Array>(n).fill(this.#empty);
    this.#present = new Array<boolean>(n).fill(false);
    this.#hasNewest = false;
    this.#staleRun = 0;
  }
}

/**
 * Classify a payload after the crypto layer by the u16 at offset 4 (kcp-go `kcpInput`):
 * returns {@linkcode FEC_TYPE_DATA}, {@linkcode FEC_TYPE_PARITY}, {@linkcode FEC_TYPE_OOB},
 * or 0 for a plain KCP packet (whose bytes 4..5 are cmd 81..84 and frg, which never collide).
 * Payloads shorter than 6 bytes (or a range outside the array) give 0. Never throws.
 *
 * Note: kcp-go treats an F1/F2 packet shorter than 8 bytes as an error, which
 * {@linkcode FecDecoder.decode} counts; kcp-go feeds a data packet's `[8, len)` to KCP.
 *
 * @example
 * ```ts
 * import { FEC_TYPE_DATA, fecType } from "./fec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fecType(Uint8Array.of(0, 0, 0, 0, 0xf1, 0, 2, 0), 0, 8), FEC_TYPE_DATA);
 * assert.equal(fecType(Uint8Array.of(1, 2, 3, 4, 81, 0, 0, 2), 0, 8), 0); // KCP PUSH
 * ```
 */
export function fecType(payload: Uint8Array, offset: number, len: number): number {
  if (!(len >= FEC_HEADER_SIZE && offset >= 0 && offset + len <= payload.length)) return 0;
  const type = payload[offset + OFFSET_TYPE] | (payload[offset + OFFSET_TYPE + 1] << 8);
  return type === FEC_TYPE_DATA || type === FEC_TYPE_PARITY || type === FEC_TYPE_OOB ? type : 0;
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be ${min}..${max}, got ${value}`);
  }
}
