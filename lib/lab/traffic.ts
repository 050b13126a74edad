/**
 * The traffic of a lab or benchmark run: one TCP connection through the tunnel, one end sending
 * random bytes (a seeded pattern, cycled) until a byte count or a deadline, the other reading
 * to EOF, both hashing what passed so delivery is checked by sha-256. Deno adapter.
 *
 * @example
 * ```ts ignore
 * import { connectLocal, listenTarget, makePattern, receiveSide, sendSide } from "./traffic.ts";
 *
 * const target = listenTarget();
 * const app = await connectLocal(target.port, 1000);
 * const far = await target.accepted;
 * const meter = { received: 0 };
 * const [sent, got] = await Promise.all([
 *   sendSide(app, makePattern(1), { bytes: 1_000_000 }),
 *   receiveSide(far, meter),
 * ]);
 * console.log(sent.sha256 === got.sha256);
 * far.close();
 * app.close();
 * ```
 *
 * @module
 */

import { createHash } from "node:crypto";
import { Prng } from "../link/prng.ts";

/** Bytes per write and per read. */
const CHUNK = 65536;
/** Pattern length: a multiple of CHUNK, far beyond snappy's 64 KiB block, so nothing compresses. */
const PATTERN_BYTES = 16 * CHUNK;

/** When the sender stops. */
export interface SendPlan {
  /** Stop after this many bytes. */
  bytes?: number;
  /** Stop this many ms after the first write (checked between writes). */
  durationMs?: number;
  /** Stop early (as if the deadline had passed). */
  signal?: AbortSignal;
}

/** What one end of the connection did. */
export interface SideResult {
  /** Bytes written (sender) or read (receiver). */
  bytes: number;
  /** Hex sha-256 of those bytes. */
  sha256: string;
  /** performance.now() of the first byte, or NaN. */
  firstAt: number;
  /** performance.now() when the side finished (sender: after half-close; receiver: EOF). */
  endAt: number;
  /** Set when the connection failed before the end. */
  error?: string;
}

/** Live count of bytes the receiving end has read, for progress. */
export interface Meter {
  /** Bytes read so far. */
  received: number;
}

/** A seeded random pattern of PATTERN_BYTES bytes. */
export function makePattern(seed: number): Uint8Array {
  const out = new Uint8Array(PATTERN_BYTES);
  new Prng(seed).fill(out);
  return out;
}

/** Writes the pattern cyclically until the plan says stop, then half-closes. Never throws. */
export async function sendSide(
  conn: Deno.TcpConn,
  pattern: Uint8Array,
  plan: SendPlan,
): Promise<SideResult> {
  const hash = createHash("sha256");
  let bytes = 0;
  let firstAt = NaN;
  let error: string | undefined;
  let at = 0;
  const until = plan.durationMs === undefined ? Infinity : performance.now() + plan.durationMs;
  try {
    for (;;) {
      if (plan.signal?.aborted) break;
      if (performance.now() >= until) break;
      let n = CHUNK;
      if (plan.bytes !== undefined) {
        if (bytes >= plan.bytes) break;
        n = Math.min(n, plan.bytes - bytes);
      }
      const chunk = pattern.subarray(at, at + n);
      let off = 0;
      while (off < n) off += await conn.write(chunk.subarray(off));
      if (bytes === 0) firstAt = performance.now();
      hash.update(chunk);
      bytes += n;
      at = (at + n) % pattern.length;
    }
    await conn.closeWrite();
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  return { bytes, sha256: hash.digest("hex"), firstAt, endAt: performance.now(), error };
}

/** Reads to EOF, counting into `meter`. Never throws. */
export async function receiveSide(conn: Deno.TcpConn, meter: Meter): Promise<SideResult> {
  const hash = createHash("sha256");
  const buf = new Uint8Array(CHUNK);
  let bytes = 0;
  let firstAt = NaN;
  let error: string | undefined;
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      if (bytes === 0) firstAt = performance.now();
      hash.update(buf.subarray(0, n));
      bytes += n;
      meter.received = bytes;
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  return { bytes, sha256: hash.digest("hex"), firstAt, endAt: performance.now(), error };
}

/** A TCP listener for the one connection of a run (the tunnel server's target). */
export interface TrafficTarget {
  /** The listening port on 127.0.0.1. */
  readonly port: number;
  /** The accepted connection. */
  readonly accepted: Promise<Deno.TcpConn>;
  /** Stops listening (an accepted connection stays open). */
  close(): void;
}

/** Listens on 127.0.0.1 (ephemeral port) and accepts exactly one connection. */
export function listenTarget(): TrafficTarget {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      listener.close();
    } catch {
      // already closed
    }
  };
  const accepted = listener.accept().finally(close);
  // a rejection after close (no connection ever came) is handled by whoever awaits
  accepted.catch(() => {});
  return { port: (listener.addr as Deno.NetAddr).port, accepted, close };
}

/** Connects to 127.0.0.1:port, retrying while nothing listens yet (a peer still starting). */
export async function connectLocal(port: number, timeoutMs: number): Promise<Deno.TcpConn> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await Deno.connect({ hostname: "127.0.0.1", port });
    } catch (err) {
      if (performance.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Closes a connection, ignoring "already closed". */
export function closeQuietly(conn: Deno.Conn | undefined): void {
  try {
    conn?.close();
  } catch {
    // already closed
  }
}
