/**
 * Drives a pure {@link TunnelConnection} with real time: one timer per connection scheduled at
 * the engine's next deadline, promise-based waits for stream readiness, and the pipe that
 * copies between a smux stream and a TCP (or unix) connection with correct half-close.
 *
 * @module
 */

import { type ConnectionOptions, TunnelConnection } from "../session/connection.ts";
import type { Qpp } from "../qpp/qpp.ts";
import { TokenBucket } from "../session/token_bucket.ts";

/** Milliseconds on a monotonic clock (what every engine call gets as `now`). */
export function monotonicNow(): number {
  return Math.floor(performance.now());
}

/** A Deno connection that can half-close. */
export type DuplexConn = Deno.Conn & { closeWrite(): Promise<void> };

/** Callbacks of a driven connection. */
export interface DriverHooks {
  /** Sends a sealed datagram (copy it before returning). */
  send(buf: Uint8Array, length: number): void;
  /** The peer opened a stream. */
  accept?(sid: number): void;
  /** The connection ended. */
  closed?(reason: string): void;
  /** latest kcptun `--ratelimit`: bytes/s of datagrams for this session, 0 = unlimited. */
  rateLimit?: number;
}

/** Datagrams a paced session may hold back before it drops (KCP retransmits them). */
const PACE_QUEUE_MAX = 4096;

interface Waiters {
  read?: () => void;
  write?: () => void;
}

/** Byte counts of one finished pipe. */
export interface PipeResult {
  /** Bytes from the local connection into the stream. */
  sent: number;
  /** Bytes from the stream to the local connection. */
  received: number;
}

const PIPE_READ_SIZE = 32768;
const PIPE_WRITE_SIZE = 65536;

/** A {@link TunnelConnection} with a timer and stream waits. */
export class DrivenConnection {
  /** The engine. */
  readonly tc: TunnelConnection;
  readonly #hooks: DriverHooks;
  readonly #waiters = new Map<number, Waiters>();
  readonly #drainWaiters: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #closed = false;
  readonly #closedPromise: Promise<string>;
  #resolveClosed!: (reason: string) => void;
  /** Streams currently piped. */
  activeStreams = 0;
  /** Datagrams dropped because the `--ratelimit` queue was full. */
  pacedDrops = 0;
  readonly #bucket: TokenBucket | undefined;
  readonly #paced: Uint8Array[] = [];
  #pacedHead = 0;
  #paceTimer: ReturnType<typeof setTimeout> | undefined;

  /** Creates and starts the connection. */
  constructor(options: ConnectionOptions, hooks: DriverHooks) {
    this.#hooks = hooks;
    this.#closedPromise = new Promise((r) => this.#resolveClosed = r);
    const now = monotonicNow();
    if ((hooks.rateLimit ?? 0) > 0) this.#bucket = new TokenBucket(hooks.rateLimit!, now);
    this.tc = new TunnelConnection(options, {
      datagram: this.#bucket === undefined ? (b, n) => hooks.send(b, n) : this.#pacedSend,
      accept: (sid) => hooks.accept?.(sid),
      readable: (sid) => this.#wake(sid, "read"),
      writable: (sid) => this.#wake(sid, "write"),
      drain: () => {
        for (const f of this.#drainWaiters.splice(0)) f();
      },
      closed: (reason) => this.#onClosed(reason),
    }, now);
    this.#schedule(now, now);
  }

  /** Resolves with the reason once the connection has ended. */
  get closed(): Promise<string> {
    return this.#closedPromise;
  }

  /** True once the connection has ended. */
  get isClosed(): boolean {
    return this.#closed;
  }

  #pacedSend = (buf: Uint8Array, length: number): void => {
    const queued = this.#paced.length - this.#pacedHead;
    if (queued === 0 && this.#bucket!.take(length, performance.now())) {
      this.#hooks.send(buf, length);
      return;
    }
    if (queued >= PACE_QUEUE_MAX) {
      this.pacedDrops++;
      return;
    }
    this.#paced.push(buf.slice(0, length));
    if (this.#paceTimer === undefined) this.#schedulePace();
  };

  #schedulePace(): void {
    const next = this.#paced[this.#pacedHead];
    const now = performance.now();
    const at = this.#bucket!.availableAt(next.length, now);
    this.#paceTimer = setTimeout(this.#pace, Math.max(0, Math.ceil(at - now)));
  }

