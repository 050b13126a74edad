/**
 * Test harness: a client and a server {@linkcode TunnelConnection} (crypt + FEC + KCP + snappy
 * + smux) joined by two seeded {@linkcode LinkDirection}s under a virtual clock. No sockets, no
 * timers, no real time: the clock jumps to the earliest of both connections' deadlines (driven
 * the way lib/tunnel/driver.ts drives them: `tick` when due, `session.nextDeadline` after input
 * and stream calls), the next packet delivery and the next scripted event.
 *
 * The server starts like lib/tunnel/server.ts: it knows only the key, picks the crypt of the
 * first datagram that arrives with `detectCrypt`, and leaves compression and the smux version
 * on "auto" unless told otherwise.
 *
 * Independent checks on the wire (optional, `inspect`): every datagram is opened with a second
 * crypt instance; every new PUSH segment must lie inside min(sndwnd, remote window) of the
 * sender's snd_una as reconstructed from what the sender was delivered (FEC recoveries
 * replayed through a mirror decoder). smux v2 stream windows are checked at the receiver:
 * unread bytes plus bytes read since the last UPD never exceed the advertised window.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { TunnelConnection } from "../../lib/session/connection.ts";
import { createSnmp, type Snmp } from "../../lib/session/snmp.ts";
import { detectCrypt, DETECTION_ORDER } from "../../lib/session/detect.ts";
import { payloadConv } from "../../lib/session/kcp_session.ts";
import { createPacketCrypt, type PacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { deriveKey } from "../../lib/crypt/kdf.ts";
import {
  FEC_HEADER_SIZE_PLUS2,
  FEC_TYPE_DATA,
  FEC_TYPE_PARITY,
  FecDecoder,
  fecType,
} from "../../lib/fec/fec.ts";
import { CMD_PUSH, KCP_OVERHEAD, MODE_PRESETS } from "../../lib/kcp/kcp.ts";
import { LinkDirection, type LinkProfile, type LinkStats } from "../../lib/link/link.ts";
import { Prng } from "../../lib/link/prng.ts";
import { SMUX_DEFAULTS, type SmuxConfig } from "../../lib/smux/config.ts";
import { SMUX_INITIAL_PEER_WINDOW } from "../../lib/smux/frame.ts";
import { forceSequence } from "../kcp/_sim.ts";
import { seededBytes, sha256 } from "../_helpers/bytes.ts";

/** One end's settings (kcptun flags). */
export interface EndConfig {
  /** `--crypt`; "auto" (server only) tries every method on the first datagram. */
  crypt: string;
  dataShards: number;
  parityShards: number;
  compress: boolean | "auto";
  smuxVersion: 1 | 2 | "auto";
  sndwnd: number;
  rcvwnd: number;
  nodelay: number;
  interval: number;
  resend: number;
  nc: number;
  mtu: number;
  ackNoDelay: boolean;
  smux: Omit<SmuxConfig, "version">;
}

/** kcptun client defaults (`--mode fast`, latest smux settings: v2, 8 KiB frames). */
export const CLIENT_DEFAULTS: Readonly<EndConfig> = Object.freeze({
  crypt: "aes",
  dataShards: 10,
  parityShards: 3,
  compress: true,
  smuxVersion: 2,
  sndwnd: 128,
  rcvwnd: 512,
  ...MODE_PRESETS.fast,
  mtu: 1350,
  ackNoDelay: false,
  smux: { ...SMUX_DEFAULTS, maxFrameSize: 8192 },
});

/** kcptun server defaults; crypt, compression and smux version detected. */
export const SERVER_DEFAULTS: Readonly<EndConfig> = Object.freeze({
  ...CLIENT_DEFAULTS,
  crypt: "auto",
  compress: "auto",
  smuxVersion: "auto",
  sndwnd: 1024,
  rcvwnd: 1024,
});

/** One smux stream of the run (opened by the client at the start). */
export interface StreamPlan {
  /** Bytes the client sends, then FIN. */
  up: number;
  /** Bytes the server sends, then FIN. */
  down: number;
  /** The server writes only after the client's FIN arrived (data after a received FIN). */
  serverAfterEof?: boolean;
  /** The client writes only after the server's FIN arrived. */
  clientAfterEof?: boolean;
  /** Neither side writes (or sends its FIN) before this simulated ms. */
  startAtMs?: number;
}

