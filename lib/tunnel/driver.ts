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
import {
  coalesceMs,
  EV_ERR,
  EV_HUP,
  EV_IN,
  EV_OUT,
  LoopTimer,
  NativeLoop,
  WOULD_BLOCK,
} from "./_native_loop.ts";

/** Milliseconds on a monotonic clock (what every engine call gets as `now`). */
export function monotonicNow(): number {
  return Math.floor(performance.now());
}

/**
 * The clock for a received datagram: one read per batch of the own loop
 * ({@link NativeLoop.turnNow}), else {@link monotonicNow}.
 */
function datagramNow(): number {
  return NativeLoop.inside ? Math.floor(NativeLoop.turnNow()) : monotonicNow();
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
  /** A native pipe's pump, run at the end of the loop iteration instead of a promise. */
  readSync?: () => void;
  writeSync?: () => void;
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
/** How often (ms) a connection re-decides its receive-coalescing request from its arrival rate. */
const ARRIVAL_WINDOW_MS = 250;

/** A {@link TunnelConnection} with a timer and stream waits. */
export class DrivenConnection {
  /** The engine. */
  readonly tc: TunnelConnection;
  readonly #hooks: DriverHooks;
  readonly #waiters = new Map<number, Waiters>();
  /** Writers parked on the KCP queue's gate, woken in order by {@link DrivenConnection.#drained}. */
  readonly #drainWaiters: (() => void)[] = [];
  /** Writers re-parked since the last drain that found the gate shut before writing anything. */
  #starvedAhead = 0;
  #timer: ReturnType<typeof setTimeout> | LoopTimer | undefined;
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
  #paceTimer: ReturnType<typeof setTimeout> | LoopTimer | undefined;
  /** The tunnel's own loop when it runs (timers and TCP pipes go through it), else undefined. */
  readonly #loop: NativeLoop | undefined;
  /** The receive-coalescing sleep this connection asks of the loop (ms), -1 once closed. */
  #coalesce = 0;
  /** Datagrams in since {@link DrivenConnection.#arrivalsSince} (for the coalescing request). */
  #arrivals = 0;
  #arrivalsSince = 0;

  /** Creates and starts the connection. */
  constructor(options: ConnectionOptions, hooks: DriverHooks) {
    this.#hooks = hooks;
    this.#loop = NativeLoop.get();
    this.#loop?.coalesce(-1, 0);
    this.#closedPromise = new Promise((r) => this.#resolveClosed = r);
    const now = monotonicNow();
    if ((hooks.rateLimit ?? 0) > 0) this.#bucket = new TokenBucket(hooks.rateLimit!, now);
    this.tc = new TunnelConnection(options, {
      datagram: this.#bucket === undefined ? (b, n) => hooks.send(b, n) : this.#pacedSend,
      accept: (sid) => {
        // the hook starts async work (a connect, a pipe): let Deno's loop run it
        NativeLoop.dirty = true;
        hooks.accept?.(sid);
      },
      readable: (sid) => this.#wake(sid, "read"),
      writable: (sid) => this.#wake(sid, "write"),
      drain: () => this.#drained(),
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
    this.#paceTimer = this.#setTimer(this.#pace, Math.max(now, at), now);
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

  /** A timer at `at` (ms, `performance.now()` clock) on the own loop or Deno's. */
  #setTimer(run: () => void, at: number, now: number): ReturnType<typeof setTimeout> | LoopTimer {
    if (this.#loop !== undefined) return this.#loop.timer(at, run);
    return setTimeout(run, Math.max(0, Math.ceil(at - now)));
  }

  #clearTimer(t: ReturnType<typeof setTimeout> | LoopTimer | undefined): void {
    if (t instanceof LoopTimer) t.cancel();
    else if (t !== undefined) clearTimeout(t);
  }

  /**
   * Runs a native pipe's pump soon, never inside the engine's own callback (the pump calls the
   * engine again): at the end of the loop iteration, or as a microtask.
   */
  #defer(f: () => void): void {
    if (NativeLoop.inside && this.#loop !== undefined) {
      this.#loop.after(f);
    } else {
      NativeLoop.dirty = true;
      queueMicrotask(f);
    }
  }

  #drained(): void {
    if (this.#drainWaiters.length === 0) return; // the common case: called on every drain
    this.#starvedAhead = 0;
    for (const f of this.#drainWaiters.splice(0)) f();
  }

  /**
   * Parks a writer until the KCP queue drains. A drain wakes every parked writer in order, and the
   * first one may fill the queue again; `starved` says this one was woken by the last drain and
   * found the gate shut before writing anything. Such writers go ahead of the ones that wrote (in
   * the order they park), so the next drain serves them first: streams take turns, and a small
   * stream beside a bulk one waits a drain or two, not until the bulk stream runs dry.
   */
  #parkWriter(f: () => void, starved: boolean): void {
    if (starved) this.#drainWaiters.splice(this.#starvedAhead++, 0, f);
    else this.#drainWaiters.push(f);
  }

  #wake(sid: number, kind: "read" | "write"): void {
    const w = this.#waiters.get(sid);
    if (w === undefined) return;
    const sync = kind === "read" ? w.readSync : w.writeSync;
    if (sync !== undefined) {
      if (kind === "read") w.readSync = undefined;
      else w.writeSync = undefined;
      this.#defer(sync);
      return;
    }
    const f = w[kind];
    if (f) {
      w[kind] = undefined;
      NativeLoop.dirty = true;
      f();
    }
  }

  #onClosed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    NativeLoop.dirty = true;
    this.#loop?.coalesce(this.#coalesce, -1);
    this.#coalesce = -1;
    this.#clearTimer(this.#timer);
    this.#timer = undefined;
    this.#clearTimer(this.#paceTimer);
    this.#paceTimer = undefined;
    for (const w of this.#waiters.values()) {
      w.read?.();
      w.write?.();
      if (w.readSync !== undefined) this.#defer(w.readSync);
      if (w.writeSync !== undefined) this.#defer(w.writeSync);
    }
    this.#waiters.clear();
    this.#drained();
    this.#hooks.closed?.(reason);
    this.#resolveClosed(reason);
  }

  #schedule(next: number, now: number): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) {
      if (next >= this.#timerAt) return;
      this.#clearTimer(this.#timer);
    }
    this.#timerAt = next;
    this.#timer = this.#setTimer(this.#onTimer, next, now);
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#closed) return;
    const now = monotonicNow();
    const next = this.tc.tick(now);
    if (this.#loop !== undefined && now - this.#arrivalsSince >= ARRIVAL_WINDOW_MS) {
      const ms = coalesceMs(this.tc.session.kcp.srtt, this.#arrivals / (now - this.#arrivalsSince));
      this.#arrivals = 0;
      this.#arrivalsSince = now;
      if (ms !== this.#coalesce && !this.#closed) {
        this.#loop.coalesce(this.#coalesce, ms);
        this.#coalesce = ms;
      }
    }
    this.#schedule(next, now);
  };

  #kick(now: number = monotonicNow()): void {
    this.#schedule(this.tc.session.nextDeadline(now), now);
  }

  /** A datagram from the peer. Returns false if it did not authenticate. */
  input(buf: Uint8Array, length: number): boolean {
    if (this.#closed) return false;
    const now = datagramNow();
    this.#arrivals++;
    const ok = this.tc.input(buf, length, now);
    if (ok) this.#kick(now);
    return ok;
  }

  /** An already-decrypted payload. */
  inputPayload(buf: Uint8Array, offset: number, length: number): void {
    if (this.#closed) return;
    const now = datagramNow();
    this.#arrivals++;
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

  /** {@link DrivenConnection.#parkWriter} for a writer on Deno's loop. */
  #waitDrain(starved: boolean): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) =>
      this.#parkWriter(() => {
        NativeLoop.dirty = true; // the writer continues on Deno's loop
        resolve();
      }, starved)
    );
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
    const loop = this.#loop;
    if (loop !== undefined && conn.remoteAddr.transport === "tcp") {
      const fd = loop.findTcpFd(conn.localAddr as Deno.NetAddr, conn.remoteAddr as Deno.NetAddr);
      if (fd >= 0) return this.#pipeNative(loop, fd, sid, conn, signal, qpp);
    }
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
      this.#drained();
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
          let woken = false;
          while (off < n && !broken) {
            if (!this.tc.canWrite()) {
              await this.#waitDrain(woken);
              woken = true;
              continue;
            }
            woken = false;
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
    this.#pipeEnded(sid);
    return result;
  }

  /** A pipe's last step: the stream is closed (unless the session is) and forgotten. */
  #pipeEnded(sid: number): void {
    if (!this.#closed) {
      this.tc.closeStream(sid, monotonicNow());
      this.#kick();
    }
    this.#waiters.delete(sid);
    this.activeStreams--;
  }

  /**
   * {@link DrivenConnection.pipe} on the own loop: the TCP descriptor leaves Deno's epoll, and
   * both directions are pumped synchronously with `read(2)`/`write(2)` from the loop's
   * readiness events and the engine's stream events (deferred to the end of the loop
   * iteration). Same semantics: half-close both ways, a broken pipe ends both directions.
   */
  async #pipeNative(
    loop: NativeLoop,
    fd: number,
    sid: number,
    conn: DuplexConn,
    signal?: AbortSignal,
    qpp?: Qpp,
  ): Promise<PipeResult> {
    this.activeStreams++;
    loop.detach(fd);
    const result: PipeResult = { sent: 0, received: 0 };
    const qppOut = qpp?.createPrng();
    const qppIn = qpp?.createPrng();
    const up = new Uint8Array(PIPE_READ_SIZE);
    let upOff = 0;
    let upLen = 0;
    /** Local EOF passed on as a FIN (or the pipe broke). */
    let upDone = false;
    /** The up direction waits for the descriptor to become readable. */
    let upOnFd = false;
    const down = new Uint8Array(PIPE_WRITE_SIZE);
    let downOff = 0;
    let downLen = 0;
    let downDone = false;
    let downOnFd = false;
    let broken = false;
    let finished = false;
    let interest = -1;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => resolveDone = r);

    const onFd = (events: number): void => {
      const bad = (events & (EV_ERR | EV_HUP)) !== 0;
      if (upOnFd && ((events & EV_IN) !== 0 || bad)) pumpUp();
      if (downOnFd && ((events & EV_OUT) !== 0 || bad)) pumpDown();
    };
    const setInterest = (): void => {
      if (finished) return;
      const want = (upOnFd ? EV_IN : 0) | (downOnFd ? EV_OUT : 0);
      if (want === interest) return;
      interest = want;
      // with no interest the descriptor leaves the set, so a hang-up cannot spin the loop
      if (want === 0) loop.unwatch(fd);
      else loop.watch(fd, want, onFd);
    };
    const finish = (): void => {
      if (finished || (!broken && !(upDone && downDone))) return;
      // a pump deferred before this finds the pipe finished and does nothing
      finished = true;
      loop.unwatch(fd);
      resolveDone();
    };
    const breakPipe = (): void => {
      if (broken) return;
      broken = true;
      upDone = downDone = true;
      upOnFd = downOnFd = false;
      this.#wake(sid, "read");
      this.#wake(sid, "write");
      this.#drained();
      finish();
    };
    /** `woken`: run by a drain (see {@link DrivenConnection.#parkWriter}). */
    const pumpUp = (woken = false): void => {
      upOnFd = false;
      let now = -1;
      while (!broken && !upDone) {
        if (upOff < upLen) {
          if (!this.tc.canWrite()) {
            this.#parkWriter(resumeUp, woken && now < 0);
            break;
          }
          now = monotonicNow();
          const k = this.tc.write(sid, up.subarray(upOff, upLen), now);
          if (k < 0) return breakPipe();
          if (k === 0) {
            this.#waiterOf(sid).writeSync = pumpUp;
            break;
          }
          upOff += k;
          result.sent += k;
          continue;
        }
        const r = loop.read(fd, up, up.length);
        if (r > 0) {
          if (qppOut !== undefined) qpp!.encrypt(up, qppOut, 0, r);
          upOff = 0;
          upLen = r;
        } else if (r === WOULD_BLOCK) {
          upOnFd = true;
          break;
        } else if (r === 0) {
          upDone = true;
          if (!this.#closed) this.tc.closeWrite(sid, monotonicNow());
        } else {
          return breakPipe();
        }
      }
      if (now >= 0) this.#kick(now);
      setInterest();
      finish();
    };

    const resumeUp = (): void => this.#defer(() => pumpUp(true));

    const pumpDown = (): void => {
      downOnFd = false;
      while (!broken && !downDone) {
        if (downOff < downLen) {
          const w = loop.send(fd, down.subarray(downOff, downLen), downLen - downOff);
          if (w > 0) {
            downOff += w;
            continue;
          }
          if (w === WOULD_BLOCK) {
            downOnFd = true;
            break;
          }
          return breakPipe();
        }
        const n = this.tc.read(sid, down, monotonicNow());
        if (n > 0) {
          if (qppIn !== undefined) qpp!.decrypt(down, qppIn, 0, n);
          downOff = 0;
          downLen = n;
          result.received += n;
        } else if (n < 0) {
          downDone = true;
          // the peer's FIN: pass it on as a TCP half-close (unless the session died)
          if (!this.#closed && loop.shutdownWrite(fd) !== 0) return breakPipe();
        } else {
          this.#waiterOf(sid).readSync = pumpDown;
          break;
        }
      }
      setInterest();
      finish();
    };

    const onAbort = () => breakPipe();
    signal?.addEventListener("abort", onAbort, { once: true });
    const onSessionClosed = this.#closedPromise.then(breakPipe);
    if (signal?.aborted) breakPipe();
    pumpUp();
    pumpDown();
    await done;
    signal?.removeEventListener("abort", onAbort);
    void onSessionClosed;
    try {
      conn.close();
    } catch {
      // already closed
    }
    loop.release(fd);
    this.#pipeEnded(sid);
    return result;
  }

  #waiterOf(sid: number): Waiters {
    let w = this.#waiters.get(sid);
    if (w === undefined) this.#waiters.set(sid, w = {});
    return w;
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
