/**
 * One kcptun KCP session as a pure engine: packet crypto, FEC and KCP composed the way kcp-go's
 * `UDPSession` composes them (`sess.go`), with no socket and no clock. Datagrams leave through
 * a sink callback; time is passed to every call.
 *
 * Outgoing packet layout, written in place into KCP's output buffer (kcp-go's "headroom"):
 * `crypto header | [FEC header 8] | KCP segments | [AEAD tag]`.
 *
 * @module
 */

import { Kcp } from "../kcp/kcp.ts";
import type { PacketCrypt } from "../crypt/packet_crypt.ts";
import {
  FEC_HEADER_SIZE_PLUS2,
  FEC_TYPE_DATA,
  FEC_TYPE_OOB,
  FEC_TYPE_PARITY,
  FecDecoder,
  FecEncoder,
  fecType,
} from "../fec/fec.ts";
import { createSnmp, type Snmp } from "./snmp.ts";
import { RateController } from "./rate_control.ts";
import { FecTuner } from "./fec_tuner.ts";

/** kcp-go's hard datagram limit: every receive buffer is 1500 bytes. */
export const MTU_LIMIT = 1500;
const KCP_OVERHEAD = 24;

/** Settings of one session (kcptun applies the same to both ends, §5.3 of the wire spec). */
export interface KcpSessionOptions {
  /** KCP conversation id (uint32). */
  conv: number;
  /** Packet crypto for this session (see `createPacketCrypt`). */
  crypt: PacketCrypt;
  /** FEC data shards; 0 disables the encoder. @default 10 */
  dataShards?: number;
  /** FEC parity shards; 0 disables the encoder. @default 3 */
  parityShards?: number;
  /** Largest UDP payload including every header. @default 1350 */
  mtu?: number;
  /** Send window in segments. @default 128 */
  sndwnd?: number;
  /** Receive window in segments. @default 512 */
  rcvwnd?: number;
  /** KCP nodelay (1 lowers the minimum RTO). @default 0 */
  nodelay?: number;
  /** Flush interval in ms. @default 30 */
  interval?: number;
  /** Fast-retransmit threshold (0 off). @default 2 */
  resend?: number;
  /** 1 disables the congestion window. @default 1 */
  nc?: number;
  /** Flush ACKs as soon as a packet arrives. @default false */
  ackNoDelay?: boolean;
  /** Latest kcp-go skips a group's parity after a pause this long (ms); 0 never skips. @default 0 */
  fecSkipParityAfterGapMs?: number;
  /** Counters to add to (shared by the sessions of one process). @default a private set */
  snmp?: Snmp;
  /**
   * Pace new data at the measured delivery rate and size the send window from the
   * bandwidth-delay product (see `RateController`); `sndwnd` is then only the starting cap's
   * ceiling when smaller than the estimate. Also turns on the sender-side loss recovery that
   * goes with it: `Kcp.headProbe`, `Kcp.pipeLimit` and an RTO of at least 1.5 × the smoothed
   * RTT (`Kcp.rtoSrttFactor`). Invisible on the wire. @default false (kcp-go)
   */
  rateControl?: boolean;
  /**
   * Send fewer parity packets per group while the loss they leave is low, none while the link
   * is measurably clean or a bulk transfer is pace-limited, and all of them back when loss
   * returns (see `FecTuner`); only with FEC configured. @default false (kcp-go: fixed FEC)
   */
  adaptiveFec?: boolean;
  /**
   * Range ACKs both ways (see `Kcp.rangeAcks`): a receiver repeats, as runs, the previous
   * flush's ACKs still out of order, so one lost ACK packet no longer makes the sender resend the
   * segments it acknowledged; a sender honours them. Go peers ignore the ranges.
   * @default false (kcp-go)
   */
  rangeAcks?: boolean;
  /**
   * latest kcptun's `--ratelimit`, bytes/s of datagrams (0 = none). The limit itself is the
   * caller's (a token bucket on the datagrams); with `rateControl`, KCP's pacing is also kept
   * below it, so segments wait inside KCP instead of in the limiter's queue, where their
   * waiting would count as RTT and their RTO would send them twice. @default 0
   */
  paceLimit?: number;
}