/** Which junk a storm throws. */
export type JunkKind = "random" | "short" | "oversize" | "truncated" | "bitflip";

/** A burst of junk datagrams into both ends. */
export interface Storm {
  /** Simulated ms (since start) at which it hits. */
  atMs: number;
  /** Junk datagrams per end. */
  count: number;
  /** @default every kind */
  kinds?: JunkKind[];
}

/** One simulation. */
export interface StackSimOptions {
  seed: number;
  client?: Partial<EndConfig>;
  server?: Partial<EndConfig>;
  up: LinkProfile;
  down: LinkProfile;
  streams: StreamPlan[];
  /** Absolute clock at the start. @default 1_000_000 */
  startClock?: number;
  /** Engines get the clock as is ("unbounded", like the driver) or `>>> 0`. @default "unbounded" */
  clockMode?: "unbounded" | "uint32";
  /** Force both KCP sessions' first sn (test-only hook). */
  initialSn?: number;
  /** Give up after this much simulated time. @default 600_000 */
  maxSimMs?: number;
  /** Largest single write; sizes are drawn 1..maxWrite. @default 32768 */
  maxWrite?: number;
  /** Check windows on the wire (costs a second decryption per datagram). @default true */
  inspect?: boolean;
  /** A side stops reading during [fromMs, toMs). */
  readPause?: { side: "client" | "server"; fromMs: number; toMs: number };
  storm?: Storm;
  /** Every datagram sent in [fromMs, toMs) is lost (both directions). */
  outage?: { fromMs: number; toMs: number };
  /** Stop when every flow is done, or only once both ends have closed. @default "done" */
  until?: "done" | "closed";
  /** Key (the `--key` string). @default "stack-sim" */
  key?: string;
  /**
   * Both ends run as the tunnel runs them: rate control and adaptive FEC on (see
   * lib/tunnel/options.ts). @default false (kcp-go's behaviour, fixed FEC)
   */
  tunnelDefaults?: boolean;
}

/** One direction of one stream. */
export interface FlowResult {
  sent: number;
  received: number;
  sourceSha256: string;
  receivedSha256: string;
  eof: boolean;
}

/** One stream's outcome. */
export interface StreamResult {
  sid: number;
  up: FlowResult;
  down: FlowResult;
}

/** Wire statistics of one sender (client = up, server = down). */
export interface WireView {
  /** Largest count of new-sn segments in flight (sn − reconstructed snd_una + 1). */
  maxInFlight: number;
  /** Largest count of PUSH payload bytes sent but not yet covered by a received una. */
  maxUnackedBytes: number;
  /** Datagrams seen (inspect on). */
  datagrams: number;
}

/** Outcome of a simulation. */
export interface StackSimResult {
  completed: boolean;
  simMs: number;
  steps: number;
  streams: StreamResult[];
  clientSnmp: Snmp;
  serverSnmp: Snmp;
  serverCrypt?: string;
  serverCompress?: boolean;
  serverSmuxVersion?: 1 | 2;
  clientClosed?: string;
  serverClosed?: string;
  /** Simulated ms at which each side closed (-1: still open). */
  closedAt: { client: number; server: number };
  /** smux streams still known at the end (0 after a clean two-FIN teardown). */
  clientStreamsLeft: number;
  serverStreamsLeft: number;
  violations: string[];
  up: WireView;
  down: WireView;
  upLink: LinkStats;
  downLink: LinkStats;
  /** Largest smux receive buffer seen on each side, and the largest v2 stream window use. */
  maxBuffered: { client: number; server: number };
  maxStreamWindowUse: { client: number; server: number };
  /** Junk datagrams thrown at each side, and how many `input` accepted (should be 0). */
  junk: { client: number; server: number; accepted: number };
  /** Each junk datagram `input` accepted: its kind and, for a bit flip, the byte flipped. */
  junkAccepted: { kind: JunkKind; flippedByte: number }[];
  /** Datagrams lost to the scripted outage. */
  outageDrops: number;
  /** smux keepalive NOPs each side sent. */
  nops: { client: number; server: number };
  /** Each side's next KCP send sn at the end (shows whether sn wrapped). */
  sndNxt: { client: number; server: number };
}

