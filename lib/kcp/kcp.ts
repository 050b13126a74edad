/**
 * The KCP ARQ engine: a sans-I/O port of xtaci/kcp-go v5.6 `kcp.go` (same constants, command
 * codes, flush order and wire format as skywind3000/kcp `ikcp.c`).
 *
 * Time and output are parameters: every call that needs the clock takes `now` (ms, treated as a
 * wrap-safe uint32), and packets leave through the {@linkcode KcpOutput} callback. The engine
 * never touches a socket, a timer or a global.
 *
 * ## Behaviour (kcp-go 5.6, latest tags unless noted)
 *
 * - `flush` packs pending ACKs, then WASK, then WINS, then PUSH segments into one buffer and
 *   emits a packet whenever the next segment would overflow `mtu`.
 * - ACKs for sn below `rcv_nxt` are dropped from the list except the last one (kcp-go's
 *   "filter jitters caused by bufferbloat"); ACK/WASK/WINS share one scratch header, so WASK and
 *   WINS carry the last emitted ACK's sn/ts, or 0.
 * - Retransmission per segment: first send; fast retransmit when `fastack >= resend`; kcp-go's
 *   early retransmit when `fastack > 0` and this flush moved no new data; RTO. A fast or early
 *   retransmitted segment waits for its RTO before it can be fast-retransmitted again.
 * - `input` flushes by itself, like kcp-go: a full flush when `una` moved or a fast retransmit
 *   is due, an ACK-only flush when a packet's worth of ACKs is pending (`(mtu − reserved) / 24`,
 *   latest kcp-go) or `ackNoDelay` is set.
 * - With nc = 0 the congestion window starts at 0 (ikcp, kcp-go): the first flush sends no data.
 * - `flush(now, true)` sends only ACKs (kcp-go 2021 `flush(true)`); latest kcp-go's ACK-only
 *   flush also emits window probes. Wire-visible only in timing.
 *
 * ## Performance notes
 *
 * Segments, their buffers and the output buffer are reused; the receive window is a ring
 * indexed by `sn`; ACK lookup in the send buffer is O(1) (it always holds sn snd_una..snd_nxt−1).
 * `flush` skips kcp-go's scan of the whole send buffer when no retransmission deadline has
 * passed and no fastack is pending, and scans only the segments it just moved in; a test
 * checks that the packets on the wire are identical to a full scan.
 *
 * ## Deliberate differences (each is tested)
 *
 * - `update(now)` flushes at the `interval` cadence (ikcp) **and** whenever the earliest
 *   retransmission deadline passes; `check(now)` reports both. kcp-go's session gets the same
 *   effect by scheduling its next flush at the nearest RTO.
 * - Stream-mode `recv` fills `dst` across segment boundaries and may leave part of a segment for
 *   the next call (kcp-go returns one segment per call); `peekSize` then counts all queued bytes.
 * - Stream-mode `send` has no 255-fragment limit (fragments are unused there).
 * - The window-probe start delay is an option, default 500 ms (latest kcp-go; 2021 used 7000).
 * - Opt-in, sender side only: `headProbe`, `pipeLimit`, `rtoSrttFactor`, pacing. Opt-in, on the
 *   wire: `rangeAcks` (ACK segments with `frg` > 0, which kcp-go ignores).
 *
 * @example
 * ```ts
 * import { CMD_PUSH, Kcp, MODE_PRESETS } from "./kcp.ts";
 * import assert from "node:assert/strict";
 *
 * const wire: Uint8Array[] = [];
 * const a = new Kcp(7, (buf, size) => wire.push(buf.slice(0, size)));
 * const b = new Kcp(7, () => {});
 * a.streamMode = b.streamMode = true;
 * const { nodelay, interval, resend, nc } = MODE_PRESETS.fast;
 * a.setNoDelay(nodelay, interval, resend, nc);
 * assert.equal(a.send(new TextEncoder().encode("hi")), 0);
 * a.flush(1000);
 * assert.equal(wire.length, 1);
 * assert.equal(wire[0][4], CMD_PUSH);
 * assert.equal(b.input(wire[0], true, 1010), 0);
 * const dst = new Uint8Array(16);
 * assert.equal(b.recv(dst), 2);
 * ```
 *
 * @module
 */

import { copyBytes, getU16, getU32, putU16, putU32 } from "./_bytes.ts";
import { Ring } from "./_ring.ts";
import { FASTACK_DONE, type Segment, SegmentPool } from "./_segment.ts";
import {
  KCP_OFF_CMD,
  KCP_OFF_CONV,
  KCP_OFF_FRG,
  KCP_OFF_LEN,
  KCP_OFF_SN,
  KCP_OFF_TS,
  KCP_OFF_UNA,
  KCP_OFF_WND,
} from "./header.ts";

/** Bytes of one segment header (`IKCP_OVERHEAD`). */
export const KCP_OVERHEAD = 24;
/** Command: data (`IKCP_CMD_PUSH`). */
export const CMD_PUSH = 81;
/** Retransmitted segments remembered after `una` passed them, for spurious-retransmission checks. */
const PASSED_RESENT = 32;
/** Range ACKs written per flush at most (see {@linkcode Kcp.rangeAcks}). */
const MAX_RANGE_ACKS = 16;
/** Command: acknowledgement (`IKCP_CMD_ACK`). */
export const CMD_ACK = 82;
/** Command: window probe, "tell me your window" (`IKCP_CMD_WASK`). */
export const CMD_WASK = 83;
/** Command: window size tell (`IKCP_CMD_WINS`). */
export const CMD_WINS = 84;

/** Minimum RTO with nodelay (`IKCP_RTO_NDL`), ms. */
const RTO_NDL = 30;
/** Minimum RTO (`IKCP_RTO_MIN`), ms. */
const RTO_MIN = 100;
/** Initial RTO (`IKCP_RTO_DEF`), ms. */
const RTO_DEF = 200;
/** Maximum RTO (`IKCP_RTO_MAX`), ms. */
const RTO_MAX = 60000;
/** Probe flag: send a WASK (`IKCP_ASK_SEND`). */
const ASK_SEND = 1;
/** Probe flag: send a WINS (`IKCP_ASK_TELL`). */
const ASK_TELL = 2;
/**
 * Segments a paced sender releases per wake-up at least: a timer wake-up costs tens of µs in a
 * JavaScript runtime, and a 4-segment burst (about 5.5 kB) is far below any bottleneck queue.
 */
const PACE_SLICE_SEGMENTS = 4;
/**
 * Segments per pacing slice at most. Between the two bounds a slice holds what the rate sends in
 * {@link PACE_SLICE_RTT_SHARE} of the smoothed RTT, so slow paths with long RTTs wake the sender
 * (and, as each slice arrives as one train, the receiver) less often, while a burst still
 * drains from a bottleneck queue within an eighth of a round trip. The cap (about 44 kB) bounds
 * the burst of a fast, long path; kcp-go, unpaced, sends a whole window per flush.
 */
const PACE_SLICE_MAX_SEGMENTS = 32;
/** Share of the smoothed RTT a pacing slice may span (see {@link PACE_SLICE_MAX_SEGMENTS}). */
const PACE_SLICE_RTT_SHARE = 1 / 8;
/** Default send window (`IKCP_WND_SND`), segments. */
const WND_SND = 32;
/** Default receive window (`IKCP_WND_RCV`), segments. */
const WND_RCV = 32;
/** Default MTU (`IKCP_MTU_DEF`). */
const MTU_DEF = 1400;
/** Smallest MTU `setMtu` accepts (kcp-go 5.6). */
const MTU_MIN = 50;
/** Largest MTU `setMtu` accepts: kcp-go's receive buffers are 1500 bytes (`mtuLimit`). */
const MTU_LIMIT = 1500;
/** Default flush interval (`IKCP_INTERVAL`), ms. */
const INTERVAL = 100;
/** Transmissions of one segment after which the link is declared dead (`IKCP_DEADLINK`). */
const DEADLINK = 20;
/** Initial slow-start threshold (`IKCP_THRESH_INIT`). */
const THRESH_INIT = 2;
/** Minimum slow-start threshold (`IKCP_THRESH_MIN`). */
const THRESH_MIN = 2;
/** Window probe start delay of latest kcp-go (`IKCP_PROBE_INIT`; 2021 used 7000), ms. */
const PROBE_INIT = 500;
/** Longest window probe interval (`IKCP_PROBE_LIMIT`), ms. */
const PROBE_LIMIT = 120000;
/** `state` after `DEADLINK` transmissions of one segment. */
const STATE_DEAD = 0xffffffff;
/** Largest window the u16 `wnd` field can advertise. */
const WND_LIMIT = 65535;
/** If the clock jumps by this much, `update` resynchronises its flush schedule (ikcp), ms. */
const CLOCK_JUMP = 10000;

