/**
 * Test helper: two {@linkcode Kcp} endpoints joined by two seeded {@linkcode LinkDirection}s,
 * driven by a virtual clock that jumps to the earliest of both engines' `check()` deadlines and
 * the next packet delivery. No real time, no sleeps; same options → same run.
 *
 * Every packet on the wire is parsed and checked on the way out: PUSH segments that are new
 * must lie inside min(sndwnd, rmt_wnd[, cwnd]) of the sender's snd_una, where snd_una and
 * rmt_wnd are reconstructed from what the sender was actually delivered.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { CMD_PUSH, Kcp, KCP_OVERHEAD, type KcpOptions } from "../../lib/kcp/kcp.ts";
import { decodeKcpHeader, type KcpHeader } from "../../lib/kcp/header.ts";
import { LinkDirection, type LinkProfile } from "../../lib/link/link.ts";
import { Prng } from "../../lib/link/prng.ts";
import { seededBytes, sha256 } from "../_helpers/bytes.ts";

/** Per-endpoint configuration. */
export interface EndpointConfig {
  nodelay: number;
  interval: number;
  resend: number;
  nc: number;
  sndwnd: number;
  rcvwnd: number;
  /** Whole datagram budget incl. reserved. @default 1350 */
  mtu?: number;
  ackNoDelay?: boolean;
  /** Engine options (reserved, tailroom, bigEndian, probeInit). */
  options?: KcpOptions;
}

/** Receiver read pause: `side` stops calling recv during [fromMs, toMs) of simulated time. */
export interface ReadPause {
  side: "a" | "b";
  fromMs: number;
  toMs: number;
}

/** One simulation. Times are simulated ms relative to `startClock`. */
export interface SimOptions {
  a: EndpointConfig;
  b: EndpointConfig;
  linkAB: LinkProfile;
  linkBA: LinkProfile;
  seed: number;
  bytesAB: number;
  bytesBA: number;
  /** Absolute clock at the start; passed to the engines as `clock >>> 0`. @default 1_000_000 */
  startClock?: number;
  /** Force both sides' first sequence number (test-only hook on private fields). */
  initialSn?: number;
  conv?: number;
  /** Abort (and report incomplete) after this much simulated time. @default 600_000 */
  maxSimMs?: number;
  /** Largest single `send` call; sizes are drawn 1..maxWrite. @default 8192 */
  maxWrite?: number;
  readPause?: ReadPause;
  /** Called for every packet an endpoint emits (KCP bytes only), before the link sees it. */
  tap?: (from: "a" | "b", pkt: Uint8Array, simMs: number) => void;
  /** Called after every step. */
  onStep?: (sim: Sim, simMs: number) => void;
  /** Called once, after both engines are built and before the first step. */
  setup?: (sim: Sim) => void;
}

/** Outcome of one direction. */
export interface DirectionResult {
  sent: number;
  received: number;
  sourceSha256: string;
  receivedSha256: string;
  /** Largest number of new-sn segments seen in flight (sn − reconstructed snd_una + 1). */
  maxInFlight: number;
}

/** Outcome of a simulation. */
export interface SimResult {
  completed: boolean;
  simMs: number;
  steps: number;
  ab: DirectionResult;
  ba: DirectionResult;
  windowViolations: string[];
}

/** Force a fresh engine's send and receive sequence numbers (test-only, private fields). */
export function forceSequence(kcp: Kcp, sn: number): void {
  const k = kcp as unknown as Record<string, number>;
  k["sndUna"] = sn >>> 0;
  k["sndNxt"] = sn >>> 0;
  k["rcvNxt"] = sn >>> 0;
}

/** Build an engine from a config (stream mode, as kcptun). */
export function makeKcp(
  conv: number,
  cfg: EndpointConfig,
  output: (buf: Uint8Array, size: number) => void,
): Kcp {
  const kcp = new Kcp(conv, output, cfg.options);
  if (!kcp.setMtu(cfg.mtu ?? 1350)) throw new RangeError("Bad mtu in test config");
  kcp.setNoDelay(cfg.nodelay, cfg.interval, cfg.resend, cfg.nc);
  kcp.setWindowSize(cfg.sndwnd, cfg.rcvwnd);
  kcp.streamMode = true;
  kcp.ackNoDelay = cfg.ackNoDelay ?? false;
  return kcp;
}