/** Largest send window rate control will open, in segments. */
const RATE_WINDOW_MAX = 8192;
/**
 * With rate control, the RTO is at least this multiple of the smoothed RTT. Lab, seeds 1-3:
 * jitter download 5.5 -> 7.0 Mbit/s, bursty 10.4 -> 11.2; bench CPU/GB there 165-191 -> 154-156
 * and 160-175 -> 120-130, lossy 50 Mbit/s unchanged.
 */
const RTO_SRTT_FACTOR = 1.5;

/**
 * Longest gap between two `update` calls that counts towards the FEC tuner's pace-limited and
 * idle time: they come at least once per KCP interval while data flows, so a longer gap is an
 * idle session.
 */
const SAMPLE_MAX_MS = 100;

/** Receives each sealed datagram; `buf` is reused once the call returns. */
export type DatagramSink = (buf: Uint8Array, length: number) => void;

/**
 * A KCP session with kcptun's crypto and FEC framing.
 *
 * @example
 * ```ts
 * import { KcpSession } from "./kcp_session.ts";
 * import { createPacketCrypt } from "../crypt/packet_crypt.ts";
 * import { deriveKey } from "../crypt/kdf.ts";
 * const crypt = createPacketCrypt("aes", deriveKey("secret"), (b) => crypto.getRandomValues(b));
 * const out: Uint8Array[] = [];
 * const s = new KcpSession({ conv: 1, crypt }, (b, n) => out.push(b.slice(0, n)), 0);
 * s.send(new TextEncoder().encode("hi"), 0);
 * s.flush(0);
 * ```
 */