/**
 * Output callback. The KCP bytes are `buf[reserved, size)`; `buf[0, reserved)` is free for the
 * caller's headers; `buf.length >= size + tailroom`. The buffer is reused after the call returns,
 * so copy what must outlive it. The callback must not call back into the same engine.
 */
export type KcpOutput = (buf: Uint8Array, size: number) => void;

/** Construction options of {@linkcode Kcp}. */
export interface KcpOptions {
  /** Bytes reserved in front of every output packet for FEC/crypto headers (kcp-go's "reserved"); 0..1375. @default 0 */
  reserved?: number;
  /** Bytes of free room after each output packet (e.g. a 16-byte AEAD tag); 0..65536. @default 0 */
  tailroom?: number;
  /** Big-endian header fields (kcptun-libev's wire). @default false (kcp-go/ikcp little-endian) */
  bigEndian?: boolean;
  /**
   * Delay in ms before the first window probe (WASK) once the peer advertises a zero window;
   * later probes back off ×1.5 up to 120 s. Latest kcp-go uses 500, kcp-go 2021 (v5.6.1) 7000.
   * @default 500
   */
  probeInit?: number;
}

/** Per-instance counters (kcp-go's SNMP fields that the KCP layer owns). Never global. */
export interface KcpStats {
  /** Segments written to output (ACK, WASK, WINS and PUSH, retransmissions included). */
  outSegs: number;
  /** Segments parsed by `input`. */
  inSegs: number;
  /** Packets handed to the output callback. */
  outPkts: number;
  /** PUSH retransmissions of any kind (= lost + fast + early). */
  retransSegs: number;
  /** Fast retransmissions (fastack reached `resend`). */
  fastRetransSegs: number;
  /** Early retransmissions (fastack > 0 and no new data in that flush). */
  earlyRetransSegs: number;
  /** Retransmissions after an RTO expiry. */
  lostSegs: number;
  /**
   * Retransmissions found needless: an ACK echoed the timestamp of an earlier transmission of
   * a segment sent again since (the original was late, not lost). Counts at most one per ACK.
   */
  spuriousSegs: number;
  /** PUSH segments received that were duplicates or outside the window (regular packets only). */
  repeatSegs: number;
  /** KCP bytes output (excluding `reserved`). */
  outBytes: number;
  /** Bytes passed to `input`. */
  inBytes: number;
  /** `input` calls that returned an error. */
  inErrs: number;
}

/** The four values of kcp-go `SetNoDelay` for one kcptun `--mode`. */
export interface KcpModePreset {
  /** 1 = lower minimum RTO (30 ms) and softer backoff. */
  nodelay: number;
  /** Flush interval, ms. */
  interval: number;
  /** Fast-retransmit threshold (0 = off). */
  resend: number;
  /** 1 = no congestion window. */
  nc: number;
}

/**
 * kcptun `--mode` presets: `normal`, `fast` (kcptun's default), `fast2`, `fast3`. Any other
 * mode (`manual`) keeps the user's `--nodelay --interval --resend --nc` values.
 *
 * @example
 * ```ts
 * import { MODE_PRESETS } from "./kcp.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(MODE_PRESETS.fast3, { nodelay: 1, interval: 10, resend: 2, nc: 1 });
 * assert.equal(MODE_PRESETS.manual, undefined);
 * ```
 */
export const MODE_PRESETS: Readonly<Record<string, Readonly<KcpModePreset>>> = Object.freeze({
  normal: Object.freeze({ nodelay: 0, interval: 40, resend: 2, nc: 1 }),
  fast: Object.freeze({ nodelay: 0, interval: 30, resend: 2, nc: 1 }),
  fast2: Object.freeze({ nodelay: 1, interval: 20, resend: 2, nc: 1 }),
  fast3: Object.freeze({ nodelay: 1, interval: 10, resend: 2, nc: 1 }),
});

function checkInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new TypeError(`${name} must be an integer, got ${String(v)}`);
  }
  if (v < min || v > max) throw new RangeError(`${name} must be ${min}..${max}, got ${v}`);
  return v;
}

/** Smallest power of two ≥ n (n ≥ 1). */
function pow2AtLeast(n: number): number {
  let c = 1;
  while (c < n) c *= 2;
  return c;
}

/** Stores (a, b) as pair `n` of `list`, which doubles when full; returns the list. */
function pushPair(
  list: Uint32Array<ArrayBuffer>,
  n: number,
  a: number,
  b: number,
): Uint32Array<ArrayBuffer> {
  if (2 * n + 2 > list.length) {
    const grown = new Uint32Array(list.length * 2);
    grown.set(list);
    list = grown;
  }
  list[2 * n] = a;
  list[2 * n + 1] = b;
  return list;
}

/**
 * One KCP conversation: a reliable, ordered byte stream (stream mode) or message stream over
 * an unreliable packet link.
 *
 * Typical driving loop (kcptun style): `send` then `flush(now)` on every write; `input` for every
 * received packet; `update(now)` whenever `check(now)` says so; `recv` until it returns < 0.
 */
export class Kcp {
  /** Conversation id (uint32), identical on both peers. */
  readonly conv: number;
  /** Stream mode: no message boundaries, writes coalesce into partly filled queued segments, frg = 0. kcptun: true. */
  streamMode = false;
  /** Flush ACKs as soon as `input` queued any (kcp-go `SetACKNoDelay`). */
  ackNoDelay = false;
  /**
   * Retransmit the segment at `snd_una` every RTO without kcp-go's backoff (deviation, sender
   * side only). While it is missing the window cannot move, and with no newer segments in
   * flight no ACK can trigger its fast retransmit; the backoff would stall the whole window
   * for several RTOs after a second loss. Only that one segment is exempt. @default false
   */
  headProbe = false;
  /**
   * Most segments in the pipe — sent and neither acknowledged nor passed by `una` — when > 0
   * (sender-side rate control). It replaces `sndWnd` in the flush: a segment acknowledged
   * beyond a hole no longer counts, so a hole does not shrink the usable window. The peer's
   * window (`rmtWnd`) still bounds `snd_nxt − snd_una`. 0 = kcp-go's window. @default 0
   */
  pipeLimit = 0;
  /**
   * The RTO is at least this multiple of the smoothed RTT when > 0 (deviation, sender side
   * only). On a path whose delay wanders (jitter, a queue that comes and goes) the RTT samples
   * move together, the mean deviation stays small, and kcp-go's `srtt + 4·rttvar` fires while
   * the segment is still on its way: 15-20 % of a jittery link's segments were sent twice.
   * 0 = kcp-go's RTO. @default 0
   */
  rtoSrttFactor = 0;
  /**
   * Range ACKs (deviation, both sides). As a receiver, every flush that carries new ACKs first
   * repeats the previous flush's ACKs that are still out of order (above `rcv_nxt`), as ACK
   * segments whose `frg` byte counts the segments before `sn` they also cover (1..255; a run of
   * one is not repeated). While a hole holds `una` back, a lost ACK packet otherwise leaves its
   * segments unacknowledged, and the ACKs of later ones fast-retransmit them although they
   * arrived. As a sender, an ACK with `frg` > 0 marks that whole run acknowledged, with no RTT
   * sample and no fastack. kcp-go and ikcp always send ACKs with `frg` = 0 and ignore it on
   * input, so a kcp-go sender takes each range as one more ACK of its last segment; the ranges
   * come before the new ACKs, so a packet's last ACK, its RTT sample, is a new one. Not for
   * ikcp peers (kcptun-libev): ikcp takes an RTT sample from every ACK, a range's old `ts`
   * included. Off, an ACK's `frg` is ignored on input, as in kcp-go. @default false
   */
  rangeAcks = false;
  /** Counters of this instance. */
  readonly stats: KcpStats = {
    outSegs: 0,
    inSegs: 0,
    outPkts: 0,
    retransSegs: 0,
    fastRetransSegs: 0,
    earlyRetransSegs: 0,
    lostSegs: 0,
    spuriousSegs: 0,
    repeatSegs: 0,
    outBytes: 0,
    inBytes: 0,
    inErrs: 0,
  };