class Side {
  readonly name: "a" | "b";
  readonly cfg: EndpointConfig;
  kcp!: Kcp;
  readonly source: Uint8Array;
  sentBytes = 0;
  receivedBytes = 0;
  readonly hash = createHash("sha256");
  /** What this side learned from the peer (reconstructed from delivered packets). */
  peerUna: number;
  peerWnd: number;
  maxSnSent: number;
  maxInFlight = 0;

  constructor(name: "a" | "b", cfg: EndpointConfig, source: Uint8Array, initialSn: number) {
    this.name = name;
    this.cfg = cfg;
    this.source = source;
    this.peerUna = initialSn >>> 0;
    this.peerWnd = 32; // IKCP_WND_RCV until the peer says otherwise
    this.maxSnSent = (initialSn - 1) >>> 0;
  }
}

/** A running simulation (exposed to `onStep`). */
export class Sim {
  readonly a: Side;
  readonly b: Side;
  readonly ab: LinkDirection;
  readonly ba: LinkDirection;
  readonly violations: string[] = [];
  private readonly hdr: KcpHeader = {
    conv: 0,
    cmd: 0,
    frg: 0,
    wnd: 0,
    ts: 0,
    sn: 0,
    una: 0,
    len: 0,
  };
  private readonly opts: SimOptions;
  private readonly be: { a: boolean; b: boolean };
  private readonly reserved: { a: number; b: number };
  private readonly writeRng: Prng;
  private readonly readBuf = new Uint8Array(65536);
  private simMs = 0;
  private clock: number;

  constructor(opts: SimOptions) {
    this.opts = opts;
    const conv = opts.conv ?? 0x01020304;
    const initialSn = opts.initialSn ?? 0;
    this.clock = opts.startClock ?? 1_000_000;
    this.writeRng = new Prng(opts.seed ^ 0x5a5a5a5a);
    this.a = new Side("a", opts.a, seededBytes(opts.bytesAB, opts.seed + 1), initialSn);
    this.b = new Side("b", opts.b, seededBytes(opts.bytesBA, opts.seed + 2), initialSn);
    this.ab = new LinkDirection(opts.linkAB, opts.seed + 3);
    this.ba = new LinkDirection(opts.linkBA, opts.seed + 4);
    this.be = { a: opts.a.options?.bigEndian ?? false, b: opts.b.options?.bigEndian ?? false };
    this.reserved = { a: opts.a.options?.reserved ?? 0, b: opts.b.options?.reserved ?? 0 };
    this.a.kcp = makeKcp(conv, opts.a, (buf, size) => this.onOutput(this.a, buf, size));
    this.b.kcp = makeKcp(conv, opts.b, (buf, size) => this.onOutput(this.b, buf, size));
    if (opts.initialSn !== undefined) {
      forceSequence(this.a.kcp, initialSn);
      forceSequence(this.b.kcp, initialSn);
    }
    opts.setup?.(this);
  }

  /** Simulated ms since start. */
  get elapsed(): number {
    return this.simMs;
  }

  private now32(): number {
    return this.clock >>> 0;
  }

  private onOutput(side: Side, buf: Uint8Array, size: number): void {
    const reserved = this.reserved[side.name];
    const pkt = buf.slice(reserved, size);
    this.inspectOutgoing(side, pkt);
    this.opts.tap?.(side.name, pkt, this.simMs);
    (side === this.a ? this.ab : this.ba).send(pkt, this.clock);
  }

  private inspectOutgoing(side: Side, pkt: Uint8Array): void {
    const h = this.hdr;
    const be = this.be[side.name];
    const kcp = side.kcp;
    let off = 0;
    while (decodeKcpHeader(pkt, off, h, be)) {
      if (h.cmd === CMD_PUSH && ((h.sn - side.maxSnSent) | 0) > 0) {
        side.maxSnSent = h.sn;
        let wnd = Math.min(kcp.sndWnd, side.peerWnd);
        if (side.cfg.nc === 0) wnd = Math.min(wnd, kcp.cwnd);
        const inFlight = ((h.sn - side.peerUna) | 0) + 1;
        if (inFlight > side.maxInFlight) side.maxInFlight = inFlight;
        if (inFlight > wnd) {
          this.violations.push(
            `${side.name} sent sn ${h.sn} with una ${side.peerUna}: ${inFlight} in flight > window ${wnd}`,
          );
        }
      }
      off += KCP_OVERHEAD + h.len;
    }
  }

