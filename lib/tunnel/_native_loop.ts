/**
 * The tunnel's own event loop on Linux: the JavaScript thread blocks in `epoll_wait` through
 * FFI, on the descriptors of the tunnel's UDP sockets and piped TCP connections, with the
 * driver timers as its timeout, and handles what is ready synchronously — no op, no promise, no
 * turn of Deno's loop per datagram. A wake-up of Deno's loop costs about twice as much (see
 * docs/benchmarks.md), and on slow links the tunnel's CPU is mostly wake-ups.
 *
 * Deno keeps running: its own epoll descriptors are members of the set we wait on, so any event
 * Deno has (a TCP accept, a signal, a finished op) wakes us, and we give Deno a turn
 * (`setImmediate`) whenever it has an event or our handlers resolved a promise or queued a
 * microtask ({@link NativeLoop.dirty}), and at least every {@link YIELD_MS}. Deno's timers do
 * not wake an epoll set, so a block lasts at most {@link WAIT_CAP_MS} while the loop has timers.
 * With no timer of its own (no session), the loop does not block the thread at all: it waits
 * through a non-blocking FFI call on Deno's worker pool (an eventfd interrupts it).
 *
 * A descriptor handed to the loop is taken out of Deno's epoll sets ({@link NativeLoop.detach}),
 * so its events wake only us; Deno must then never wait on it again (its close still works).
 *
 * Receive coalescing: on a slow link datagrams arrive one at a time, and each wake-up costs more
 * than the datagram's own work. After a wake-up that handled events of ours, the loop may first
 * sleep a little before it looks again ({@link NativeLoop.coalesce}): a share of the round-trip
 * time the sessions asked for, never past a timer. What arrived meanwhile is then read in one
 * batch. The drivers ask for {@link coalesceMs} of their smoothed RTT, so a link with RTT under
 * 10 ms (a LAN, loopback) never waits.
 *
 * `KCPTUN_LOOP=deno` in the environment turns the loop off (Deno's loop drives everything).
 *
 * @module
 */

import { ffiAllowed } from "../_ffi.ts";
import { findTcpFd, openDescriptors, type TcpLookupLibc } from "./_socket_fd.ts";
import { parseIpv4 } from "./_udp_native.ts";

