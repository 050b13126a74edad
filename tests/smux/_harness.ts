/**
 * Test helpers for the smux engine: hex, vectors, a seeded PRNG, an independent frame parser
 * and two sessions joined by a virtual pipe.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { SmuxSession } from "../../lib/smux/session.ts";
import type { SmuxConfig } from "../../lib/smux/config.ts";

/** Hex string → bytes. */
export function hex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes → lowercase hex. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** SHA-256 as hex. */
export function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/** Parses a JSON file under tests/vectors/. */
// deno-lint-ignore no-explicit-any
export function vector(path: string): any {
  return JSON.parse(Deno.readTextFileSync(new URL(`../vectors/${path}`, import.meta.url)));
}

/** Seeded PRNG (mulberry32). */
export class Prng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** Uniform uint32. */
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }
  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

/** A frame as an independent parser sees it. */
export class WireFrame {
  readonly ver: number;
  readonly cmd: number;
  readonly length: number;
  readonly sid: number;
  /** The whole frame (a view). */
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.ver = bytes[0];
    this.cmd = bytes[1];
    this.length = bytes[2] | (bytes[3] << 8);
    this.sid = (bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24)) >>> 0;
  }
  /** The payload (a view). */
  get data(): Uint8Array {
    return this.bytes.subarray(8);
  }
  /** The whole frame as hex. */
  get frame(): string {
    return toHex(this.bytes);
  }
}

/**
 * Splits whole frames (as `output` emits them). Throws if the bytes do not end on a frame
 * boundary: `output` must only ever emit whole frames.
 */
export function parseFrames(b: Uint8Array): WireFrame[] {
  const out: WireFrame[] = [];
  let o = 0;
  while (o < b.length) {
    if (b.length - o < 8) throw new Error(`Partial header at ${o}`);
    const length = b[o + 2] | (b[o + 3] << 8);
    if (b.length - o - 8 < length) throw new Error(`Partial payload at ${o}`);
    out.push(new WireFrame(b.subarray(o, o + 8 + length)));
    o += 8 + length;
  }
  return out;
}

/** One side of a {@linkcode Pair}: the session plus everything its callbacks reported. */
export interface Side {
  name: "client" | "server";
  session: SmuxSession;
  accepted: number[];
  readable: Set<number>;
  writable: number[];
  closed: string[];
  /** Bytes emitted and not yet delivered to the peer. */
  queue: Uint8Array[];
  /** Called for each `writable` event (default: nothing). */
  onWritable?: (sid: number) => void;
  /** Called for each `readable` event (default: nothing). */
  onReadable?: (sid: number) => void;
}

/** A frame on the virtual wire, in emission order. */
export interface Logged {
  writer: "client" | "server";
  ver: number;
  cmd: number;
  length: number;
  sid: number;
  data: Uint8Array;
  frame: string;
}

/** Options of {@linkcode Pair}. */
export interface PairOptions {
  /** Split deliveries at random points (seeded). */
  chunkRng?: Prng;
  /** Deliver to `to` only while this returns true (backpressure). */
  gate?: (to: Side) => boolean;
  /** Called for each frame as it is emitted. */
  onFrame?: (f: Logged) => void;
  /** Called for each whole frame once all its bytes were delivered to `to`. */
  onDeliver?: (to: Side, f: WireFrame) => void;
}

/** Reassembles whole frames from arbitrarily chunked bytes. */
export class FrameAccumulator {
  #buf: Uint8Array = new Uint8Array(0);
  /** Adds bytes; returns the frames completed by them. */
  push(b: Uint8Array): WireFrame[] {
    const all = concat([this.#buf, b]);
    let o = 0;
    while (all.length - o >= 8) {
      const len = all[o + 2] | (all[o + 3] << 8);
      if (all.length - o < 8 + len) break;
      o += 8 + len;
    }
    this.#buf = all.slice(o);
    return parseFrames(all.subarray(0, o));
  }
}

/** Two sessions joined by a virtual, in-order, queued pipe with a virtual clock. */
export class Pair {
  readonly client: Side;
  readonly server: Side;
  readonly log: Logged[] = [];
  now = 0;
  #opts: PairOptions;
  #acc = new Map<Side, FrameAccumulator>();

  constructor(clientCfg: SmuxConfig, serverCfg: SmuxConfig, opts: PairOptions = {}) {
    this.#opts = opts;
    this.client = this.#side("client", clientCfg);
    this.server = this.#side("server", serverCfg);
  }

  #side(name: "client" | "server", cfg: SmuxConfig): Side {
    const side = {
      name,
      accepted: [],
      readable: new Set(),
      writable: [],
      closed: [],
      queue: [],
    } as unknown as Side;
    side.session = new SmuxSession(name === "client", cfg, {
      output: (bytes) => {
        const copy = bytes.slice();
        side.queue.push(copy);
        for (const f of parseFrames(copy)) {
          const logged = Object.assign(f, { writer: name }) as unknown as Logged;
          this.log.push(logged);
          this.#opts.onFrame?.(logged);
        }
      },
      accept: (sid) => side.accepted.push(sid),
      readable: (sid) => {
        side.readable.add(sid);
        side.onReadable?.(sid);
      },
      writable: (sid) => {
        side.writable.push(sid);
        side.onWritable?.(sid);
      },
      closed: (reason) => side.closed.push(reason),
    }, this.now);
    return side;
  }

  /** The other side. */
  peer(side: Side): Side {
    return side === this.client ? this.server : this.client;
  }

  /**
   * Delivers queued bytes in both directions until both queues are empty (or gated).
   * Returns the number of bytes delivered.
   */
  pump(): number {
    let total = 0;
    for (;;) {
      const moved = this.#deliver(this.client, this.server) +
        this.#deliver(this.server, this.client);
      if (moved === 0) return total;
      total += moved;
    }
  }

  #deliver(from: Side, to: Side): number {
    let moved = 0;
    while (from.queue.length > 0) {
      if (this.#opts.gate && !this.#opts.gate(to)) break;
      let chunk = from.queue[0];
      const rng = this.#opts.chunkRng;
      if (rng && chunk.length > 1 && rng.int(0, 2) !== 0) {
        const cut = rng.int(1, chunk.length - 1);
        from.queue[0] = chunk.subarray(cut);
        chunk = chunk.subarray(0, cut);
      } else {
        from.queue.shift();
      }
      moved += chunk.length;
      if (this.#opts.onDeliver) {
        // Reported before the session sees them, so a monitor never lags the session.
        let acc = this.#acc.get(to);
        if (!acc) this.#acc.set(to, acc = new FrameAccumulator());
        for (const f of acc.push(chunk)) this.#opts.onDeliver(to, f);
      }
      to.session.input(chunk, this.now);
    }
    return moved;
  }

  /** Frames written by one side, as hex. */
  framesBy(writer: "client" | "server"): string[] {
    return this.log.filter((f) => f.writer === writer).map((f) => f.frame);
  }
}

/** Reads everything currently readable on `sid`; returns the bytes and the last read result. */
export function drain(
  s: SmuxSession,
  sid: number,
  dstSize = 65536,
  now = 0,
): { data: Uint8Array; last: number } {
  const parts: Uint8Array[] = [];
  const dst = new Uint8Array(dstSize);
  for (;;) {
    const n = s.read(sid, dst, now);
    if (n <= 0) return { data: concat(parts), last: n };
    parts.push(dst.slice(0, n));
  }
}