const MTU_LIMIT = 1500;
const SEQ_RING = 8192; // > any window; power of two
const keyCache = new Map<string, Uint8Array>();

function passFor(key: string): Uint8Array {
  let pass = keyCache.get(key);
  if (pass === undefined) keyCache.set(key, pass = deriveKey(key));
  return pass;
}

function u32(b: Uint8Array, o: number): number {
  return (b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24) >>> 0;
}

/** What one side (as a KCP sender) is known to have learned from its peer. */
class SenderView {
  readonly view: WireView = { maxInFlight: 0, maxUnackedBytes: 0, datagrams: 0 };
  readonly name: string;
  readonly sndwnd: number;
  peerUna: number;
  peerWnd = 32; // KCP's remote window until the peer says otherwise
  maxSnSent: number;
  unackedBytes = 0;
  readonly lens = new Int32Array(SEQ_RING);
  // mirror of the sender's receive path (to learn una from FEC-recovered packets too)
  readonly decoder: FecDecoder;
  outCrypt: PacketCrypt | undefined;
  inCrypt: PacketCrypt | undefined;
  readonly scratch = new Uint8Array(4096);

  constructor(name: string, cfg: EndConfig, initialSn: number) {
    this.name = name;
    this.sndwnd = cfg.sndwnd;
    this.peerUna = initialSn >>> 0;
    this.maxSnSent = (initialSn - 1) >>> 0;
    const fecOn = cfg.dataShards > 0 && cfg.parityShards > 0;
    this.decoder = fecOn
      ? new FecDecoder(cfg.dataShards, cfg.parityShards, MTU_LIMIT)
      : new FecDecoder(0, 0, MTU_LIMIT);
  }

  /** Opens a copy; returns [offset, length] of the payload or undefined. */
  #open(crypt: PacketCrypt, buf: Uint8Array, n: number): number {
    this.scratch.set(buf.subarray(0, n));
    return crypt.open(this.scratch, n);
  }

  /** A datagram this side sent. */
  sent(buf: Uint8Array, n: number, violations: string[]): void {
    const crypt = this.outCrypt!;
    const len = this.#open(crypt, buf, n);
    if (len < 0) {
      violations.push(`${this.name} sent a datagram its peer cannot open`);
      return;
    }
    this.view.datagrams++;
    const b = this.scratch;
    let at = crypt.headerSize;
    const type = fecType(b, at, len);
    if (type === FEC_TYPE_PARITY) return;
    let end = at + len;
    if (type === FEC_TYPE_DATA) {
      end = at + (b[at + 6] | b[at + 7] << 8) + 6;
      at += FEC_HEADER_SIZE_PLUS2;
    }
    while (end - at >= KCP_OVERHEAD) {
      const sn = u32(b, at + 12);
      const plen = u32(b, at + 20);
      if (b[at + 4] === CMD_PUSH && ((sn - this.maxSnSent) | 0) > 0) {
        this.maxSnSent = sn;
        const wnd = Math.min(this.sndwnd, this.peerWnd);
        const inFlight = ((sn - this.peerUna) | 0) + 1;
        if (inFlight > this.view.maxInFlight) this.view.maxInFlight = inFlight;
        if (inFlight > wnd) {
          violations.push(
            `${this.name} sent sn ${sn} with una ${this.peerUna}: ${inFlight} in flight > window ${wnd}`,
          );
        }
        this.lens[sn & (SEQ_RING - 1)] = plen;
        this.unackedBytes += plen;
        if (this.unackedBytes > this.view.maxUnackedBytes) {
          this.view.maxUnackedBytes = this.unackedBytes;
        }
      }
      at += KCP_OVERHEAD + plen;
    }
  }

  /** A datagram delivered to this side (before the connection sees it). */
  received(buf: Uint8Array, n: number, now: number): void {
    const crypt = this.inCrypt;
    if (crypt === undefined) return;
    const len = this.#open(crypt, buf, n);
    if (len < 0) return;
    const b = this.scratch;
    const at = crypt.headerSize;
    const type = fecType(b, at, len);
    if (type === FEC_TYPE_DATA || type === FEC_TYPE_PARITY) {
      const pkt = b.subarray(at, at + len);
      const recovered = this.decoder.decode(pkt, len, now);
      if (type === FEC_TYPE_DATA) this.#learn(pkt, FEC_HEADER_SIZE_PLUS2, len, true);
      for (let i = 0; i < recovered; i++) {
        const r = this.decoder.recovered(i);
        this.#learn(r, 0, r.length, false);
      }
      return;
    }
    this.#learn(b, at, at + len, true);
  }

  #learn(b: Uint8Array, at: number, end: number, regular: boolean): void {
    while (end - at >= KCP_OVERHEAD) {
      const plen = u32(b, at + 20);
      if (end - at - KCP_OVERHEAD < plen) return;
      if (regular) this.peerWnd = b[at + 6] | b[at + 7] << 8;
      const una = u32(b, at + 16);
      while (((una - this.peerUna) | 0) > 0) {
        if (((this.maxSnSent - this.peerUna) | 0) >= 0) {
          this.unackedBytes -= this.lens[this.peerUna & (SEQ_RING - 1)];
        }
        this.peerUna = (this.peerUna + 1) >>> 0;
      }
      at += KCP_OVERHEAD + plen;
    }
  }
}