  private readonly out: KcpOutput;
  private readonly reserved: number;
  private readonly le: boolean;
  private readonly probeInit: number;
  /** Packet assembly buffer: MTU limit plus tailroom, so no MTU change needs a new one. */
  private readonly buffer: Uint8Array;
  private readonly pool = new SegmentPool();

  private mtu = MTU_DEF;
  private segSize: number;
  private linkState = 0;
  private sndUna = 0;
  private sndNxt = 0;
  private rcvNxt = 0;
  private ssthresh = THRESH_INIT;
  private rxRttvar = 0;
  private rxSrtt = 0;
  private rxRto = RTO_DEF;
  private rxMinrto = RTO_MIN;
  private sndWndSize = WND_SND;
  private rcvWndSize = WND_RCV;
  private remoteWnd = WND_RCV;
  private congWnd = 0;
  private incr = 0;
  private probe = 0;
  /** Pacing: bytes per second for new PUSH segments, 0 = unpaced (kcp-go). */
  private paceRate = 0;
  /** Pacing budget in bytes (may go negative after retransmissions). */
  private paceTokens = 0;
  private paceLast = 0;
  /** True when the last flush left queued data because the pacing budget ran out. */
  private paceBlocked = false;
  /** Cumulative bytes of PUSH data acknowledged by the peer (for delivery-rate estimates). */
  private deliveredBytes = 0;
  /** (sn, last ts) of the latest retransmitted segments that `una` passed before their ACK. */
  private readonly passedResent = new Uint32Array(2 * PASSED_RESENT);
  private passedAt = 0;
  /** Segments in the send buffer already acknowledged individually (beyond a hole). */
  private ackedAhead = 0;
  /** The most recent RTT sample, ms (0 before the first). */
  private lastRtt = 0;
  /** Lowest RTT sample since the last {@linkcode Kcp.takeLowRtt} (0 = none). */
  private lowRtt = 0;
  /** Cumulative PUSH payload bytes transmitted, retransmissions included. */
  private sentBytes = 0;
  private tsProbe = 0;
  private probeWait = 0;
  private interval = INTERVAL;
  private tsFlush = INTERVAL;
  private nodelay = 0;
  private updated = false;
  private fastresend = 0;
  private nocwnd = 0;
  /**
   * Lower bound of every unacknowledged segment's retransmission deadline (valid when
   * hasResend). While it is in the future and no fastack is pending, flush only has to look at
   * the segments it just moved into the window, not the whole send buffer.
   */
  private tsResend = 0;
  private hasResend = false;
  /** Some segment in the send buffer may have 0 < fastack < FASTACK_DONE. */
  private fastackPending = false;

  private readonly sndQueue = new Ring<Segment>();
  private readonly sndBuf = new Ring<Segment>();
  private readonly rcvQueue = new Ring<Segment>();
  /** Bytes in rcvQueue not yet read (stream mode). */
  private rcvQueueBytes = 0;
  /** Out-of-order receive window: slot `sn & rcvMask` holds segment sn, for sn in [rcvNxt, rcvNxt+capacity). */
  private rcvSlots: (Segment | undefined)[];
  private rcvMask: number;
  private rcvBufCount = 0;
  /**
   * This input's ACKs for {@link Kcp.parseFastacks}, as (sn, ts) pairs, which it rewrites in place
   * as (sn − sndUna, ts) sorted by sn.
   */
  private inAcks = new Uint32Array(128);
  private inAckCount = 0;
  /** Scratch of {@link Kcp.parseFastacks}: the oldest ts among the sorted ACKs j, j + 1, …. */
  private inAckMinTs = new Uint32Array(64);
  /** Pending ACKs as (sn, ts) pairs. */
  private ackList = new Uint32Array(128);
  private ackCount = 0;
  /** The sn of the previous flush's ACKs (range ACKs repeat them). */
  private prevAcks = new Uint32Array(64);
  private prevAckCount = 0;

  /**
   * Creates an engine for conversation `conv`.
   *
   * @param conv Conversation id, a uint32.
   * @param output Receives every packet; see {@linkcode KcpOutput}.
   * @param options See {@linkcode KcpOptions}.
   * @throws {TypeError} If `output` is not a function or an option has the wrong type.
   * @throws {RangeError} If `conv` or an option is out of range.
   */
  constructor(conv: number, output: KcpOutput, options: KcpOptions = {}) {
    this.conv = checkInt("Conv", conv, 0, 0xffffffff);
    if (typeof output !== "function") {
      throw new TypeError(`Output must be a function, got ${typeof output}`);
    }
    this.out = output;
    this.reserved = checkInt("Reserved", options.reserved ?? 0, 0, MTU_DEF - KCP_OVERHEAD - 1);
    const tailroom = checkInt("Tailroom", options.tailroom ?? 0, 0, 65536);
    const be = options.bigEndian ?? false;
    if (typeof be !== "boolean") throw new TypeError(`BigEndian must be a boolean, got ${be}`);
    this.le = !be;
    this.probeInit = checkInt("Probe init", options.probeInit ?? PROBE_INIT, 1, PROBE_LIMIT);
    this.segSize = this.mtu - KCP_OVERHEAD - this.reserved;
    this.buffer = new Uint8Array(MTU_LIMIT + tailroom);
    const cap = pow2AtLeast(WND_RCV);
    this.rcvSlots = new Array<Segment | undefined>(cap).fill(undefined);
    this.rcvMask = cap - 1;
  }

  /** 0 while healthy; 0xFFFFFFFF once a segment was transmitted 20 times (kcp-go never acts on it). */
  get state(): number {
    return this.linkState;
  }
  /** Current retransmission timeout, ms. */
  get rto(): number {
    return this.rxRto;
  }
  /** Smoothed round-trip time, ms (0 before the first sample). */
  get srtt(): number {
    return this.rxSrtt;
  }
  /** Smoothed mean deviation of the round-trip time, ms (0 before the first sample). */
  get rttvar(): number {
    return this.rxRttvar;
  }
  /** Congestion window in segments (only limits sending when nc = 0). */
  /**
   * Pacing rate for new data in bytes per second; 0 (the default) sends as kcp-go does, the
   * whole window at once. Paced sending spreads new segments over time so a bottleneck queue
   * is not overrun by window-sized bursts; the wire format is unchanged.
   */
  get pacingRate(): number {
    return this.paceRate;
  }

  set pacingRate(bytesPerSecond: number) {
    if (!(bytesPerSecond >= 0) || !Number.isFinite(bytesPerSecond)) {
      throw new RangeError(`Pacing rate must be a finite number ≥ 0, got ${bytesPerSecond}`);
    }
    if (this.paceRate === 0 && bytesPerSecond > 0) this.paceTokens = this.paceBurst(bytesPerSecond);
    this.paceRate = bytesPerSecond;
  }

  /** Bytes of PUSH data the peer has acknowledged so far (monotonic; for rate estimates). */
  get delivered(): number {
    return this.deliveredBytes;
  }

  /** The latest RTT sample in ms (0 before the first ACK). */
  get latestRtt(): number {
    return this.lastRtt;
  }

  /** The lowest RTT sample (ms) since the previous call, 0 if none; starts a new low. */
  takeLowRtt(): number {
    const low = this.lowRtt;
    this.lowRtt = 0;
    return low;
  }

  /** Bytes of PUSH payload transmitted so far, retransmissions included (monotonic). */
  get sent(): number {
    return this.sentBytes;
  }