  private learnIncoming(side: Side, pkt: Uint8Array): void {
    const h = this.hdr;
    const be = this.be[side.name];
    let off = 0;
    while (decodeKcpHeader(pkt, off, h, be)) {
      side.peerWnd = h.wnd;
      if (((h.una - side.peerUna) | 0) > 0) side.peerUna = h.una;
      off += KCP_OVERHEAD + h.len;
    }
  }

  private deliverTo(side: Side, link: LinkDirection): void {
    const now = this.now32();
    link.deliver(this.clock, (pkt) => {
      this.learnIncoming(side, pkt);
      const r = side.kcp.input(pkt, true, now);
      if (r !== 0) this.violations.push(`${side.name} input returned ${r}`);
    });
  }

  private read(side: Side): void {
    const p = this.opts.readPause;
    if (p && p.side === side.name && this.simMs >= p.fromMs && this.simMs < p.toMs) return;
    const buf = this.readBuf;
    for (;;) {
      const n = side.kcp.recv(buf);
      if (n < 0) break;
      side.hash.update(buf.subarray(0, n));
      side.receivedBytes += n;
    }
  }

  private write(side: Side): void {
    const kcp = side.kcp;
    const src = side.source;
    const maxWrite = this.opts.maxWrite ?? 8192;
    let wrote = false;
    while (side.sentBytes < src.length) {
      const w = kcp.waitSnd();
      if (w >= kcp.sndWnd || w >= kcp.rmtWnd) break; // kcp-go's write gate
      const n = Math.min(1 + this.writeRng.int(maxWrite), src.length - side.sentBytes);
      if (kcp.send(src.subarray(side.sentBytes, side.sentBytes + n)) !== 0) {
        throw new Error("send failed");
      }
      side.sentBytes += n;
      wrote = true;
    }
    if (wrote) kcp.flush(this.now32()); // write delay off, as kcptun
  }

  private done(): boolean {
    return this.b.receivedBytes === this.a.source.length &&
      this.a.receivedBytes === this.b.source.length;
  }

  /** Run to completion (or `maxSimMs`). */
  run(): SimResult {
    const maxSimMs = this.opts.maxSimMs ?? 600_000;
    const start = this.clock;
    let steps = 0;
    while (!this.done() && this.simMs <= maxSimMs) {
      steps++;
      this.deliverTo(this.b, this.ab);
      this.deliverTo(this.a, this.ba);
      this.read(this.a);
      this.read(this.b);
      this.write(this.a);
      this.write(this.b);
      const now = this.now32();
      this.a.kcp.update(now);
      this.b.kcp.update(now);
      this.opts.onStep?.(this, this.simMs);
      let next = Math.min(
        this.clock + ((this.a.kcp.check(now) - now) | 0),
        this.clock + ((this.b.kcp.check(now) - now) | 0),
        Math.ceil(this.ab.nextDelivery()),
        Math.ceil(this.ba.nextDelivery()),
      );
      const p = this.opts.readPause;
      if (p && this.simMs < p.toMs) next = Math.min(next, start + p.toMs);
      this.clock = Math.max(next, this.clock + 1);
      this.simMs = this.clock - start;
    }
    const result = (from: Side, to: Side): DirectionResult => ({
      sent: from.source.length,
      received: to.receivedBytes,
      sourceSha256: sha256(from.source),
      receivedSha256: to.hash.copy().digest("hex"),
      maxInFlight: from.maxInFlight,
    });
    return {
      completed: this.done(),
      simMs: this.simMs,
      steps,
      ab: result(this.a, this.b),
      ba: result(this.b, this.a),
      windowViolations: this.violations,
    };
  }
}

/** Convenience: build and run. */
export function simulate(opts: SimOptions): SimResult {
  return new Sim(opts).run();
}