  #pace = (): void => {
    this.#paceTimer = undefined;
    if (this.#closed) return;
    const now = performance.now();
    while (this.#pacedHead < this.#paced.length) {
      const p = this.#paced[this.#pacedHead];
      if (!this.#bucket!.take(p.length, now)) break;
      this.#pacedHead++;
      this.#hooks.send(p, p.length);
    }
    if (this.#pacedHead === this.#paced.length) {
      this.#paced.length = 0;
      this.#pacedHead = 0;
    } else {
      this.#schedulePace();
    }
  };

  #wake(sid: number, kind: "read" | "write"): void {
    const w = this.#waiters.get(sid);
    const f = w?.[kind];
    if (f) {
      w![kind] = undefined;
      f();
    }
  }

  #onClosed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#paceTimer !== undefined) clearTimeout(this.#paceTimer);
    this.#paceTimer = undefined;
    for (const w of this.#waiters.values()) {
      w.read?.();
      w.write?.();
    }
    this.#waiters.clear();
    for (const f of this.#drainWaiters.splice(0)) f();
    this.#hooks.closed?.(reason);
    this.#resolveClosed(reason);
  }

  #schedule(next: number, now: number): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) {
      if (next >= this.#timerAt) return;
      clearTimeout(this.#timer);
    }
    this.#timerAt = next;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, next - now));
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#closed) return;
    const now = monotonicNow();
    const next = this.tc.tick(now);
    this.#schedule(next, now);
  };