  /** Segments between `una` and `snd_nxt` the peer already acknowledged individually. */
  get sacked(): number {
    return this.ackedAhead;
  }

  /**
   * True when the last flush left new data queued because the pacing budget ran out while the
   * windows had room: the sender is limited by its pacing rate, not by the application or a
   * window.
   */
  get paceLimited(): boolean {
    return this.paceBlocked;
  }

  /** Segments sent and not yet acknowledged (snd_nxt − snd_una). */
  get inflight(): number {
    return (this.sndNxt - this.sndUna) >>> 0;
  }

  /** Congestion window in segments (used only with nc = 0). */
  get cwnd(): number {
    return this.congWnd;
  }
  /** Peer's last advertised free receive window, segments. */
  get rmtWnd(): number {
    return this.remoteWnd;
  }
  /** Maximum payload per segment: `mtu − 24 − reserved`. */
  get mss(): number {
    return this.segSize;
  }
  /** Send window, segments. */
  get sndWnd(): number {
    return this.sndWndSize;
  }
  /** Receive window, segments. */
  get rcvWnd(): number {
    return this.rcvWndSize;
  }

  /**
   * kcp-go `SetNoDelay`. A negative argument leaves that setting unchanged.
   *
   * @param nodelay 0 = normal, otherwise minimum RTO 30 ms (else 100) and backoff +rto/2.
   * @param interval Flush interval in ms, clamped to [10, 5000].
   * @param resend Fast-retransmit threshold in ACKs; 0 disables fast (not early) retransmit.
   * @param nc 1 = no congestion window; 0 = Reno-like cwnd.
   * @throws {TypeError} If an argument is not an integer.
   */
  setNoDelay(nodelay: number, interval: number, resend: number, nc: number): void {
    const lim = Number.MAX_SAFE_INTEGER;
    checkInt("Nodelay", nodelay, -lim, lim);
    checkInt("Interval", interval, -lim, lim);
    checkInt("Resend", resend, -lim, lim);
    checkInt("Nc", nc, -lim, lim);
    if (nodelay >= 0) {
      this.nodelay = nodelay;
      this.rxMinrto = nodelay !== 0 ? RTO_NDL : RTO_MIN;
    }
    if (interval >= 0) this.interval = interval > 5000 ? 5000 : interval < 10 ? 10 : interval;
    if (resend >= 0) this.fastresend = Math.min(resend, 0xffffffff);
    if (nc >= 0) this.nocwnd = nc;
  }

  /**
   * kcp-go `WndSize`: set the send and receive windows in segments. A value ≤ 0 leaves that
   * window unchanged.
   *
   * @throws {TypeError} If an argument is not an integer.
   * @throws {RangeError} If a window exceeds 65535 (the u16 `wnd` field).
   */
  setWindowSize(sndwnd: number, rcvwnd: number): void {
    checkInt("Send window", sndwnd, -Number.MAX_SAFE_INTEGER, WND_LIMIT);
    checkInt("Receive window", rcvwnd, -Number.MAX_SAFE_INTEGER, WND_LIMIT);
    if (sndwnd > 0) this.sndWndSize = sndwnd;
    if (rcvwnd > 0) {
      this.rcvWndSize = rcvwnd;
      if (rcvwnd > this.rcvMask + 1) this.growRcvSlots(pow2AtLeast(rcvwnd));
    }
  }

  /**
   * Set the whole datagram budget including `reserved` (kcp-go 2021 semantics:
   * `mss = mtu − 24 − reserved`). Segments already queued keep their size.
   *
   * @returns `false` (nothing changed) if `mtu` is not an integer in 50..1500 or leaves no
   *   payload room after `reserved`.
   */
  setMtu(mtu: number): boolean {
    if (!Number.isInteger(mtu) || mtu < MTU_MIN || mtu > MTU_LIMIT) return false;
    if (this.reserved >= mtu - KCP_OVERHEAD) return false;
    this.mtu = mtu;
    this.segSize = mtu - KCP_OVERHEAD - this.reserved;
    return true;
  }

  /**
   * Queue data for sending; the bytes are copied. In stream mode the data first tops up the
   * last queued (not yet sent) segment, then fills new mss-sized segments.
   *
   * @returns 0, or -1 if `data` is empty, or -2 in message mode if it needs more than 255
   *   fragments (nothing is queued then).
   */
  send(data: Uint8Array): number {
    let remaining = data.length;
    if (remaining === 0) return -1;
    const mss = this.segSize;
    let off = 0;
    if (this.streamMode) {
      if (this.sndQueue.size > 0) {
        const last = this.sndQueue.last();
        const cap = last.data.length < mss ? last.data.length : mss;
        if (last.len < cap) {
          const extend = remaining < cap - last.len ? remaining : cap - last.len;
          copyBytes(last.data, last.len, data, 0, extend);
          last.len += extend;
          off = extend;
          remaining -= extend;
          if (remaining === 0) return 0;
        }
      }
    } else {
      const count = remaining <= mss ? 1 : Math.ceil(remaining / mss);
      if (count > 255) return -2;
      let frg = count;
      while (remaining > 0) {
        const size = remaining < mss ? remaining : mss;
        const seg = this.pool.acquire(size);
        copyBytes(seg.data, 0, data, off, size);
        seg.len = size;
        seg.frg = --frg;
        this.sndQueue.push(seg);
        off += size;
        remaining -= size;
      }
      return 0;
    }
    while (remaining > 0) {
      const size = remaining < mss ? remaining : mss;
      const seg = this.pool.acquire(size);
      copyBytes(seg.data, 0, data, off, size);
      seg.len = size;
      this.sndQueue.push(seg);
      off += size;
      remaining -= size;
    }
    return 0;
  }

  /**
   * Size of the next readable unit: in stream mode all queued bytes, in message mode the whole
   * next message.
   *
   * @returns The byte count, or -1 if nothing (or no complete message) is ready.
   */
  peekSize(): number {
    const q = this.rcvQueue;
    if (q.size === 0) return -1;
    if (this.streamMode) return this.rcvQueueBytes;
    const first = q.first();
    if (first.frg === 0) return first.len - first.readOffset;
    if (q.size < first.frg + 1) return -1;
    let length = 0;
    for (let i = 0; i < q.size; i++) {
      const seg = q.at(i);
      length += seg.len - seg.readOffset;
      if (seg.frg === 0) break;
    }
    return length;
  }

  /**
   * Read received data into `dst`. Stream mode copies as many bytes as fit (a segment may be
   * split between calls); message mode copies exactly one whole message.
   *
   * @returns Bytes copied (> 0), or -1 if nothing is ready, or -2 if `dst` is empty (stream
   *   mode) or smaller than the next message (message mode; nothing is consumed).
   */
  recv(dst: Uint8Array): number {
    const q = this.rcvQueue;
    if (q.size === 0) return -1;
    const fastRecover = q.size >= this.rcvWndSize;
    let n = 0;
    if (this.streamMode) {
      if (dst.length === 0) return -2;
      while (q.size > 0 && n < dst.length) {
        const seg = q.first();
        const avail = seg.len - seg.readOffset;
        const take = avail < dst.length - n ? avail : dst.length - n;
        copyBytes(dst, n, seg.data, seg.readOffset, take);
        n += take;
        if (take === avail) {
          q.shift();
          this.pool.release(seg);
        } else {
          seg.readOffset += take;
        }
      }
      this.rcvQueueBytes -= n;
    } else {
      const size = this.peekSize();
      if (size < 0) return -1;
      if (size > dst.length) return -2;
      while (q.size > 0) {
        const seg = q.shift();
        const len = seg.len - seg.readOffset;
        copyBytes(dst, n, seg.data, seg.readOffset, len);
        n += len;
        this.rcvQueueBytes -= len;
        const frg = seg.frg;
        this.pool.release(seg);
        if (frg === 0) break;
      }
    }
    this.moveReceived();
    // Fast recover: the queue was full (we advertised 0) and has room again → tell the peer.
    if (fastRecover && q.size < this.rcvWndSize) this.probe |= ASK_TELL;
    return n === 0 ? -1 : n;
  }