export class KcpSession {
  /** The KCP engine (exposed for statistics and tuning). */
  readonly kcp: Kcp;
  /** The packet crypto in use. */
  readonly crypt: PacketCrypt;
  /** Counters this session adds to. */
  readonly snmp: Snmp;
  readonly #sink: DatagramSink;
  #encoder: FecEncoder | undefined;
  /** Builds the configured encoder starting at a seqid (FEC configured), else undefined. */
  readonly #makeEncoder: ((initialSeqid: number) => FecEncoder) | undefined;
  readonly #tuner: FecTuner | undefined;
  /** ds + ps of the configured FEC. */
  readonly #fecShards: number;
  /** ds of the configured FEC: data packets per group. */
  readonly #dataShards: number;
  readonly #paceLimit: number;
  readonly #mtu: number;
  /** seqid after the last one sent, kept while FEC is off so seqids never repeat. */
  #nextSeqid = 0;
  #rxFecCount = 0;
  #rxFecSpan = 0;
  #rxLastSeqid = -1;
  /**
   * For the FEC tuner: ms our KCP was held back by its pacing rate, ms it had nothing queued
   * while its windows had room, and when those were last sampled.
   */
  #paceLimitedMs = 0;
  #idleMs = 0;
  #sampledAt = -1;
  /** KCP's output buffer seen from the FEC header on, for packets sent without FEC. */
  #shifted: Uint8Array | undefined;
  #shiftedOf: Uint8Array | undefined;
  readonly #decoder: FecDecoder;
  readonly #rate: RateController | undefined;
  #window = 0;
  #now: number;
  // kcp stats already added to snmp
  #seen = {
    outSegs: 0,
    inSegs: 0,
    retransSegs: 0,
    fastRetransSegs: 0,
    earlyRetransSegs: 0,
    lostSegs: 0,
    repeatSegs: 0,
  };

  /** Creates a session; `now` is the current time in ms. */
  constructor(options: KcpSessionOptions, sink: DatagramSink, now: number) {
    this.crypt = options.crypt;
    this.snmp = options.snmp ?? createSnmp();
    this.#sink = sink;
    this.#now = now;
    const ds = options.dataShards ?? 10;
    const ps = options.parityShards ?? 3;
    const mtu = Math.min(options.mtu ?? 1350, MTU_LIMIT);
    const fecOn = ds > 0 && ps > 0 && ds + ps <= 256;
    this.#fecShards = ds + ps;
    this.#dataShards = ds;
    this.#paceLimit = options.paceLimit ?? 0;
    this.#mtu = mtu;
    const headroom = this.crypt.headerSize;
    const tailroom = this.crypt.trailerSize;
    if (fecOn) {
      const skip = options.fecSkipParityAfterGapMs ?? 0;
      this.#makeEncoder = (initialSeqid) =>
        new FecEncoder(ds, ps, headroom, tailroom, mtu, {
          skipParityAfterGapMs: skip,
          initialSeqid,
        });
      this.#encoder = this.#makeEncoder(0);
      if (options.adaptiveFec) this.#tuner = new FecTuner(ps);
    }
    this.#decoder = fecOn ? new FecDecoder(ds, ps, MTU_LIMIT) : new FecDecoder(0, 0, MTU_LIMIT);
    const reserved = headroom + (fecOn ? FEC_HEADER_SIZE_PLUS2 : 0);
    this.kcp = new Kcp(options.conv, this.#output, { reserved, tailroom });
    // latest kcp-go: kcp.mtu = min(mtu,1500) - header - tag; 2021 keeps the header inside it.
    if (!this.kcp.setMtu(mtu - tailroom)) {
      throw new RangeError(`MTU ${mtu} leaves no room for KCP data`);
    }
    this.kcp.setNoDelay(
      options.nodelay ?? 0,
      options.interval ?? 30,
      options.resend ?? 2,
      options.nc ?? 1,
    );
    this.kcp.setWindowSize(options.sndwnd ?? 128, options.rcvwnd ?? 512);
    this.kcp.streamMode = true;
    this.kcp.ackNoDelay = options.ackNoDelay ?? false;
    this.kcp.rangeAcks = options.rangeAcks ?? false;
    if (options.rateControl) {
      this.#rate = new RateController(this.kcp.mss + KCP_OVERHEAD);
      this.kcp.headProbe = true;
      this.kcp.rtoSrttFactor = RTO_SRTT_FACTOR;
      this.#applyRate(now);
    }
  }

  /** The rate controller, when `rateControl` is on. */
  get rateController(): RateController | undefined {
    return this.#rate;
  }

  /** Whether our FEC encoder is running (it may be off with `adaptiveFec`). */
  get fecSending(): boolean {
    return this.#encoder !== undefined;
  }

  /** Parity shards per group our encoder sends now (0 = off; below `--ps` with `adaptiveFec`). */
  get fecParity(): number {
    return this.#encoder?.sendParity ?? 0;
  }

  /**
   * Counts a data packet of the peer's for the reverse path's loss. Only data seqids count:
   * a peer whose tuner sends fewer parity packets skips the seqids of the rest, which are not
   * loss. The span is in data positions of the peer's (ds, ps) as our decoder knows it.
   */
  #countSeqid(buf: Uint8Array, offset: number): void {
    const seqid = (buf[offset] | buf[offset + 1] << 8 | buf[offset + 2] << 16 |
      buf[offset + 3] << 24) >>> 0;
    const ds = this.#decoder.dataShards;
    const n = ds + this.#decoder.parityShards;
    // data positions below seqid
    const pos = Math.floor(seqid / n) * ds + Math.min(seqid % n, ds);
    this.#rxFecCount++;
    if (this.#rxLastSeqid >= 0) {
      const step = pos - this.#rxLastSeqid;
      if (step <= 0) {
        // late or duplicate: counted, span unchanged; far behind: a sender restart or wrap
        if (step < -65536) this.#rxLastSeqid = pos;
        return;
      }
      // a huge jump is a sender restart or wrap, not loss
      if (step < 65536) this.#rxFecSpan += step;
    } else {
      this.#rxFecSpan++;
    }
    this.#rxLastSeqid = pos;
  }

  #tuneFec(now: number): void {
    // what KCP's last flush left held since the previous sample (at most an interval ago)
    const kcp = this.kcp;
    const since = Math.min(now - this.#sampledAt, SAMPLE_MAX_MS);
    if (this.#sampledAt >= 0 && since > 0) {
      if (kcp.paceLimited) this.#paceLimitedMs += since;
      else if (kcp.waitSnd() === kcp.inflight && this.canSend()) this.#idleMs += since;
    }
    this.#sampledAt = now;
    const changed = this.#tuner!.update(now, {
      fecReceived: this.#rxFecCount,
      fecSpan: this.#rxFecSpan,
      retransmitted: kcp.stats.retransSegs - kcp.stats.spuriousSegs,
      deliveredSegments: Math.floor(kcp.delivered / kcp.mss),
      paceLimitedMs: this.#paceLimitedMs,
      idleMs: this.#idleMs,
    });
    if (!changed) return;
    const parity = this.#tuner!.parity;
    // the rate estimates count data; the wire carries (ds + parity) packets per ds of it
    const ds = this.#dataShards;
    const before = this.#encoder === undefined ? 0 : this.#encoder.sendParity;
    this.#rate?.rescale((ds + before) / (ds + parity));
    if (parity === 0) {
      // seqids never repeat: kept for when parity comes back
      if (this.#encoder !== undefined) this.#nextSeqid = this.#encoder.nextSeqid;
      this.#encoder = undefined;
      return;
    }
    if (this.#encoder === undefined) {
      // back on at a group boundary, with the configured (ds, ps) shape
      const n = this.#fecShards;
      const paws = Math.floor(0xffffffff / n) * n;
      const start = Math.ceil(this.#nextSeqid / n) * n;
      this.#encoder = this.#makeEncoder!(start < paws ? start : 0);
    }
    // fewer parity packets per group, same shape: receivers see the rest as lost
    this.#encoder.sendParity = parity;
  }

  #applyRate(now: number): void {
    const rc = this.#rate!;
    const kcp = this.kcp;
    rc.update(now, {
      delivered: kcp.delivered,
      rtt: kcp.latestRtt,
      inflight: kcp.inflight,
      sent: kcp.sent,
      lowRtt: kcp.takeLowRtt(),
      rttvar: kcp.rttvar,
    });
    let rate = rc.pacingRate();
    if (this.#paceLimit > 0) {
      // new data's share of the datagram budget: a segment per full datagram, less the parity
      // that goes with it, 5 % left for ACKs and window updates
      const ds = this.#dataShards;
      const fec = this.#encoder === undefined ? 1 : ds / (ds + this.#encoder.sendParity);
      const cap = this.#paceLimit * 0.95 * fec * (kcp.mss + KCP_OVERHEAD) / this.#mtu;
      if (rate === 0 || rate > cap) rate = cap;
    }
    kcp.pacingRate = rate;
    const w = Math.min(RATE_WINDOW_MAX, rc.window());
    if (w !== this.#window) {
      this.#window = w;
      kcp.setWindowSize(w, 0);
      kcp.pipeLimit = w;
    }
  }

  /** KCP conversation id. */
  get conv(): number {
    return this.kcp.conv;
  }

  /** Current FEC shape of the receive side (after auto-tune). */
  get fecDecoder(): FecDecoder {
    return this.#decoder;
  }

  #output = (buf: Uint8Array, size: number): void => {
    const hs = this.crypt.headerSize;
    const enc = this.#encoder;
    if (enc === undefined) {
      if (this.#makeEncoder === undefined) {
        this.#seal(buf, size - hs);
        return;
      }
      // FEC switched off: KCP still leaves room for its header; send from just after it
      if (this.#shiftedOf !== buf) {
        this.#shiftedOf = buf;
        this.#shifted = buf.subarray(FEC_HEADER_SIZE_PLUS2);
      }
      this.#seal(this.#shifted!, size - hs - FEC_HEADER_SIZE_PLUS2);
      return;
    }
    const parity = enc.encode(buf, size - hs - FEC_HEADER_SIZE_PLUS2, this.#now);
    this.#seal(buf, size - hs);
    for (let i = 0; i < parity; i++) this.#seal(enc.parityPacket(i), enc.parityLength);
  };

  #seal(buf: Uint8Array, payloadLen: number): void {
    const n = this.crypt.seal(buf, payloadLen);
    this.snmp.OutPkts++;
    this.snmp.OutBytes += n;
    this.#sink(buf, n);
  }

  /**
   * A datagram from the peer: decrypts in place and feeds it on. Returns false (and counts it)
   * when it does not authenticate. Never throws.
   */
  input(datagram: Uint8Array, length: number, now: number): boolean {
    const n = this.crypt.open(datagram, length);
    if (n < 0) {
      this.snmp.InCsumErrors++;
      return false;
    }
    this.snmp.InBytes += length;
    this.inputPayload(datagram, this.crypt.headerSize, n, now);
    return true;
  }

  /**
   * An already-decrypted payload (FEC packet or raw KCP) at `buf[offset, offset+length)`.
   * Used by a server that decrypted the datagram to route it. Never throws.
   */
  inputPayload(buf: Uint8Array, offset: number, length: number, now: number): void {
    this.#inputPayload(buf, offset, length, now);
    if (this.#rate !== undefined) this.#applyRate(now);
  }

  #inputPayload(buf: Uint8Array, offset: number, length: number, now: number): void {
    this.#now = now;
    const snmp = this.snmp;
    snmp.InPkts++;
    const type = fecType(buf, offset, length);
    if (type === FEC_TYPE_DATA || type === FEC_TYPE_PARITY) {
      if (length < FEC_HEADER_SIZE_PLUS2) {
        snmp.InErrs++;
        return;
      }
      if (type === FEC_TYPE_PARITY) snmp.FECParityShards++;
      if (this.#tuner !== undefined && type === FEC_TYPE_DATA) this.#countSeqid(buf, offset);
      const dec = this.#decoder;
      const errs = dec.stats.errors;
      const packet = buf.subarray(offset, offset + length);
      const recovered = dec.decode(packet, length, now);
      snmp.FECErrs += dec.stats.errors - errs;
      if (type === FEC_TYPE_DATA && length >= FEC_HEADER_SIZE_PLUS2 + KCP_OVERHEAD) {
        if (this.kcp.input(packet.subarray(FEC_HEADER_SIZE_PLUS2), true, now) !== 0) {
          snmp.KCPInErrors++;
        }
      }
      for (let i = 0; i < recovered; i++) {
        if (this.kcp.input(dec.recovered(i), false, now) === 0) snmp.FECRecovered++;
        else snmp.KCPInErrors++;
      }
      return;
    }
    if (type === FEC_TYPE_OOB) {
      // kcptun never sends out-of-band packets; count and drop (latest kcp-go §4.1).
      snmp.InErrs++;
      return;
    }
    if (length < KCP_OVERHEAD) {
      snmp.InErrs++;
      return;
    }
    if (this.kcp.input(buf.subarray(offset, offset + length), true, now) !== 0) {
      snmp.KCPInErrors++;
    }
  }

  /** Queues stream bytes for sending (copied). Call `flush` after a batch of sends. */
  send(data: Uint8Array, now: number): number {
    this.#now = now;
    this.snmp.BytesSent += data.length;
    return this.kcp.send(data);
  }

  /** Reads received stream bytes into dst; returns the count, or ≤ 0 when none. */
  recv(dst: Uint8Array): number {
    const n = this.kcp.recv(dst);
    if (n > 0) this.snmp.BytesReceived += n;
    return n;
  }

  /** kcp-go's write gate: more may be queued while in-flight data is below both windows. */
  canSend(): boolean {
    const kcp = this.kcp;
    const w = kcp.waitSnd();
    // with a pipe limit, segments acknowledged beyond a hole do not hold the writer back
    const mine = kcp.pipeLimit > 0 ? w - kcp.sacked : w;
    return mine < kcp.sndWnd && w < kcp.rmtWnd;
  }

  /** Sends what the windows allow now (kcptun runs with write delay off). */
  flush(now: number): void {
    this.#now = now;
    this.kcp.flush(now);
  }

  /**
   * Runs KCP's timers; returns the next time (ms) this must be called, in the caller's clock
   * (`now` plus a delay of at most one interval), whether `now` is an unbounded monotonic count
   * or already wrapped to uint32.
   */
  update(now: number): number {
    this.#now = now;
    if (this.#rate !== undefined) this.#applyRate(now);
    if (this.#tuner !== undefined) this.#tuneFec(now);
    this.kcp.update(now);
    this.#collect();
    return this.nextDeadline(now);
  }

  /**
   * KCP's next deadline in the caller's clock. KCP answers in wrapped uint32 time; this hands
   * back now + delay so callers past 2^32 ms (49.7 days of uptime) do not see a deadline 2^32 ms
   * in the past.
   */
  nextDeadline(now: number): number {
    return now + ((this.kcp.check(now) - now) | 0);
  }

  #collect(): void {
    const st = this.kcp.stats;
    const seen = this.#seen;
    const snmp = this.snmp;
    snmp.OutSegs += st.outSegs - seen.outSegs;
    snmp.InSegs += st.inSegs - seen.inSegs;
    snmp.RetransSegs += st.retransSegs - seen.retransSegs;
    snmp.FastRetransSegs += st.fastRetransSegs - seen.fastRetransSegs;
    snmp.EarlyRetransSegs += st.earlyRetransSegs - seen.earlyRetransSegs;
    snmp.LostSegs += st.lostSegs - seen.lostSegs;
    snmp.RepeatSegs += st.repeatSegs - seen.repeatSegs;
    seen.outSegs = st.outSegs;
    seen.inSegs = st.inSegs;
    seen.retransSegs = st.retransSegs;
    seen.fastRetransSegs = st.fastRetransSegs;
    seen.earlyRetransSegs = st.earlyRetransSegs;
    seen.lostSegs = st.lostSegs;
    seen.repeatSegs = st.repeatSegs;
  }
}

/**
 * Reads the KCP conv of a decrypted payload (FEC data, OOB or raw KCP), or -1 when it has none
 * (parity packets, short packets). Servers use it to route and to detect a reconnect.
 */
export function payloadConv(buf: Uint8Array, offset: number, length: number): number {
  const type = fecType(buf, offset, length);
  let at = offset;
  if (type === FEC_TYPE_DATA || type === FEC_TYPE_OOB) {
    if (length < FEC_HEADER_SIZE_PLUS2 + (type === FEC_TYPE_OOB ? 4 : KCP_OVERHEAD)) return -1;
    at += FEC_HEADER_SIZE_PLUS2;
  } else if (type === FEC_TYPE_PARITY || length < KCP_OVERHEAD) {
    return -1;
  }
  return (buf[at] | buf[at + 1] << 8 | buf[at + 2] << 16 | buf[at + 3] << 24) >>> 0;
}

/**
 * The `sn` of the first KCP segment of a decrypted payload, 0 for an OOB packet (which kcp-go
 * treats as sn 0), or -1 when there is none.
 */
export function payloadFirstSn(buf: Uint8Array, offset: number, length: number): number {
  const type = fecType(buf, offset, length);
  let at = offset;
  if (type === FEC_TYPE_OOB) return length >= FEC_HEADER_SIZE_PLUS2 + 4 ? 0 : -1;
  if (type === FEC_TYPE_DATA) {
    if (length < FEC_HEADER_SIZE_PLUS2 + KCP_OVERHEAD) return -1;
    at += FEC_HEADER_SIZE_PLUS2;
  } else if (type === FEC_TYPE_PARITY || length < KCP_OVERHEAD) {
    return -1;
  }
  at += 12;
  return (buf[at] | buf[at + 1] << 8 | buf[at + 2] << 16 | buf[at + 3] << 24) >>> 0;
}