interface Flow {
  source: Uint8Array;
  sent: number;
  finSent: boolean;
  received: number;
  hash: Hash;
  eof: boolean;
}

interface SimStream {
  sid: number;
  plan: StreamPlan;
  up: Flow;
  down: Flow;
  accepted: boolean;
}

function flow(length: number, seed: number): Flow {
  return {
    source: seededBytes(length, seed),
    sent: 0,
    finSent: false,
    received: 0,
    hash: createHash("sha256"),
    eof: false,
  };
}

class End {
  readonly name: "client" | "server";
  readonly cfg: EndConfig;
  conn: TunnelConnection | undefined;
  deadline = -Infinity;
  readonly snmp = createSnmp();
  readonly dirty = new Set<number>();
  closed: string | undefined;
  closedAt = -1;
  maxBuffered = 0;
  maxStreamWindowUse = 0;
  lastDelivered: Uint8Array | undefined;

  constructor(name: "client" | "server", cfg: EndConfig) {
    this.name = name;
    this.cfg = cfg;
  }
}

/** A running stack simulation. */
export class StackSim {
  readonly opts: StackSimOptions;
  readonly client: End;
  readonly server: End;
  readonly up: LinkDirection;
  readonly down: LinkDirection;
  readonly upView: SenderView;
  readonly downView: SenderView;
  readonly streams: SimStream[] = [];
  readonly bySid = new Map<number, SimStream>();
  readonly violations: string[] = [];
  readonly #writeRng: Prng;
  readonly #junkRng: Prng;
  readonly #rx = new Uint8Array(65536);
  readonly #candidates: PacketCrypt[];
  readonly #pass: Uint8Array;
  readonly #inspect: boolean;
  #clock: number;
  readonly #start: number;
  #simMs = 0;
  #stormDone = false;
  readonly junk = { client: 0, server: 0, accepted: 0 };
  readonly junkAccepted: { kind: JunkKind; flippedByte: number }[] = [];
  outageDrops = 0;
  #flipped = -1;