  /** Segments waiting to be acknowledged or sent (`snd_buf` + `snd_queue`). */
  waitSnd(): number {
    return this.sndBuf.size + this.sndQueue.size;
  }

  /**
   * Feed one received KCP packet (one or more segments). May call the output callback (see the
   * module doc for when it flushes).
   *
   * @param data The packet; it is not retained.
   * @param regular `false` for FEC-recovered packets: their `wnd` does not update the peer
   *   window and their ACKs do not feed the RTT estimator (kcp-go).
   * @param now Current time, ms (uint32 wrap-safe).
   * @returns 0, or -1 (shorter than 24 bytes, or a segment with another conv), -2 (a segment's
   *   length exceeds the packet) or -3 (unknown command). Segments before the bad one have
   *   been processed, as in kcp-go. Never throws on any byte content.
   */
  input(data: Uint8Array, regular: boolean, now: number): number {
    const stats = this.stats;
    stats.inBytes += data.length;
    const total = data.length;
    if (total < KCP_OVERHEAD) {
      stats.inErrs++;
      return -1;
    }
    const current = now >>> 0;
    const le = this.le;
    const sndUnaBefore = this.sndUna;
    let p = 0;
    let latestTs = 0;
    let updateRtt = false;
    let flushSegments = false;
    let inSegs = 0;
    let ret = 0;
    while (total - p >= KCP_OVERHEAD) {
      if (getU32(data, p + KCP_OFF_CONV, le) !== this.conv) {
        ret = -1;
        break;
      }
      const cmd = data[p + KCP_OFF_CMD];
      const frg = data[p + KCP_OFF_FRG];
      const wnd = getU16(data, p + KCP_OFF_WND, le);
      const ts = getU32(data, p + KCP_OFF_TS, le);
      const sn = getU32(data, p + KCP_OFF_SN, le);
      const una = getU32(data, p + KCP_OFF_UNA, le);
      const len = getU32(data, p + KCP_OFF_LEN, le);
      p += KCP_OVERHEAD;
      if (total - p < len) {
        ret = -2;
        break;
      }
      if (cmd < CMD_PUSH || cmd > CMD_WINS) {
        ret = -3;
        break;
      }
      if (regular) this.remoteWnd = wnd;
      const range = cmd === CMD_ACK && frg > 0 && this.rangeAcks;
      // before una can drop it: an ACK carrying an older transmission's timestamp
      if (cmd === CMD_ACK && !range) this.checkSpurious(sn, ts);
      if (this.parseUna(una) > 0) flushSegments = true;
      this.shrinkBuf();
      if (range) {
        // a repeat of what the peer holds out of order: no RTT sample, no fastack
        for (let i = frg; i >= 0; i--) this.parseAck((sn - i) >>> 0);
      } else if (cmd === CMD_ACK) {
        this.parseAck(sn);
        this.inAckPush(sn, ts);
        updateRtt = true;
        latestTs = ts;
      } else if (cmd === CMD_PUSH) {
        let repeat = true;
        if (((sn - (this.rcvNxt + this.rcvWndSize)) | 0) < 0) {
          this.ackPush(sn, ts);
          if (((sn - this.rcvNxt) | 0) >= 0) repeat = this.parseData(sn, frg, ts, data, p, len);
        }
        if (regular && repeat) stats.repeatSegs++;
      } else if (cmd === CMD_WASK) {
        this.probe |= ASK_TELL;
      } // CMD_WINS: wnd and una were all it carried.
      inSegs++;
      p += len;
    }
    stats.inSegs += inSegs;
    if (this.inAckCount > 0 && this.parseFastacks()) flushSegments = true;
    if (ret !== 0) {
      stats.inErrs++;
      return ret;
    }

    if (updateRtt && regular) {
      const rtt = (current - latestTs) | 0;
      if (rtt >= 0) this.updateAck(rtt);
    }

    if (
      this.nocwnd === 0 && ((this.sndUna - sndUnaBefore) | 0) > 0 && this.congWnd < this.remoteWnd
    ) {
      const mss = this.segSize;
      if (this.congWnd < this.ssthresh) {
        this.congWnd++;
        this.incr += mss;
      } else {
        if (this.incr < mss) this.incr = mss;
        this.incr = (this.incr + Math.floor((mss * mss) / this.incr) + Math.floor(mss / 16)) >>> 0;
        if ((this.congWnd + 1) * mss <= this.incr) {
          this.congWnd = mss > 0 ? Math.floor((this.incr + mss - 1) / mss) : this.incr + mss - 1;
        }
      }
      if (this.congWnd > this.remoteWnd) {
        this.congWnd = this.remoteWnd;
        this.incr = this.remoteWnd * mss;
      }
    }

    if (flushSegments) {
      this.flush(now);
    } else if (this.ackCount >= Math.floor((this.mtu - this.reserved) / KCP_OVERHEAD)) {
      // ACK clocking (latest kcp-go, whose kcp.mtu excludes the headers): do not sit on a full
      // packet of ACKs until the next tick.
      this.flush(now, true);
    } else if (this.ackNoDelay && this.ackCount > 0) {
      this.flush(now, true);
    }
    return 0;
  }