const SYMBOLS = {
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

const IDLE_SYMBOLS = {
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32", nonblocking: true },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Readable (`EPOLLIN`). */
export const EV_IN = 1;
/** Writable (`EPOLLOUT`). */
export const EV_OUT = 4;
/** Error (`EPOLLERR`), always reported. */
export const EV_ERR = 8;
/** Hang-up (`EPOLLHUP`), always reported. */
export const EV_HUP = 16;

const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const EAGAIN = 11;
const MSG_NOSIGNAL = 0x4000;
const EINTR = 4;
const EVENT_SIZE = 12;
const MAX_EVENTS = 64;
/** End-of-turn callbacks run in one turn at most; the rest run in the next one. */
const AFTER_MAX = 4096;
/** Longest block while the loop has timers: Deno's own timers are never later than this. */
export const WAIT_CAP_MS = 50;
/** Deno gets a turn at least this often (ms) even when nothing asked for one. */
export const YIELD_MS = 50;
/** `read`/`write` result for "would block". */
export const WOULD_BLOCK = -2;
/**
 * Longest receive-coalescing sleep, ms: a tenth of an 80 ms RTT. Raised from 4 ms (2026-12-06): on
 * the 10 Mbit/s, 120 ms jitter profile −5 % CPU per GB at goodput ×1.01, on the 20 Mbit/s, 80 ms
 * bursty one −4 % at ×1.00 (six concurrent pairs each, downloads).
 */
export const COALESCE_MAX_MS = 8;
/**
 * Receive coalescing waits at most this share of the smoothed RTT. Until 2026-12 it was a
 * thirty-second: a sixteenth then saved about 7 % of the CPU on the 50 Mbit/s, 40 ms, 2 % profile
 * but cost 1.6 % of its goodput, from handling the datagrams (and so the ACKs) later. Since the
 * sender stops sending FEC parity in bulk transfers and takes range ACKs, that cost is gone. In
 * concurrent pairs against a thirty-second (docs/benchmarks.md): a sixteenth −6 % CPU per GB there
 * with goodput ×1.005 (ten pairs); a tenth −4 % more against a sixteenth, goodput ×1.02 (six); an
 * eighth −4 % more again, goodput ×1.00, not taken: the sleep is latency added to an interactive
 * stream that shares a session with a bulk transfer, and a tenth keeps it within 10 % of the RTT.
 * On the 100 Mbit/s, 20 ms clean profile a tenth (2 ms) costs 9 % less CPU per GB at the same
 * goodput.
 */
export const COALESCE_RTT_SHARE = 1 / 10;
/** Receive coalescing only pays when a sleep gathers at least this many datagrams on average. */
export const COALESCE_MIN_BATCH = 2;

/**
 * The receive-coalescing sleep (whole ms, 0 for none) a session asks for, from its smoothed
 * round-trip time `srtt` (ms; 0 before the first sample) and its recent arrival rate `perMs`
 * (datagrams per ms): {@link COALESCE_RTT_SHARE} of the RTT, at most {@link COALESCE_MAX_MS},
 * and only when such a sleep would gather at least {@link COALESCE_MIN_BATCH} datagrams — the
 * receiving end of a bulk transfer, not the sending end that gets a few ACKs, nor an
 * interactive stream. Each end adds at most that much to a datagram's delivery, so a round
 * trip grows by at most 2/32 of itself.
 */
export function coalesceMs(srtt: number, perMs: number): number {
  if (!(srtt > 0)) return 0;
  const ms = Math.min(COALESCE_MAX_MS, Math.floor(srtt * COALESCE_RTT_SHARE));
  return ms * perMs >= COALESCE_MIN_BATCH ? ms : 0;
}

/** Handler of a watched descriptor; `events` is a mask of `EV_*`. */
export type FdHandler = (events: number) => void;

/** A one-shot timer of the loop; cancel with {@link LoopTimer.cancel}. */
export class LoopTimer {
  /** When it fires, `performance.now()` ms. */
  readonly at: number;
  /** What it runs. */
  readonly run: () => void;
  /** True once fired or cancelled. */
  done = false;

  constructor(at: number, run: () => void) {
    this.at = at;
    this.run = run;
  }

  /** Cancels the timer (no effect once it has fired). */
  cancel(): void {
    this.done = true;
  }
}

let instance: NativeLoop | null | undefined;
let enabled = false;

/**
 * Lets the tunnel's Deno adapters run on their own epoll loop (see `_native_loop.ts`) from now on,
 * where it can run: Linux x86_64/aarch64 with FFI and `/proc/self/fd` permitted, and not
 * `KCPTUN_LOOP=deno` in the environment. `runClient`/`runServer` (the command line) call it;
 * a program embedding `startClient`/`startServer` opts in here. While a session is open, Deno's
 * own timers in the process may fire up to about 100 ms late (they cannot wake the loop).
 * Returns true when the loop will be used.
 */
export function enableNativeLoop(): boolean {
  enabled = true;
  return NativeLoop.get() !== undefined;
}

/** The process's own event loop (one per process); see the module doc. */
export class NativeLoop {
  /** Set by code that resolved a promise or queued a microtask that must run before we block. */
  static dirty = false;
  /** True while the loop runs handlers and timers (synchronously, inside one iteration). */
  static inside = false;
  /**
   * While {@link NativeLoop.inside}: the clock of this iteration's datagrams, `performance.now()`
   * read once by the first handler that asks ({@link NativeLoop.turnNow}); -1 until then.
   */
  static #turnStart = -1;

  /**
   * The clock for a handler inside an iteration: one `performance.now()` per iteration. In Deno
   * that is an op call, about 0.1 µs in a tight loop and several times that in the tunnel (2 %
   * of a receiving end's CPU samples when read once per datagram), and the datagrams of one
   * batch arrived together anyway.
   */
  static turnNow(): number {
    if (NativeLoop.#turnStart < 0) NativeLoop.#turnStart = performance.now();
    return NativeLoop.#turnStart;
  }

  readonly #c: Libc;
  readonly #idle: Deno.DynamicLibrary<typeof IDLE_SYMBOLS>["symbols"];
  /** Our descriptors and the eventfd (waited on when idle, from a worker thread). */
  readonly #ep: number;
  /** The same plus Deno's epoll descriptors (waited on when blocking). */
  readonly #epAll: number;
  readonly #wakeFd: number;
  readonly #denoFds: number[] = [];
  readonly #handlers = new Map<number, FdHandler>();
  /** Detached descriptors still open: never the one {@link NativeLoop.findTcpFd} looks for. */
  readonly #owned = new Set<number>();
  readonly #interest = new Map<number, number>();
  readonly #heap: LoopTimer[] = [];
  readonly #due: LoopTimer[] = [];
  readonly #after: (() => void)[] = [];
  readonly #ev = new Uint8Array(EVENT_SIZE);
  readonly #evView = new DataView(this.#ev.buffer);
  readonly #evs = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
  readonly #evsView = new DataView(this.#evs.buffer);
  readonly #idleEvs = new Uint8Array(EVENT_SIZE);
  readonly #one = new Uint8Array(new BigUint64Array([1n]).buffer);
  readonly #eight = new Uint8Array(8);
  readonly #errno: Deno.UnsafePointerView;
  #running = false;
  #idleWaiting = false;
  #lastYield = 0;
  /** Sessions asking for each coalescing sleep, index = ms. */
  readonly #coalesceAsks = new Int32Array(COALESCE_MAX_MS + 1);
  /** The sleep in force: the least any session asks for (0 when none asks). */
  #coalesce = 0;
  /** Events of our own descriptors handled in the last iteration. */
  #ownEvents = 0;
  /** An epoll set with nothing in it: waiting on it is a sleep. */
  #sleepEp = -1;
  /** Coalescing sleeps taken so far. */
  coalesced = 0;
  /** `epoll_wait` returns (wake-ups) so far. */
  wakes = 0;
  /** Descriptors taken over from Deno so far (UDP sockets and piped TCP connections). */
  detached = 0;

  private constructor(c: Libc, ep: number, epAll: number, wakeFd: number) {
    this.#c = c;
    this.#ep = ep;
    this.#epAll = epAll;
    this.#wakeFd = wakeFd;
    this.#idle = Deno.dlopen("libc.so.6", IDLE_SYMBOLS).symbols;
    this.#errno = new Deno.UnsafePointerView(c.__errno_location()!);
    for (const fd of openDescriptors()) {
      if (fd === ep || fd === epAll) continue;
      try {
        if (Deno.readLinkSync(`/proc/self/fd/${fd}`) === "anon_inode:[eventpoll]") {
          this.#denoFds.push(fd);
        }
      } catch {
        // closed meanwhile
      }
    }
    for (const fd of this.#denoFds) this.#ctl(epAll, EPOLL_CTL_ADD, fd, EV_IN);
    this.#ctl(ep, EPOLL_CTL_ADD, wakeFd, EV_IN);
    this.#ctl(epAll, EPOLL_CTL_ADD, wakeFd, EV_IN);
  }

  /**
   * The loop, or undefined where it cannot run (not enabled by {@link enableNativeLoop}, not
   * Linux x86_64/aarch64, FFI or `/proc/self/fd` not permitted, `KCPTUN_LOOP=deno`).
   */
  static get(): NativeLoop | undefined {
    if (instance !== undefined) return instance ?? undefined;
    if (!enabled) return undefined;
    instance = null;
    try {
      if (!ffiAllowed()) return undefined;
      if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") return undefined;
      const read = Deno.permissions.querySync({ name: "read", path: "/proc/self/fd" });
      const env = Deno.permissions.querySync({ name: "env", variable: "KCPTUN_LOOP" });
      if (read.state !== "granted") return undefined;
      if (env.state === "granted" && Deno.env.get("KCPTUN_LOOP") === "deno") return undefined;
      const c = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
      const ep = c.epoll_create1(O_CLOEXEC);
      const epAll = c.epoll_create1(O_CLOEXEC);
      const wakeFd = c.eventfd(0, O_NONBLOCK | O_CLOEXEC);
      if (ep < 0 || epAll < 0 || wakeFd < 0) return undefined;
      instance = new NativeLoop(c, ep, epAll, wakeFd);
    } catch {
      instance = null;
    }
    return instance ?? undefined;
  }

  #ctl(epfd: number, op: number, fd: number, events: number): number {
    const v = this.#evView;
    v.setUint32(0, events, true);
    v.setUint32(4, fd, true);
    v.setUint32(8, 0, true);
    return this.#c.epoll_ctl(epfd, op, fd, this.#ev);
  }

  /** errno of the last failed call on this thread. */
  errno(): number {
    return this.#errno.getInt32();
  }

  /**
   * Takes `fd` out of Deno's epoll sets: from now on only this loop sees its events. Call
   * {@link NativeLoop.release} once Deno has closed it.
   */
  detach(fd: number): void {
    this.detached++;
    this.#owned.add(fd);
    for (const d of this.#denoFds) this.#ctl(d, EPOLL_CTL_DEL, fd, 0);
  }

  /** Forgets a detached descriptor that Deno has closed (its number may be handed out again). */
  release(fd: number): void {
    this.#owned.delete(fd);
  }

  /**
   * Calls `handler` when `fd` is ready for `events` (`EV_IN`, `EV_OUT`, both, or 0 to pause;
   * errors and hang-ups are always reported). Level-triggered: a handler that leaves data
   * unread is called again. Calling it again for a watched `fd` changes the interest.
   */
  watch(fd: number, events: number, handler: FdHandler): void {
    const had = this.#interest.get(fd);
    this.#handlers.set(fd, handler);
    if (had === events) return;
    this.#interest.set(fd, events);
    const op = had === undefined ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    this.#ctl(this.#ep, op, fd, events);
    this.#ctl(this.#epAll, op, fd, events);
    if (had === undefined) this.#start();
  }

  /** Stops watching `fd` (before it is closed). */
  unwatch(fd: number): void {
    if (!this.#interest.has(fd)) return;
    this.#ctl(this.#ep, EPOLL_CTL_DEL, fd, 0);
    this.#ctl(this.#epAll, EPOLL_CTL_DEL, fd, 0);
    this.#interest.delete(fd);
    this.#handlers.delete(fd);
    if (this.#handlers.size === 0) this.#interrupt();
  }

  /** A timer at `at` (`performance.now()` ms). */
  timer(at: number, run: () => void): LoopTimer {
    const t = new LoopTimer(at, run);
    const h = this.#heap;
    let i = h.length;
    h.push(t);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].at <= at) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = t;
    if (this.#idleWaiting) this.#interrupt();
    this.#start();
    return t;
  }

  /**
   * Moves one session's receive-coalescing request from `from` ms to `to` ms (see
   * {@link coalesceMs}); -1 for "none" (a session that starts, or ends). The loop sleeps the
   * least any session asks for, so one session on a fast path turns coalescing off for all.
   */
  coalesce(from: number, to: number): void {
    const asks = this.#coalesceAsks;
    if (from >= 0) asks[Math.min(from, COALESCE_MAX_MS)]--;
    if (to >= 0) asks[Math.min(to, COALESCE_MAX_MS)]++;
    let ms = 0;
    while (ms <= COALESCE_MAX_MS && asks[ms] === 0) ms++;
    this.#coalesce = ms > COALESCE_MAX_MS ? 0 : ms;
  }

  /** The receive-coalescing sleep in force, ms (0: none). */
  get coalescing(): number {
    return this.#coalesce;
  }

  /** Runs `f` at the end of the current iteration (call only while {@link NativeLoop.inside}). */
  after(f: () => void): void {
    this.#after.push(f);
  }

  /** `read(2)` into `buf`: bytes read, 0 at end of stream, {@link WOULD_BLOCK}, or -errno. */
  read(fd: number, buf: Uint8Array, length: number): number {
    for (;;) {
      const r = Number(this.#c.read(fd, buf, BigInt(length)));
      if (r >= 0) return r;
      const e = this.errno();
      if (e === EINTR) continue;
      return e === EAGAIN ? WOULD_BLOCK : -e;
    }
  }

  /**
   * `send(2)` of `buf[0, length)` on a stream socket (no SIGPIPE): bytes written,
   * {@link WOULD_BLOCK}, or -errno.
   */
  send(fd: number, buf: Uint8Array, length: number): number {
    for (;;) {
      const r = Number(this.#c.send(fd, buf, BigInt(length), MSG_NOSIGNAL));
      if (r >= 0) return r;
      const e = this.errno();
      if (e === EINTR) continue;
      return e === EAGAIN ? WOULD_BLOCK : -e;
    }
  }

  /** `shutdown(fd, SHUT_WR)`: 0 or -errno. */
  shutdownWrite(fd: number): number {
    return this.#c.shutdown(fd, 1) === 0 ? 0 : -this.errno();
  }

  /**
   * The descriptor of this process's IPv4 TCP connection from `local` to `remote`, or -1 (also
   * for IPv6, whose connections stay with Deno). Descriptors the loop owns are never it.
   */
  findTcpFd(local: Deno.NetAddr, remote: Deno.NetAddr): number {
    const lip = parseIpv4(local.hostname);
    const rip = parseIpv4(remote.hostname);
    if (lip < 0 || rip < 0) return -1;
    return findTcpFd(this.#lookup, lip, local.port, rip, remote.port, this.#isOwned);
  }

  readonly #lookup: TcpLookupLibc = {
    getsockname: (fd, addr, len) => this.#c.getsockname(fd, addr, len),
    getpeername: (fd, addr, len) => this.#c.getpeername(fd, addr, len),
    errno: () => this.errno(),
  };
  readonly #isOwned = (fd: number): boolean => this.#owned.has(fd);

  #interrupt(): void {
    this.#c.write(this.#wakeFd, this.#one, 8n);
  }

  #start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#run().catch((err) => {
      this.#running = false;
      console.error("Event loop failed:", err);
    });
  }

  #hasTimers(): boolean {
    const h = this.#heap;
    while (h.length > 0 && h[0].done) this.#pop();
    return h.length > 0;
  }

  #pop(): LoopTimer {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && h[r].at < h[l].at ? r : l;
        if (h[c].at >= last.at) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  async #run(): Promise<void> {
    const c = this.#c;
    for (;;) {
      let n: number;
      // busy: a session's timers, or end-of-turn work left over from the last turn
      const busy = this.#hasTimers() || this.#after.length > 0;
      if (!busy && this.#handlers.size === 0) break;
      if (!busy) {
        // no session: wait without blocking Deno (its timers and ops keep running)
        this.#idleWaiting = true;
        await this.#idle.epoll_wait(this.#ep, this.#idleEvs, 1, -1);
        this.#idleWaiting = false;
        this.#lastYield = performance.now();
        n = c.epoll_wait(this.#epAll, this.#evs, MAX_EVENTS, 0);
      } else {
        const t0 = performance.now();
        if (NativeLoop.dirty || t0 - this.#lastYield >= YIELD_MS) {
          NativeLoop.dirty = false;
          this.#lastYield = t0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        } else {
          await null;
        }
        if (!this.#hasTimers() && this.#after.length === 0 && this.#handlers.size === 0) break;
        let timeout = WAIT_CAP_MS;
        if (this.#after.length > 0) {
          timeout = 0;
        } else if (this.#heap.length > 0) {
          const d = Math.ceil(this.#heap[0].at - performance.now());
          timeout = d <= 0 ? 0 : d < WAIT_CAP_MS ? d | 0 : WAIT_CAP_MS;
        }
        if (this.#ownEvents > 0 && this.#coalesce > 0 && timeout > 0) {
          // let arrivals gather (never past a timer), then take them all without blocking
          if (this.#sleepEp < 0) this.#sleepEp = c.epoll_create1(O_CLOEXEC);
          c.epoll_wait(this.#sleepEp, this.#evs, 1, Math.min(this.#coalesce, timeout));
          this.coalesced++;
          timeout = 0;
        }
        n = c.epoll_wait(this.#epAll, this.#evs, MAX_EVENTS, timeout);
      }
      this.wakes++;
      this.#dispatch(n);
    }
    this.#running = false;
  }

  /**
   * Handles the `n` events in the event buffer and the due timers, then the end-of-iteration
   * work. An event of one of Deno's epoll descriptors asks for a turn of Deno's loop.
   */
  #dispatch(n: number): void {
    NativeLoop.inside = true;
    NativeLoop.#turnStart = -1;
    try {
      const view = this.#evsView;
      let own = 0;
      for (let i = 0; i < n; i++) {
        const fd = view.getUint32(i * EVENT_SIZE + 4, true);
        const f = this.#handlers.get(fd);
        if (f !== undefined) {
          own++;
          this.#guard(f, view.getUint32(i * EVENT_SIZE, true));
        } else if (fd === this.#wakeFd) {
          this.#c.read(this.#wakeFd, this.#eight, 8n);
        } else {
          NativeLoop.dirty = true; // one of Deno's
        }
      }
      this.#ownEvents = own;
      // the timers due now; one set while they run goes into the heap for the next iteration,
      // so a timer that keeps re-arming itself in the past cannot hold the loop here
      const h = this.#heap;
      const due = this.#due;
      const now = performance.now();
      while (h.length > 0 && (h[0].done || h[0].at <= now)) {
        const t = this.#pop();
        if (!t.done) due.push(t);
      }
      for (let i = 0; i < due.length; i++) {
        const t = due[i];
        if (t.done) continue; // cancelled by an earlier one
        t.done = true;
        this.#guard(t.run, 0);
      }
      due.length = 0;
      // what runs here may add more (a pump's sends queue a flush); past AFTER_MAX the rest
      // waits for the next turn, which then does not block
      const after = this.#after;
      let i = 0;
      for (; i < after.length && i < AFTER_MAX; i++) this.#guard(after[i], 0);
      if (i === after.length) after.length = 0;
      else after.splice(0, i);
    } finally {
      NativeLoop.inside = false;
    }
  }

  #guard(f: (events: number) => void, events: number): void {
    try {
      f(events);
    } catch (err) {
      // network input must never stop the loop; a handler bug is reported, not fatal
      console.error("Event loop handler failed:", err);
    }
  }
}