  constructor(opts: StackSimOptions) {
    this.opts = opts;
    const clientCfg: EndConfig = { ...CLIENT_DEFAULTS, ...opts.client };
    const serverCfg: EndConfig = { ...SERVER_DEFAULTS, ...opts.server };
    this.client = new End("client", clientCfg);
    this.server = new End("server", serverCfg);
    this.#clock = this.#start = opts.startClock ?? 1_000_000;
    this.#inspect = opts.inspect ?? true;
    this.#writeRng = new Prng(opts.seed ^ 0x5a5a5a5a);
    this.#junkRng = new Prng(opts.seed ^ 0x3c3c3c3c);
    this.up = new LinkDirection(opts.up, opts.seed + 3);
    this.down = new LinkDirection(opts.down, opts.seed + 4);
    this.#pass = passFor(opts.key ?? "stack-sim");
    const nonceRng = new Prng(opts.seed ^ 0x77777777);
    const fill = (b: Uint8Array) => nonceRng.fill(b);
    // the server tries every method, as a server started without --crypt does
    const methods = serverCfg.crypt === "auto" ? DETECTION_ORDER : [serverCfg.crypt];
    this.#candidates = methods.map((m) => createPacketCrypt(m, this.#pass, fill));
    const initialSn = opts.initialSn ?? 0;
    this.upView = new SenderView("client", clientCfg, initialSn);
    this.downView = new SenderView("server", serverCfg, initialSn);
    this.upView.outCrypt = createPacketCrypt(clientCfg.crypt, this.#pass, fill);
    this.downView.inCrypt = createPacketCrypt(clientCfg.crypt, this.#pass, fill);

    const conv = (opts.seed * 2654435761) >>> 0;
    const now = this.#now();
    const client = new TunnelConnection(
      {
        ...this.#kcpOptions(clientCfg),
        conv,
        crypt: createPacketCrypt(clientCfg.crypt, this.#pass, fill),
        isClient: true,
        snmp: this.client.snmp,
        compress: clientCfg.compress,
        smux: { ...clientCfg.smux, version: clientCfg.smuxVersion },
      },
      this.#events(this.client),
      now,
    );
    if (opts.initialSn !== undefined) forceSequence(client.session.kcp, opts.initialSn);
    this.client.conn = client;
    this.client.deadline = this.#clock;
    opts.streams.forEach((plan, i) => {
      const sid = client.openStream(now);
      if (sid < 0) throw new Error("Cannot open a stream");
      const s: SimStream = {
        sid,
        plan,
        up: flow(plan.up, opts.seed * 1000 + 2 * i),
        down: flow(plan.down, opts.seed * 1000 + 2 * i + 1),
        accepted: false,
      };
      this.streams.push(s);
      this.bySid.set(sid, s);
    });
  }

  #kcpOptions(cfg: EndConfig) {
    return {
      dataShards: cfg.dataShards,
      parityShards: cfg.parityShards,
      mtu: cfg.mtu,
      sndwnd: cfg.sndwnd,
      rcvwnd: cfg.rcvwnd,
      nodelay: cfg.nodelay,
      interval: cfg.interval,
      resend: cfg.resend,
      nc: cfg.nc,
      ackNoDelay: cfg.ackNoDelay,
      rateControl: this.opts.tunnelDefaults ?? false,
      adaptiveFec: this.opts.tunnelDefaults ?? false,
      rangeAcks: this.opts.tunnelDefaults ?? false,
    };
  }

  #now(): number {
    return this.opts.clockMode === "uint32" ? this.#clock >>> 0 : this.#clock;
  }

  /** Converts a deadline returned for `now` into the simulation clock. */
  #toClock(deadline: number, now: number): number {
    return this.#clock + ((deadline - now) | 0);
  }