  /**
   * Emit pending ACKs, window probes and every PUSH that is new (within
   * min(sndWnd, rmtWnd[, cwnd])) or due for retransmission.
   *
   * With nc = 0 the congestion window starts at 0, as in ikcp and kcp-go, so the very first
   * flush sends no data and opens cwnd to 1 (kcptun's presets all use nc = 1).
   *
   * @param now Current time, ms (uint32 wrap-safe); it becomes the `ts` of sent PUSH segments.
   * @param ackOnly Emit only the pending ACKs (kcp-go 2021 `flush(true)`).
   */
  flush(now: number, ackOnly = false): void {
    const current = now >>> 0;
    const buf = this.buffer;
    const reserved = this.reserved;
    const mtu = this.mtu;
    const stats = this.stats;
    const wnd = this.rcvQueue.size < this.rcvWndSize ? this.rcvWndSize - this.rcvQueue.size : 0;
    const una = this.rcvNxt;
    let ptr = reserved;
    // The shared scratch header of ACK/WASK/WINS keeps the last emitted ACK's sn and ts.
    let hdrSn = 0;
    let hdrTs = 0;

    const acks = this.ackList;
    const count = this.ackCount;
    if (count > 0 && this.rangeAcks) {
      if (this.rcvBufCount > 0) ptr = this.writeRanges(ptr, wnd, una);
      // the next flush repeats these while they stay out of order
      if (this.prevAcks.length < count) this.prevAcks = new Uint32Array(this.ackList.length);
      for (let i = 0; i < count; i++) this.prevAcks[i] = acks[2 * i];
      this.prevAckCount = count;
    }
    for (let i = 0; i < count; i++) {
      if (ptr + KCP_OVERHEAD > mtu && ptr > reserved) {
        this.emit(ptr);
        ptr = reserved;
      }
      const sn = acks[2 * i];
      // kcp-go: skip ACKs for segments already below rcv_nxt (una covers them), keep the last.
      if (((sn - una) | 0) >= 0 || i === count - 1) {
        hdrSn = sn;
        hdrTs = acks[2 * i + 1];
        this.writeHeader(ptr, CMD_ACK, 0, wnd, hdrTs, hdrSn, una, 0);
        ptr += KCP_OVERHEAD;
        stats.outSegs++;
      }
    }
    this.ackCount = 0;

    if (ackOnly) {
      if (ptr > reserved) this.emit(ptr);
      return;
    }

    if (this.remoteWnd === 0) {
      if (this.probeWait === 0) {
        this.probeWait = this.probeInit;
        this.tsProbe = (current + this.probeWait) >>> 0;
      } else if (((current - this.tsProbe) | 0) >= 0) {
        if (this.probeWait < this.probeInit) this.probeWait = this.probeInit;
        this.probeWait += this.probeWait >>> 1;
        if (this.probeWait > PROBE_LIMIT) this.probeWait = PROBE_LIMIT;
        this.tsProbe = (current + this.probeWait) >>> 0;
        this.probe |= ASK_SEND;
      }
    } else {
      this.tsProbe = 0;
      this.probeWait = 0;
    }
    if ((this.probe & ASK_SEND) !== 0) {
      if (ptr + KCP_OVERHEAD > mtu && ptr > reserved) {
        this.emit(ptr);
        ptr = reserved;
      }
      this.writeHeader(ptr, CMD_WASK, 0, wnd, hdrTs, hdrSn, una, 0);
      ptr += KCP_OVERHEAD;
      stats.outSegs++;
    }
    if ((this.probe & ASK_TELL) !== 0) {
      if (ptr + KCP_OVERHEAD > mtu && ptr > reserved) {
        this.emit(ptr);
        ptr = reserved;
      }
      this.writeHeader(ptr, CMD_WINS, 0, wnd, hdrTs, hdrSn, una, 0);
      ptr += KCP_OVERHEAD;
      stats.outSegs++;
    }
    this.probe = 0;

    // Sliding window: move queued segments into the send buffer while sn < snd_una + cwnd.
    const pipeLimit = this.pipeLimit;
    let cwnd = pipeLimit > 0 || this.sndWndSize >= this.remoteWnd
      ? this.remoteWnd
      : this.sndWndSize;
    if (this.nocwnd === 0 && this.congWnd < cwnd) cwnd = this.congWnd;
    // with a pipe limit, segments acknowledged beyond a hole leave room for new ones
    let room = pipeLimit > 0
      ? pipeLimit - (((this.sndNxt - this.sndUna) >>> 0) - this.ackedAhead)
      : 0x7fffffff;
    let newSegs = 0;
    const sndBuf = this.sndBuf;
    const sndQueue = this.sndQueue;
    const pacing = this.paceRate > 0;
    if (pacing) this.refillPace(current);
    while (sndQueue.size > 0 && ((this.sndNxt - (this.sndUna + cwnd)) | 0) < 0 && room > 0) {
      if (pacing) {
        if (this.paceTokens <= 0) break;
        this.paceTokens -= sndQueue.first().len + KCP_OVERHEAD;
      }
      room--;
      const seg = sndQueue.shift();
      seg.sn = this.sndNxt;
      sndBuf.push(seg);
      this.sndNxt = (this.sndNxt + 1) >>> 0;
      newSegs++;
    }

    const resent = this.fastresend > 0 ? this.fastresend : 0xffffffff;
    const rxRto = this.rxRto;
    let change = 0;
    let lost = 0;
    let fast = 0;
    let early = 0;
    /** Bytes of this flush's retransmissions, headers included (they spend the pacing budget). */
    let resentBytes = 0;
    const n = sndBuf.size;
    if (this.headProbe && n > 0) {
      // the segment at snd_una holds the whole window: it is due one RTO after its last
      // transmission, however often it was lost before (its backoff is dropped)
      const head = sndBuf.at(0);
      if (!head.acked && head.xmit > 0) {
        const due = (head.ts + rxRto) >>> 0;
        if (((head.resendts - due) | 0) > 0) {
          head.rto = rxRto;
          head.resendts = due;
          if (!this.hasResend || ((due - this.tsResend) | 0) < 0) {
            this.hasResend = true;
            this.tsResend = due;
          }
        }
      }
    }
    // Optimisation, same output as kcp-go's full scan: when no retransmission deadline has
    // passed and no fastack is pending, only the segments just moved in (xmit = 0, at the tail)
    // can need sending, so the scan starts there. This keeps flush O(new) with a full window.
    const fullScan = this.fastackPending || !this.hasResend ||
      ((current - this.tsResend) | 0) >= 0;
    let nearest = fullScan ? 0x7fffffff : (this.tsResend - current) | 0;
    let anyFastack = false;
    for (let i = fullScan ? 0 : n - newSegs; i < n; i++) {
      const seg = sndBuf.at(i);
      if (seg.acked) continue;
      let needsend = false;
      if (seg.xmit === 0) {
        needsend = true;
        seg.rto = rxRto;
        seg.resendts = (current + rxRto) >>> 0;
      } else if (seg.fastack >= resent && seg.fastack !== FASTACK_DONE) {
        needsend = true;
        seg.fastack = FASTACK_DONE;
        seg.rto = rxRto;
        seg.resendts = (current + rxRto) >>> 0;
        change++;
        fast++;
      } else if (seg.fastack > 0 && seg.fastack !== FASTACK_DONE && newSegs === 0) {
        needsend = true;
        seg.fastack = FASTACK_DONE;
        seg.rto = rxRto;
        seg.resendts = (current + rxRto) >>> 0;
        change++;
        early++;
      } else if (((current - seg.resendts) | 0) >= 0) {
        needsend = true;
        if (i === 0 && this.headProbe) seg.rto = rxRto;
        else seg.rto += this.nodelay === 0 ? rxRto : rxRto >>> 1;
        seg.fastack = 0;
        seg.resendts = (current + seg.rto) >>> 0;
        lost++;
      }
      if (needsend) {
        if (seg.xmit > 0) resentBytes += KCP_OVERHEAD + seg.len;
        seg.xmit++;
        seg.ts = current;
        const need = KCP_OVERHEAD + seg.len;
        if (ptr + need > mtu && ptr > reserved) {
          this.emit(ptr);
          ptr = reserved;
        }
        this.writeHeader(ptr, CMD_PUSH, seg.frg, wnd, current, seg.sn, una, seg.len);
        ptr += KCP_OVERHEAD;
        copyBytes(buf, ptr, seg.data, 0, seg.len);
        ptr += seg.len;
        this.sentBytes += seg.len;
        stats.outSegs++;
        if (seg.xmit >= DEADLINK) this.linkState = STATE_DEAD;
      }
      const due = (seg.resendts - current) | 0;
      if (due > 0 && due < nearest) nearest = due;
      if (seg.fastack > 0 && seg.fastack !== FASTACK_DONE) anyFastack = true;
    }
    if (fullScan) this.fastackPending = anyFastack;
    if (ptr > reserved) this.emit(ptr);
    if (pacing) {
      // retransmissions are never held back, but they spend the budget of new data (their own
      // size: a sender of small control frames must not be charged full segments)
      this.paceTokens -= resentBytes;
      this.paceBlocked = sndQueue.size > 0 && ((this.sndNxt - (this.sndUna + cwnd)) | 0) < 0 &&
        room > 0;
    } else {
      this.paceBlocked = false;
    }

    this.hasResend = nearest !== 0x7fffffff;
    this.tsResend = (current + nearest) >>> 0;

    if (lost + fast + early > 0) {
      stats.lostSegs += lost;
      stats.fastRetransSegs += fast;
      stats.earlyRetransSegs += early;
      stats.retransSegs += lost + fast + early;
    }

    if (this.nocwnd === 0) {
      // Rate halving (RFC 6937) after fast/early retransmit.
      if (change > 0) {
        const inflight = (this.sndNxt - this.sndUna) >>> 0;
        this.ssthresh = Math.max(inflight >>> 1, THRESH_MIN);
        // uint32 arithmetic as in kcp-go: with resend 0, resent is 0xFFFFFFFF and this wraps.
        this.congWnd = (this.ssthresh + resent) >>> 0;
        this.incr = (this.congWnd * this.segSize) >>> 0;
      }
      // Congestion control (RFC 5681) after an RTO.
      if (lost > 0) {
        this.ssthresh = Math.max(cwnd >>> 1, THRESH_MIN);
        this.congWnd = 1;
        this.incr = this.segSize;
      }
      if (this.congWnd < 1) {
        this.congWnd = 1;
        this.incr = this.segSize;
      }
    }
  }