  #kick(now: number = monotonicNow()): void {
    this.#schedule(this.tc.session.nextDeadline(now), now);
  }

  /** A datagram from the peer. Returns false if it did not authenticate. */
  input(buf: Uint8Array, length: number): boolean {
    if (this.#closed) return false;
    // one clock read per datagram (each is an op call of about 0.35 µs)
    const now = monotonicNow();
    const ok = this.tc.input(buf, length, now);
    if (ok) this.#kick(now);
    return ok;
  }

  /** An already-decrypted payload. */
  inputPayload(buf: Uint8Array, offset: number, length: number): void {
    if (this.#closed) return;
    const now = monotonicNow();
    this.tc.inputPayload(buf, offset, length, now);
    this.#kick(now);
  }

  /** Opens a stream; -1 if the session cannot open more. */
  openStream(): number {
    const sid = this.tc.openStream(monotonicNow());
    this.#kick();
    return sid;
  }

  #wait(sid: number, kind: "read" | "write"): Promise<void> {
    if (this.#closed) return Promise.resolve();
    let w = this.#waiters.get(sid);
    if (!w) this.#waiters.set(sid, w = {});
    return new Promise((resolve) => w![kind] = resolve);
  }

  #waitDrain(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /**
   * Copies both ways between stream `sid` and `conn` until both directions have ended. EOF on
   * either side is passed on as a half-close (smux FIN, TCP shutdown(SHUT_WR)), so data that
   * was sent before a FIN is always delivered. Never throws.
   */
  async pipe(
    sid: number,
    conn: DuplexConn,
    signal?: AbortSignal,
    qpp?: Qpp,
  ): Promise<PipeResult> {
    this.activeStreams++;
    const result: PipeResult = { sent: 0, received: 0 };
    let broken = false;
    let connClosed = false;
    const closeConn = () => {
      if (connClosed) return;
      connClosed = true;
      try {
        conn.close();
      } catch {
        // already closed
      }
    };
    // a broken pipe (reset, session death, shutdown) ends both directions at once
    const breakPipe = () => {
      if (broken) return;
      broken = true;
      closeConn();
      this.#wake(sid, "read");
      this.#wake(sid, "write");
      // a writer parked on a full KCP queue must not outlive its pipe (shutdown waits on it);
      // other parked writers wake too, re-check the gate and park again
      for (const f of this.#drainWaiters.splice(0)) f();
    };
    const onAbort = () => breakPipe();
    signal?.addEventListener("abort", onAbort, { once: true });
    const onSessionClosed = this.#closedPromise.then(breakPipe);
    // --QPP: each direction of each stream has its own keystream from position 0 (§8.1)
    const qppOut = qpp?.createPrng();
    const qppIn = qpp?.createPrng();
    const up = async () => {
      const buf = new Uint8Array(PIPE_READ_SIZE);
      try {
        while (!broken) {
          const n = await conn.read(buf);
          if (n === null) break;
          if (qppOut !== undefined) qpp!.encrypt(buf, qppOut, 0, n);
          let off = 0;
          let now = -1;
          while (off < n && !broken) {
            if (!this.tc.canWrite()) {
              await this.#waitDrain();
              continue;
            }
            now = monotonicNow();
            const k = this.tc.write(sid, buf.subarray(off, n), now);
            if (k < 0) return breakPipe();
            if (k === 0) {
              await this.#wait(sid, "write");
              continue;
            }
            off += k;
            result.sent += k;
          }
          if (now >= 0) this.#kick(now);
        }
        if (!broken) this.tc.closeWrite(sid, monotonicNow());
      } catch {
        breakPipe();
      }
    };
    const down = async () => {
      const buf = new Uint8Array(PIPE_WRITE_SIZE);
      try {
        while (!broken) {
          const n = this.tc.read(sid, buf, monotonicNow());
          if (n > 0) {
            if (qppIn !== undefined) qpp!.decrypt(buf, qppIn, 0, n);
            let off = 0;
            while (off < n) off += await conn.write(buf.subarray(off, n));
            result.received += n;
            continue;
          }
          if (n < 0) {
            if (!this.#closed) await conn.closeWrite().catch(() => {});
            return;
          }
          await this.#wait(sid, "read");
        }
      } catch {
        breakPipe();
      }
    };
    await Promise.all([up(), down()]);
    signal?.removeEventListener("abort", onAbort);
    void onSessionClosed;
    closeConn();
    if (!this.#closed) {
      this.tc.closeStream(sid, monotonicNow());
      this.#kick();
    }
    this.#waiters.delete(sid);
    this.activeStreams--;
    return result;
  }

  /** Closes the connection and its timer. */
  close(reason = "Closed"): void {
    if (this.#closed) return;
    this.tc.close(reason);
    this.#onClosed(reason);
  }
}

/**
 * Graceful shutdown shared by client and server (the listeners are already closed): streams
 * get until `drainMs` to finish by themselves; whatever is still open then is cut (local
 * connection closed, FIN sent); finally every KCP send queue gets until the same deadline
 * (at least 1 s more) to be acknowledged, so data already inside the tunnel is delivered.
 */
export async function drainAndClose(
  conns: DrivenConnection[],
  pipes: Set<Promise<unknown>>,
  stop: AbortController,
  drainMs: number,
): Promise<void> {
  const deadline = performance.now() + drainMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all([...pipes]),
    new Promise((r) => timer = setTimeout(r, drainMs)),
  ]);
  clearTimeout(timer);
  stop.abort();
  await Promise.all([...pipes]);
  const flushDeadline = Math.max(deadline, performance.now() + 1000);
  while (performance.now() < flushDeadline) {
    const pending = conns.some((c) => !c.isClosed && c.tc.session.kcp.waitSnd() > 0);
    if (!pending) break;
    await new Promise((r) => setTimeout(r, 10));
  }
}