  #events(end: End) {
    const isClient = end === this.client;
    return {
      datagram: (b: Uint8Array, n: number) => {
        if (this.#inspect) (isClient ? this.upView : this.downView).sent(b, n, this.violations);
        const o = this.opts.outage;
        if (o !== undefined && this.#simMs >= o.fromMs && this.#simMs < o.toMs) {
          this.outageDrops++;
          return;
        }
        (isClient ? this.up : this.down).send(b.subarray(0, n), this.#clock);
      },
      accept: (sid: number) => {
        const s = this.bySid.get(sid);
        if (isClient || s === undefined) {
          this.violations.push(`${end.name} accepted unexpected stream ${sid}`);
          return;
        }
        s.accepted = true;
        end.dirty.add(sid);
      },
      readable: (sid: number) => end.dirty.add(sid),
      closed: (reason: string) => {
        end.closed = reason;
        end.closedAt = this.#simMs;
      },
    };
  }

  /** A datagram reaching the server before its session exists (lib/tunnel/server.ts). */
  #firstDatagram(pkt: Uint8Array, now: number): void {
    const scratch = new Uint8Array(2048);
    const found = detectCrypt(pkt, pkt.length, this.#candidates, scratch);
    if (found === undefined) {
      this.server.snmp.InCsumErrors++;
      return;
    }
    const off = found.crypt.headerSize;
    const conv = payloadConv(scratch, off, found.payloadLength);
    if (conv === -1) return; // a parity packet cannot open a session
    const cfg = this.server.cfg;
    const conn = new TunnelConnection(
      {
        ...this.#kcpOptions(cfg),
        conv,
        crypt: found.crypt,
        isClient: false,
        snmp: this.server.snmp,
        compress: cfg.compress,
        smux: { ...cfg.smux, version: cfg.smuxVersion },
      },
      this.#events(this.server),
      now,
    );
    if (this.opts.initialSn !== undefined) forceSequence(conn.session.kcp, this.opts.initialSn);
    this.server.conn = conn;
    this.upView.inCrypt = createPacketCrypt(found.crypt.method, this.#pass, () => {});
    this.downView.outCrypt = createPacketCrypt(found.crypt.method, this.#pass, () => {});
    this.server.snmp.InBytes += pkt.length;
    conn.inputPayload(scratch, off, found.payloadLength, now);
    this.#kick(this.server, now);
  }

  /**
   * A deadline returned for `now`, on the simulation clock. With the unbounded clock it is used
   * as returned, as lib/tunnel/driver.ts uses it (`setTimeout(next - now)`), so it must lie in
   * [now, now + 2^31).
   */
  #deadline(end: End, next: number, now: number, what: string): number {
    if (this.opts.clockMode === "uint32") return this.#toClock(next, now);
    if (!(next >= now && next - now < 0x80000000)) {
      this.violations.push(`${end.name} ${what}(${now}) returned deadline ${next}`);
      return this.#clock + 1;
    }
    return next;
  }

  /** After input or a stream call: the driver reschedules from KCP's deadline if earlier. */
  #kick(end: End, now: number): void {
    const conn = end.conn;
    if (conn === undefined) return;
    const t = this.#deadline(end, conn.session.nextDeadline(now), now, "nextDeadline");
    if (t < end.deadline) end.deadline = t;
  }

  #deliver(now: number): void {
    this.up.deliver(this.#clock, (pkt) => {
      this.downView.received(pkt, pkt.length, now); // the server (as sender) learns from these
      this.server.lastDelivered = pkt.slice();
      const conn = this.server.conn;
      if (conn === undefined) return this.#firstDatagram(pkt, now);
      conn.input(pkt, pkt.length, now);
      this.#kick(this.server, now);
    });
    this.down.deliver(this.#clock, (pkt) => {
      this.upView.received(pkt, pkt.length, now);
      this.client.lastDelivered = pkt.slice();
      this.client.conn!.input(pkt, pkt.length, now);
      this.#kick(this.client, now);
    });
  }

  #junkDatagram(end: End, kind: JunkKind): Uint8Array {
    const rng = this.#junkRng;
    this.#flipped = -1;
    const real = end.lastDelivered;
    switch (kind) {
      case "short": {
        const sizes = [0, 1, 7, 8, 11, 12, 19, 20, 23, 24, 27, 28, 31, 32, 35, 36];
        return seededBytes(sizes[rng.int(sizes.length)], rng.next());
      }
      case "oversize":
        return seededBytes(1501 + rng.int(2600), rng.next());
      case "truncated":
        if (real !== undefined && real.length > 1) return real.slice(0, rng.int(real.length));
        return seededBytes(rng.int(64), rng.next());
      case "bitflip": {
        if (real === undefined) return seededBytes(100, rng.next());
        const b = real.slice();
        const bit = rng.int(b.length * 8);
        b[bit >>> 3] ^= 1 << (bit & 7);
        this.#flipped = bit >>> 3;
        return b;
      }
      default:
        return seededBytes(rng.int(MTU_LIMIT + 1), rng.next());
    }
  }

  #storm(now: number): void {
    const storm = this.opts.storm!;
    const kinds = storm.kinds ?? ["random", "short", "oversize", "truncated", "bitflip"];
    for (const end of [this.client, this.server]) {
      const conn = end.conn;
      if (conn === undefined) continue;
      for (let i = 0; i < storm.count; i++) {
        const kind = kinds[i % kinds.length];
        const junk = this.#junkDatagram(end, kind);
        if (conn.input(junk, junk.length, now)) {
          this.junk.accepted++;
          this.junkAccepted.push({ kind, flippedByte: this.#flipped });
        }
        end === this.client ? this.junk.client++ : this.junk.server++;
      }
      this.#kick(end, now);
    }
  }

  #paused(end: End): boolean {
    const p = this.opts.readPause;
    return p !== undefined && p.side === end.name && this.#simMs >= p.fromMs &&
      this.#simMs < p.toMs;
  }

  #read(end: End, now: number): void {
    const conn = end.conn;
    if (conn === undefined || this.#paused(end)) return;
    const rx = this.#rx;
    const isClient = end === this.client;
    while (end.dirty.size > 0) {
      const sid: number = end.dirty.values().next().value!;
      end.dirty.delete(sid);
      const s = this.bySid.get(sid);
      if (s === undefined) continue;
      const f = isClient ? s.down : s.up;
      for (;;) {
        const n = conn.read(sid, rx, now);
        if (n > 0) {
          if (f.eof) this.violations.push(`${end.name} read data after EOF on ${sid}`);
          f.hash.update(rx.subarray(0, n));
          f.received += n;
          continue;
        }
        if (n < 0 && !f.eof) f.eof = true;
        break;
      }
    }
    this.#kick(end, now);
  }

  #write(end: End, now: number): void {
    const conn = end.conn;
    if (conn === undefined || end.closed !== undefined) return;
    const isClient = end === this.client;
    const maxWrite = this.opts.maxWrite ?? 32768;
    const blocked = new Set<number>();
    let progress = true;
    while (progress) {
      progress = false;
      for (const s of this.streams) {
        if (!isClient && !s.accepted) continue;
        const f = isClient ? s.up : s.down;
        if (f.finSent || blocked.has(s.sid)) continue;
        if (s.plan.startAtMs !== undefined && this.#simMs < s.plan.startAtMs) continue;
        const waitsForEof = isClient ? s.plan.clientAfterEof : s.plan.serverAfterEof;
        if (waitsForEof && !(isClient ? s.down.eof : s.up.eof)) continue;
        if (f.sent === f.source.length) {
          conn.closeWrite(s.sid, now);
          f.finSent = true;
          continue;
        }
        if (!conn.canWrite()) return this.#kick(end, now);
        const size = Math.min(1 + this.#writeRng.int(maxWrite), f.source.length - f.sent);
        const n = conn.write(s.sid, f.source.subarray(f.sent, f.sent + size), now);
        if (n < 0) {
          this.violations.push(`${end.name} write on ${s.sid} returned ${n}`);
          f.finSent = true;
          continue;
        }
        if (n === 0) {
          blocked.add(s.sid); // smux v2 window: wait for UPD
          continue;
        }
        f.sent += n;
        progress = true;
      }
    }
    this.#kick(end, now);
  }

  #checkBuffers(end: End): void {
    const smux = end.conn?.smux;
    if (smux === undefined) return;
    if (smux.bufferedBytes > end.maxBuffered) end.maxBuffered = smux.bufferedBytes;
    if (end.conn!.smuxVersion !== 2) return;
    const streams = (smux as unknown as { streams: Map<number, { incr: number; numRead: number }> })
      .streams;
    for (const [sid, st] of streams) {
      const window = st.numRead === 0 ? SMUX_INITIAL_PEER_WINDOW : end.cfg.smux.maxStreamBuffer;
      const use = smux.readableBytes(sid) + st.incr;
      if (use > end.maxStreamWindowUse) end.maxStreamWindowUse = use;
      if (use > window) {
        this.violations.push(`${end.name} stream ${sid} holds ${use} bytes > window ${window}`);
      }
    }
  }

  #done(): boolean {
    for (const s of this.streams) {
      if (!s.up.eof || !s.down.eof || !s.up.finSent || !s.down.finSent) return false;
    }
    return true;
  }

  /** Runs to completion (every flow read to EOF) or `maxSimMs`. */
  run(): StackSimResult {
    const maxSimMs = this.opts.maxSimMs ?? 600_000;
    let steps = 0;
    const ends = [this.client, this.server];
    const untilClosed = this.opts.until === "closed";
    while ((untilClosed || !this.#done()) && this.#simMs <= maxSimMs) {
      steps++;
      const now = this.#now();
      this.#deliver(now);
      const storm = this.opts.storm;
      if (storm !== undefined && !this.#stormDone && this.#simMs >= storm.atMs) {
        this.#stormDone = true;
        this.#storm(now);
      }
      for (const end of ends) this.#read(end, now);
      for (const end of ends) this.#write(end, now);
      for (const end of ends) {
        const conn = end.conn;
        if (conn === undefined || end.closed !== undefined) continue;
        if (this.#clock >= end.deadline) {
          end.deadline = this.#deadline(end, conn.tick(now), now, "tick");
        }
        this.#checkBuffers(end);
      }
      const cc = this.client.closed !== undefined;
      const sc = this.server.closed !== undefined;
      if (untilClosed ? cc && sc : cc || sc) break;
      let next = Math.min(
        this.client.deadline,
        this.server.conn ? this.server.deadline : Infinity,
        Math.ceil(this.up.nextDelivery()),
        Math.ceil(this.down.nextDelivery()),
      );
      if (storm !== undefined && !this.#stormDone) next = Math.min(next, this.#start + storm.atMs);
      const p = this.opts.readPause;
      if (p !== undefined && this.#simMs < p.toMs) next = Math.min(next, this.#start + p.toMs);
      for (const s of this.streams) {
        const at = s.plan.startAtMs;
        if (at !== undefined && this.#simMs < at) next = Math.min(next, this.#start + at);
      }
      this.#clock = Math.max(next, this.#clock + 1);
      this.#simMs = this.#clock - this.#start;
    }
    const result = (f: Flow): FlowResult => ({
      sent: f.sent,
      received: f.received,
      sourceSha256: sha256(f.source),
      receivedSha256: f.hash.copy().digest("hex"),
      eof: f.eof,
    });
    const sc = this.server.conn;
    return {
      completed: this.#done(),
      simMs: this.#simMs,
      steps,
      streams: this.streams.map((s) => ({ sid: s.sid, up: result(s.up), down: result(s.down) })),
      clientSnmp: this.client.snmp,
      serverSnmp: this.server.snmp,
      serverCrypt: sc?.session.crypt.method,
      serverCompress: sc?.compress,
      serverSmuxVersion: sc?.smuxVersion,
      clientClosed: this.client.closed,
      serverClosed: this.server.closed,
      closedAt: { client: this.client.closedAt, server: this.server.closedAt },
      clientStreamsLeft: this.client.conn!.smux?.streamCount ?? -1,
      serverStreamsLeft: sc?.smux?.streamCount ?? -1,
      violations: this.violations,
      up: this.upView.view,
      down: this.downView.view,
      upLink: { ...this.up.stats },
      downLink: { ...this.down.stats },
      maxBuffered: { client: this.client.maxBuffered, server: this.server.maxBuffered },
      maxStreamWindowUse: {
        client: this.client.maxStreamWindowUse,
        server: this.server.maxStreamWindowUse,
      },
      junk: { ...this.junk },
      junkAccepted: this.junkAccepted,
      outageDrops: this.outageDrops,
      nops: {
        client: this.client.conn!.smux?.stats.nopsSent ?? 0,
        server: sc?.smux?.stats.nopsSent ?? 0,
      },
      sndNxt: { client: sndNxt(this.client.conn!), server: sc ? sndNxt(sc) : -1 },
    };
  }
}

function sndNxt(conn: TunnelConnection): number {
  return (conn.session.kcp as unknown as Record<string, number>)["sndNxt"];
}

/** Builds and runs one simulation. */
export function simulateStack(opts: StackSimOptions): StackSimResult {
  return new StackSim(opts).run();
}

/** `n` streams sharing `upTotal`/`downTotal` bytes (sizes differ a little per stream). */
export function evenStreams(n: number, upTotal: number, downTotal: number): StreamPlan[] {
  const plans: StreamPlan[] = [];
  let upLeft = upTotal;
  let downLeft = downTotal;
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const up = last ? upLeft : Math.floor(upTotal / n) + 1000 * (i + 1);
    const down = last ? downLeft : Math.floor(downTotal / n) - 1000 * (i + 1);
    plans.push({ up, down });
    upLeft -= up;
    downLeft -= down;
  }
  return plans;
}