  /**
   * Drive timers: flushes when the `interval` tick is due (ikcp `update`) or when the earliest
   * retransmission deadline has passed. Call it at the time `check` returns (or more often).
   *
   * @param now Current time, ms (uint32 wrap-safe).
   */
  update(now: number): void {
    const current = now >>> 0;
    if (!this.updated) {
      this.updated = true;
      this.tsFlush = current;
    }
    let slap = (current - this.tsFlush) | 0;
    if (slap >= CLOCK_JUMP || slap < -CLOCK_JUMP) {
      this.tsFlush = current;
      slap = 0;
    }
    if (slap >= 0) {
      this.tsFlush = (this.tsFlush + this.interval) >>> 0;
      if (((current - this.tsFlush) | 0) >= 0) this.tsFlush = (current + this.interval) >>> 0;
      this.flush(now);
    } else if (this.paceBlocked && ((current - this.paceDue()) | 0) >= 0) {
      // paced data waiting: send the next slice without waiting for the interval tick
      this.flush(now);
    } else if (this.hasResend && ((current - this.tsResend) | 0) >= 0) {
      // Deviation from ikcp (whose update waits for the tick): kcp-go's session schedules its
      // next flush at the nearest RTO, so a due retransmission is not delayed to the tick.
      // tsResend is only a lower bound (ACKs may have removed that segment): check first.
      this.tightenResend(current);
      if (this.hasResend && ((current - this.tsResend) | 0) >= 0) this.flush(now);
    }
  }

  /**
   * When `update` must next be called if nothing is sent or received before: the earlier of the
   * next interval tick and the earliest retransmission deadline, never later than
   * `now + interval`. Returns `now` itself before the first `update`.
   *
   * @param now Current time, ms (uint32 wrap-safe).
   * @returns A uint32 time in ms, compare it wrap-safe (`(t - now) | 0`).
   */
  check(now: number): number {
    const current = now >>> 0;
    if (!this.updated) return current;
    let tsFlush = this.tsFlush;
    const d = (current - tsFlush) | 0;
    if (d >= CLOCK_JUMP || d < -CLOCK_JUMP) tsFlush = current;
    if (((current - tsFlush) | 0) >= 0) return current;
    let minimal = (tsFlush - current) | 0;
    if (this.hasResend && ((this.tsResend - current) | 0) < minimal) {
      this.tightenResend(current); // the bound may be stale; report the real deadline
      if (this.hasResend) {
        const r = (this.tsResend - current) | 0;
        if (r <= 0) return current;
        if (r < minimal) minimal = r;
      }
    }
    if (this.paceBlocked) {
      const p = (this.paceDue() - current) | 0;
      if (p <= 0) return current;
      if (p < minimal) minimal = p;
    }
    if (minimal > this.interval) minimal = this.interval;
    return (current + minimal) >>> 0;
  }

  /**
   * Writes range ACKs for what the previous flush acknowledged and is still held out of order
   * (runs of consecutive sn, at most {@link MAX_RANGE_ACKS}) at `ptr`; returns the new `ptr`.
   * Called only with new ACKs to follow, so a packet's last ACK (a kcp-go sender's RTT sample)
   * is always a new one.
   */
  private writeRanges(ptr: number, wnd: number, una: number): number {
    const prev = this.prevAcks;
    const n = this.prevAckCount;
    const slots = this.rcvSlots;
    const mask = this.rcvMask;
    let written = 0;
    let i = 0;
    while (i < n && written < MAX_RANGE_ACKS) {
      const first = prev[i++];
      if (((first - una) | 0) <= 0 || slots[first & mask] === undefined) continue;
      let last = first;
      while (i < n && prev[i] === ((last + 1) >>> 0) && ((last - first) | 0) < 255) {
        last = prev[i++];
      }
      if (last === first) continue;
      if (ptr + KCP_OVERHEAD > this.mtu && ptr > this.reserved) {
        this.emit(ptr);
        ptr = this.reserved;
      }
      const ts = slots[last & mask]!.ts;
      this.writeHeader(ptr, CMD_ACK, (last - first) | 0, wnd, ts, last, una, 0);
      ptr += KCP_OVERHEAD;
      this.stats.outSegs++;
      written++;
    }
    return ptr;
  }

  /** Hands the output buffer to the output callback and resets it. */
  private emit(size: number): void {
    this.stats.outPkts++;
    this.stats.outBytes += size - this.reserved;
    this.out(this.buffer, size);
  }

  /** Writes one 24-byte segment header into the output buffer. */
  private writeHeader(
    ptr: number,
    cmd: number,
    frg: number,
    wnd: number,
    ts: number,
    sn: number,
    una: number,
    len: number,
  ): void {
    const buf = this.buffer;
    const le = this.le;
    putU32(buf, ptr + KCP_OFF_CONV, this.conv, le);
    buf[ptr + KCP_OFF_CMD] = cmd;
    buf[ptr + KCP_OFF_FRG] = frg;
    putU16(buf, ptr + KCP_OFF_WND, wnd, le);
    putU32(buf, ptr + KCP_OFF_TS, ts, le);
    putU32(buf, ptr + KCP_OFF_SN, sn, le);
    putU32(buf, ptr + KCP_OFF_UNA, una, le);
    putU32(buf, ptr + KCP_OFF_LEN, len, le);
  }

  /** Pacing burst allowance: one slice or 4 ms at the rate, whichever is more. */
  private paceBurst(rate: number): number {
    const slice = this.paceSlice(rate);
    const b = Math.floor(rate * 0.004);
    return b > slice ? b : slice;
  }

  /**
   * Bytes a paced sender releases per wake-up: 2 ms at the rate, or if more, the segments the
   * rate sends in {@link PACE_SLICE_RTT_SHARE} of the smoothed RTT, kept within
   * {@link PACE_SLICE_SEGMENTS}..{@link PACE_SLICE_MAX_SEGMENTS}. Waking for one segment at a
   * time would cost a timer per datagram on slow links.
   */
  private paceSlice(rate: number): number {
    const seg = this.segSize + KCP_OVERHEAD;
    let n = Math.floor((rate * this.rxSrtt * PACE_SLICE_RTT_SHARE) / (1000 * seg));
    n = n < PACE_SLICE_SEGMENTS
      ? PACE_SLICE_SEGMENTS
      : n > PACE_SLICE_MAX_SEGMENTS
      ? PACE_SLICE_MAX_SEGMENTS
      : n;
    const t = rate * 0.002;
    return t > n * seg ? t : n * seg;
  }

  /** Adds the budget earned since the last refill, up to the burst allowance. */
  private refillPace(current: number): void {
    const dt = (current - this.paceLast) | 0;
    this.paceLast = current;
    if (dt <= 0) return;
    const cap = this.paceBurst(this.paceRate);
    const t = this.paceTokens + this.paceRate * dt / 1000;
    this.paceTokens = t > cap ? cap : t;
  }

  /**
   * When (uint32 ms, at least 1 ms after the last refill) the budget allows the next slice
   * ({@link Kcp.paceSlice}, less if less is queued).
   */
  private paceDue(): number {
    const seg = this.segSize + KCP_OVERHEAD;
    const slice = Math.min(this.paceSlice(this.paceRate), this.sndQueue.size * seg);
    const wait = Math.ceil(((slice > 1 ? slice : 1) - this.paceTokens) * 1000 / this.paceRate);
    return (this.paceLast + (wait > 1 ? wait : 1)) >>> 0;
  }

  /** RTT estimator (RFC 6298 with kcp-go's reduced weight for samples below the range). */
  private updateAck(rtt: number): void {
    this.lastRtt = rtt > 0 ? rtt : 1;
    if (this.lowRtt === 0 || this.lastRtt < this.lowRtt) this.lowRtt = this.lastRtt;
    if (this.rxSrtt === 0) {
      this.rxSrtt = rtt;
      this.rxRttvar = rtt >> 1;
    } else {
      let delta = (rtt - this.rxSrtt) | 0;
      this.rxSrtt = (this.rxSrtt + (delta >> 3)) | 0;
      if (delta < 0) delta = -delta;
      if (rtt < this.rxSrtt - this.rxRttvar) {
        this.rxRttvar = (this.rxRttvar + ((delta - this.rxRttvar) >> 5)) | 0;
      } else {
        this.rxRttvar = (this.rxRttvar + ((delta - this.rxRttvar) >> 2)) | 0;
      }
    }
    const varTerm = (this.rxRttvar << 2) >>> 0;
    let rto = this.rxSrtt + (this.interval > varTerm ? this.interval : varTerm);
    const floor = Math.ceil(this.rxSrtt * this.rtoSrttFactor);
    if (rto < floor) rto = floor;
    this.rxRto = rto < this.rxMinrto ? this.rxMinrto : rto > RTO_MAX ? RTO_MAX : rto;
  }

