/**
 * Test helpers for the smux engine: two sessions joined by a virtual pipe, and draining a
 * stream. Frames on the pipe are read with the independent parser of tests/_helpers.
 *
 * @module
 */

import { SmuxSession } from "../../lib/smux/session.ts";
import type { SmuxConfig } from "../../lib/smux/config.ts";
import { concat } from "../_helpers/bytes.ts";
import type { Mulberry32 } from "../_helpers/rng.ts";
import { FrameAccumulator, parseFrames, type WireFrame } from "../_helpers/smux_frames.ts";

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
  chunkRng?: Mulberry32;
  /** Deliver to `to` only while this returns true (backpressure). */
  gate?: (to: Side) => boolean;
  /** Called for each frame as it is emitted. */
  onFrame?: (f: Logged) => void;
  /** Called for each whole frame once all its bytes were delivered to `to`. */
  onDeliver?: (to: Side, f: WireFrame) => void;
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
      if (rng && chunk.length > 1 && rng.inRange(0, 2) !== 0) {
        const cut = rng.inRange(1, chunk.length - 1);
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