  /** Recompute tsResend exactly: the earliest deadline of an unacknowledged segment. */
  private tightenResend(current: number): void {
    const sndBuf = this.sndBuf;
    let nearest = 0x7fffffff;
    let any = false;
    for (let i = 0; i < sndBuf.size; i++) {
      const seg = sndBuf.at(i);
      if (seg.acked || seg.xmit === 0) continue;
      const due = (seg.resendts - current) | 0;
      if (!any || due < nearest) nearest = due;
      any = true;
    }
    this.hasResend = any;
    this.tsResend = (current + nearest) >>> 0;
  }

  /** Drops acknowledged segments from the front of the send buffer. */
  private shrinkBuf(): void {
    this.sndUna = this.sndBuf.size > 0 ? this.sndBuf.first().sn : this.sndNxt;
  }

  /** Drop every segment below `una` from the send buffer; returns how many. */
  private parseUna(una: number): number {
    const sndBuf = this.sndBuf;
    let count = 0;
    while (sndBuf.size > 0 && ((una - sndBuf.first().sn) | 0) > 0) {
      const seg = sndBuf.shift();
      if (!seg.acked) {
        this.deliveredBytes += seg.len;
        if (seg.xmit > 1) {
          // kept so that its own ACK, later in the same packet, can still tell which
          // transmission arrived (timestamp 0 marks a free slot; a real 0 is merely missed)
          const at = this.passedAt;
          this.passedResent[2 * at] = seg.sn;
          this.passedResent[2 * at + 1] = seg.ts;
          this.passedAt = at === PASSED_RESENT - 1 ? 0 : at + 1;
        }
      } else this.ackedAhead--;
      this.pool.release(seg);
      count++;
    }
    return count;
  }

  /** Count a needless retransmission when the ACK of `sn` echoes an earlier transmission's `ts`. */
  private checkSpurious(sn: number, ts: number): void {
    const idx = (sn - this.sndUna) | 0;
    if (((sn - this.sndNxt) | 0) >= 0) return;
    if (idx >= 0) {
      const seg = this.sndBuf.at(idx);
      if (!seg.acked && seg.xmit > 1 && ((seg.ts - ts) | 0) > 0) this.stats.spuriousSegs++;
      return;
    }
    // passed by una already (an earlier ACK of the same packet carried it): look it up among
    // the retransmitted segments una dropped lately
    const passed = this.passedResent;
    for (let i = 0; i < PASSED_RESENT; i++) {
      if (passed[2 * i] === sn && passed[2 * i + 1] !== 0) {
        if (((passed[2 * i + 1] - ts) | 0) > 0) this.stats.spuriousSegs++;
        passed[2 * i + 1] = 0;
        return;
      }
    }
  }

  /** Mark segment `sn` acknowledged. The send buffer holds exactly sn snd_una..snd_nxt−1. */
  private parseAck(sn: number): void {
    const idx = (sn - this.sndUna) | 0;
    if (idx < 0 || ((sn - this.sndNxt) | 0) >= 0) return;
    const seg = this.sndBuf.at(idx);
    if (!seg.acked) {
      seg.acked = true;
      this.ackedAhead++;
      this.deliveredBytes += seg.len;
    }
  }

  /** Notes an ACK of this input for {@link Kcp.parseFastacks}. */
  private inAckPush(sn: number, ts: number): void {
    this.inAcks = pushPair(this.inAcks, this.inAckCount++, sn, ts);
  }

  /**
   * Fast-ACK counting for all of one input's ACKs at once (ikcp's `parse_fastack` per ACK gives
   * the same counts): each segment in the send buffer gets one count per ACK of a later segment
   * that was sent no earlier than it (`seg.ts <= ack.ts`). One pass over the send buffer instead of one
   * per ACK: a datagram carries up to 55 ACKs and the buffer holds hundreds of segments. Returns
   * true when a segment reached the fast-resend threshold.
   */
  private parseFastacks(): boolean {
    const m0 = this.inAckCount;
    this.inAckCount = 0;
    const acks = this.inAcks;
    const una = this.sndUna;
    const flight = (this.sndNxt - una) | 0;
    // keep the ACKs beyond una and before snd_nxt, as (offset, ts), sorted by offset
    let m = 0;
    for (let j = 0; j < m0; j++) {
      const off = (acks[2 * j] - una) | 0;
      if (off <= 0 || off >= flight) continue;
      const ts = acks[2 * j + 1];
      let at = m;
      while (at > 0 && acks[2 * at - 2] > off) {
        acks[2 * at] = acks[2 * at - 2];
        acks[2 * at + 1] = acks[2 * at - 1];
        at--;
      }
      acks[2 * at] = off;
      acks[2 * at + 1] = ts;
      m++;
    }
    if (m === 0) return false;
    let minTs = this.inAckMinTs;
    if (minTs.length < m) this.inAckMinTs = minTs = new Uint32Array(acks.length / 2);
    let oldest = acks[2 * m - 1];
    for (let j = m - 1; j >= 0; j--) {
      const ts = acks[2 * j + 1];
      if (((ts - oldest) | 0) < 0) oldest = ts;
      minTs[j] = oldest;
    }
    const threshold = this.fastresend;
    const sndBuf = this.sndBuf;
    const last = acks[2 * m - 2];
    let should = false;
    let k = 0; // the first ACK beyond segment i
    for (let i = 0; i < last; i++) {
      while (acks[2 * k] <= i) k++;
      const seg = sndBuf.at(i);
      if (seg.fastack === FASTACK_DONE) continue;
      const t = seg.ts;
      let n = 0;
      if (((t - minTs[k]) | 0) <= 0) {
        n = m - k;
      } else {
        for (let j = k; j < m; j++) if (((t - acks[2 * j + 1]) | 0) <= 0) n++;
      }
      if (n === 0) continue;
      seg.fastack += n;
      this.fastackPending = true;
      if (seg.fastack >= threshold) should = true;
    }
    return should;
  }

  /** Records an ACK to send for segment `sn` echoing `ts`. */
  private ackPush(sn: number, ts: number): void {
    this.ackList = pushPair(this.ackList, this.ackCount++, sn, ts);
  }

  /** Store an in-window PUSH; returns true if it was a duplicate. */
  private parseData(
    sn: number,
    frg: number,
    ts: number,
    src: Uint8Array,
    off: number,
    len: number,
  ): boolean {
    if (((sn - (this.rcvNxt + this.rcvWndSize)) | 0) >= 0 || ((sn - this.rcvNxt) | 0) < 0) {
      return true;
    }
    const slot = sn & this.rcvMask;
    let repeat = false;
    if (this.rcvSlots[slot] !== undefined) {
      repeat = true;
    } else {
      const seg = this.pool.acquire(len);
      copyBytes(seg.data, 0, src, off, len);
      seg.len = len;
      seg.sn = sn;
      seg.frg = frg;
      seg.ts = ts;
      this.rcvSlots[slot] = seg;
      this.rcvBufCount++;
    }
    this.moveReceived();
    return repeat;
  }

  /** Move in-order segments from the receive window to the receive queue while it has room. */
  private moveReceived(): void {
    const slots = this.rcvSlots;
    const q = this.rcvQueue;
    while (this.rcvBufCount > 0 && q.size < this.rcvWndSize) {
      const slot = this.rcvNxt & this.rcvMask;
      const seg = slots[slot];
      if (seg === undefined) break;
      slots[slot] = undefined;
      this.rcvBufCount--;
      q.push(seg);
      this.rcvQueueBytes += seg.len;
      this.rcvNxt = (this.rcvNxt + 1) >>> 0;
    }
  }

  /** Grows the receive-buffer slot ring to at least `cap` entries. */
  private growRcvSlots(cap: number): void {
    const old = this.rcvSlots;
    const slots = new Array<Segment | undefined>(cap).fill(undefined);
    const mask = cap - 1;
    for (const seg of old) if (seg !== undefined) slots[seg.sn & mask] = seg;
    this.rcvSlots = slots;
    this.rcvMask = mask;
  }
}
