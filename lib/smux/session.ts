/**
 * A smux v1/v2 session as a pure, sans-I/O engine (kcptun-wire.md §7; behaviour of xtaci/smux
 * `session.go` and `stream.go`).
 *
 * Bytes from the transport go into {@linkcode SmuxSession.input}; frames for the transport come
 * out of {@linkcode SmuxEvents.output}; time is the `now` argument and
 * {@linkcode SmuxSession.tick} drives the keepalive. Nothing here touches a socket or a clock.
 *
 * Deliberate differences from Go smux, each covered by a test in `tests/smux/`:
 *
 * - **Lenient reader.** A SYN, FIN or NOP with a non-zero length has its payload read and
 *   skipped (smux ≤ 1.5.55 reads no payload there and desynchronises; ≥ 1.5.56 rejects it). No
 *   peer sends such frames, and skipping keeps the parser on frame boundaries.
 * - **UPD in v1** (length 8) is read and ignored, as smux 1.5.16 (2021 kcptun) does; smux ≥
 *   1.5.51 calls it a protocol error. v1 has no flow control, so the frame has no effect either
 *   way. A UPD whose length is not 8 is a protocol error in both versions (smux ≥ 1.5.56).
 * - **Half-close** follows smux ≥ 1.5.54: after the peer's FIN this side may still write until
 *   it calls `closeWrite` or `closeStream` (smux 1.5.52, pinned by latest kcptun, returns EOF).
 *   Data received before a FIN is always delivered in full.
 * - **Receive budget.** Go smux stops reading the connection while the budget is spent; a
 *   sans-I/O engine cannot refuse bytes, so the transport stops calling `input` while
 *   {@linkcode SmuxSession.bufferedBytes} ≥ `maxReceiveBuffer`.
 * - **Fairness.** Go smux queues frames in a shaper and sends control frames first. Here every
 *   call emits its frames at once, in call order, so the caller's write pattern is the
 *   schedule: writing at most a read buffer's worth (e.g. 32 KiB) per stream per turn
 *   interleaves streams fairly. `write` never holds frames back.
 *
 * @module
 */

import type { SmuxConfig } from "./config.ts";
import { resolveSmuxConfig } from "./config.ts";
import {
  SMUX_FIN,
  SMUX_HEADER_SIZE,
  SMUX_NOP,
  SMUX_PSH,
  SMUX_SYN,
  SMUX_UPD,
  SMUX_UPD_OFFSET_CONSUMED,
  SMUX_UPD_OFFSET_WINDOW,
  SMUX_UPD_SIZE,
  writeFrameHeader,
} from "./frame.ts";
import { SmuxStreamState } from "./_stream.ts";

/**
 * Callbacks of a {@linkcode SmuxSession}. They run synchronously inside the session's methods
 * and may call back into the session (read in `readable`, write in `writable`, …); a nested
 * `input` call is queued and processed after the current one. Callbacks must not throw.
 */
export interface SmuxEvents {
  /**
   * Outgoing bytes (one or more whole frames) for the transport, in order. `bytes` may be a
   * view into an internal buffer that is reused after the call returns (the caller copies).
   * It stays intact during the call even if the callback re-enters the session.
   */
  output(bytes: Uint8Array): void;
  /** The peer opened stream `sid` (SYN). */
  accept?(sid: number): void;
  /** Stream `sid` has new readable data, or its FIN arrived. */
  readable?(sid: number): void;
  /** Stream `sid` can send again (v2 window opened by UPD). */
  writable?(sid: number): void;
  /** The session ended (protocol error, keepalive timeout, close()). Called once. */
  closed?(reason: string): void;
}

/** Counters of one session. */
export interface SmuxStats {
  /** Frame headers received. */
  framesIn: number;
  /** Frames emitted. */
  framesOut: number;
  /** Protocol errors (each one closes the session, so at most 1). */
  protocolErrors: number;
  /** Streams opened by this side. */
  streamsOpened: number;
  /** Streams opened by the peer. */
  streamsAccepted: number;
  /** Keepalive NOPs sent. */
  nopsSent: number;
  /** PSH frames for an unknown (never opened or already closed) stream, read and dropped. */
  discardedPsh: number;
}

// Input parser states.
const READ_HEADER = 0;
const READ_PSH = 1;
const READ_UPD = 2;
const READ_SKIP = 3;

/** Output buffer size: big enough for a full frame, batches small frames up to 64 KiB. */
const OUTPUT_BATCH = 65536;

/**
 * A smux session over a reliable byte stream (the KCP stream in kcptun).
 *
 * Streams are named by their id (`sid`). Reads, writes and closes are per sid; an unknown sid
 * reads as EOF (-1) and cannot be written. A stream is forgotten once both FINs have passed
 * and everything received was read, or on {@linkcode SmuxSession.closeStream}.
 *
 * @example
 * ```ts
 * import { SmuxSession } from "./session.ts";
 * import { resolveSmuxConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 *
 * const cfg = resolveSmuxConfig({ version: 2 });
 * let client!: SmuxSession, server!: SmuxSession;
 * client = new SmuxSession(true, cfg, { output: (b) => server.input(b, 0) }, 0);
 * server = new SmuxSession(false, cfg, { output: (b) => client.input(b, 0) }, 0);
 *
 * const sid = client.openStream(0);
 * assert.equal(sid, 3);
 * assert.equal(client.write(sid, new TextEncoder().encode("hello"), 0), 5);
 * client.closeWrite(sid, 0);
 *
 * const buf = new Uint8Array(16);
 * assert.equal(server.read(sid, buf, 0), 5); // also sends UPD(consumed 5) to the client
 * assert.equal(server.read(sid, buf, 0), -1); // the client's FIN: end of stream
 * ```
 */
export class SmuxSession {
  private readonly cfg: SmuxConfig;
  private readonly version: number;
  private readonly events: SmuxEvents;
  private readonly halfWindow: number;
  private readonly streams = new Map<number, SmuxStreamState>();
  private readonly st: SmuxStats = {
    framesIn: 0,
    framesOut: 0,
    protocolErrors: 0,
    streamsOpened: 0,
    streamsAccepted: 0,
    nopsSent: 0,
    discardedPsh: 0,
  };
  private nextStreamId: number;
  private goAway = false;
  private closedFlag = false;
  private buffered = 0;

  // output
  private out: Uint8Array;
  private outLen = 0;
  private outDepth = 0;
  private readonly outSpares: Uint8Array[] = [];

  // input parser
  private readonly hdr = new Uint8Array(SMUX_HEADER_SIZE);
  private hdrLen = 0;
  private readonly upd = new Uint8Array(SMUX_UPD_SIZE);
  private updLen = 0;
  private state = READ_HEADER;
  private frameSid = 0;
  private remaining = 0;
  private inInput = false;
  private pending: Uint8Array[] = [];

  // keepalive
  private nextPing: number;
  private nextCheck: number;
  private dataReady = false;

  /**
   * Creates a session. Nothing is sent until a method is called.
   *
   * @param isClient Client sessions open odd stream ids (3, 5, …), servers even ones (2, 4, …).
   * @param config Settings; validated with {@linkcode resolveSmuxConfig} (missing fields get
   *   defaults, bad values throw `RangeError`/`TypeError`).
   * @param events Output and notification callbacks.
   * @param now Current time in ms; the keepalive timers start here.
   */
  constructor(isClient: boolean, config: SmuxConfig, events: SmuxEvents, now: number) {
    this.cfg = resolveSmuxConfig(config);
    this.version = this.cfg.version;
    this.events = events;
    this.halfWindow = Math.floor(this.cfg.maxStreamBuffer / 2);
    this.nextStreamId = isClient ? 1 : 0;
    this.out = new Uint8Array(Math.max(OUTPUT_BATCH, SMUX_HEADER_SIZE + this.cfg.maxFrameSize));
    this.nextPing = now + this.cfg.keepAliveInterval;
    this.nextCheck = now + this.cfg.keepAliveTimeout;
  }

  /** Counters; the object is live and owned by the session. */
  get stats(): Readonly<SmuxStats> {
    return this.st;
  }

  /**
   * Received-but-unread bytes across all streams (the transport should stop feeding input
   * while this is ≥ maxReceiveBuffer, which is how smux's receive budget backpressures).
   */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** True once the session ended (protocol error, keepalive timeout, close()). */
  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Streams currently known (open, half-closed, or holding unread data). */
  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Feeds transport bytes in any chunking. Never throws: a protocol error closes the session
   * (`closed` fires, `stats.protocolErrors` counts it). PSH payload is copied into the stream's
   * buffer, so `bytes` may be reused after the call. Ignored once the session is closed.
   *
   * @param bytes The next bytes of the peer's frame stream.
   * @param _now Current time in ms (unused: any received frame counts for the keepalive).
   */
  input(bytes: Uint8Array, _now: number): void {
    if (this.closedFlag || bytes.length === 0) return;
    if (this.inInput) {
      // A callback fed more input (e.g. a synchronous loopback): process it after this chunk.
      this.pending.push(bytes.slice());
      return;
    }
    this.inInput = true;
    try {
      this.parse(bytes);
      while (this.pending.length > 0 && !this.closedFlag) this.parse(this.pending.shift()!);
    } finally {
      this.inInput = false;
      this.pending.length = 0;
    }
  }

  /**
   * Opens a stream (sends SYN). Client ids 3, 5, 7, …; server 2, 4, …
   *
   * @returns The sid, or -1 when the session is closed or ids are exhausted (go-away: start a
   *   new session).
   */
  openStream(_now: number): number {
    if (this.closedFlag || this.goAway) return -1;
    let sid: number;
    do {
      sid = (this.nextStreamId + 2) >>> 0;
      this.nextStreamId = sid;
      if (sid <= 1) {
        // smux: the id counter wrapped (ErrGoAway); it stays exhausted.
        this.goAway = true;
        return -1;
      }
    } while (this.streams.has(sid)); // never reuse an id the peer happens to hold
    this.streams.set(sid, new SmuxStreamState());
    this.st.streamsOpened++;
    this.emitControl(SMUX_SYN, sid);
    this.flush();
    return sid;
  }

  /**
   * Queues up to `data.length` bytes as PSH frames of ≤ maxFrameSize, sent at once through
   * `output`. v2: limited to the peer's window (initially 262144 bytes, then as set by UPD);
   * when the window cuts a write short, `writable` fires once a UPD opens it again.
   *
   * @returns Bytes accepted (0 = blocked; wait for `writable`), or -1 if the stream cannot be
   *   written (our FIN was sent, unknown sid, session closed, or the peer acknowledged more
   *   than was sent: smux `ErrConsumed`).
   */
  write(sid: number, data: Uint8Array, _now: number): number {
    if (this.closedFlag) return -1;
    const s = this.streams.get(sid);
    if (s === undefined || s.finSent) return -1;
    let n = data.length;
    if (n === 0) return 0;
    if (this.version === 2) {
      const inflight = (s.numWritten - s.peerConsumed) | 0;
      if (inflight < 0) return -1;
      const win = ((s.peerWindow | 0) - inflight) | 0;
      if (win <= 0) {
        s.blocked = true;
        return 0;
      }
      if (n > win) {
        n = win;
        s.blocked = true;
      }
    }
    n = this.emitPsh(sid, data, n);
    s.numWritten = (s.numWritten + n) >>> 0;
    return n;
  }

  /**
   * Copies readable bytes of stream `sid` into `dst`. v2: sends UPD(consumed, maxStreamBuffer)
   * after the stream's first read and whenever maxStreamBuffer/2 more bytes have been read
   * since the last UPD (smux's cadence).
   *
   * @returns n > 0 bytes copied, 0 if nothing yet (or `dst` is empty), -1 at EOF (the peer's
   *   FIN and everything before it was read, the session closed and the buffer is drained, or
   *   the sid is unknown).
   */
  read(sid: number, dst: Uint8Array, _now: number): number {
    const s = this.streams.get(sid);
    if (s === undefined) return -1;
    if (dst.length === 0) return 0;
    const n = s.queue.read(dst);
    if (n > 0) {
      this.buffered -= n;
      if (this.version === 2 && !this.closedFlag) {
        s.numRead = (s.numRead + n) >>> 0;
        s.incr = (s.incr + n) >>> 0;
        // smux: a UPD after the first read (numRead == n) and every maxStreamBuffer/2 bytes.
        if (s.incr >= this.halfWindow || s.numRead === n) {
          s.incr = 0;
          if (s.numRead !== 0) {
            this.emitUpd(sid, s.numRead);
            this.flush();
          }
        }
      }
      if (s.finReceived && s.finSent && s.queue.length === 0) this.forget(sid, s);
      return n;
    }
    if (this.closedFlag || s.finReceived) {
      if (this.closedFlag || s.finSent) this.forget(sid, s);
      return -1;
    }
    return 0;
  }

  /** Received, unread bytes of stream `sid` (0 if unknown). */
  readableBytes(sid: number): number {
    const s = this.streams.get(sid);
    return s === undefined ? 0 : s.queue.length;
  }

  /** Half-close: sends FIN and keeps receiving. No effect if FIN was already sent. */
  closeWrite(sid: number, _now: number): void {
    if (this.closedFlag) return;
    const s = this.streams.get(sid);
    if (s === undefined || s.finSent) return;
    s.finSent = true;
    s.blocked = false;
    this.emitControl(SMUX_FIN, sid);
    this.flush();
    if (s.finReceived && s.queue.length === 0) this.forget(sid, s);
  }

  /**
   * Full close of one stream: FIN if not sent yet, then forget it; unread data is dropped and
   * later data for the sid is discarded (counted in `stats.discardedPsh`).
   */
  closeStream(sid: number, _now: number): void {
    const s = this.streams.get(sid);
    if (s === undefined) return;
    this.forget(sid, s);
    if (!this.closedFlag && !s.finSent) {
      s.finSent = true;
      this.emitControl(SMUX_FIN, sid);
      this.flush();
    }
  }

  /**
   * Keepalive: sends a NOP every keepAliveInterval; every keepAliveTimeout closes the session
   * if no frame arrived since the previous check, unless the receive budget is exhausted
   * (smux's two tickers, both started at construction).
   *
   * @param now Current time in ms; compared wrap-safe (32-bit) with the deadlines.
   * @returns The next deadline in ms, in the same clock as `now` (≥ `now`).
   */
  tick(now: number): number {
    const { keepAliveInterval, keepAliveTimeout } = this.cfg;
    if (this.closedFlag) return now + keepAliveInterval;
    let late = (now - this.nextPing) | 0;
    if (late >= 0) {
      // Like a Go ticker: one NOP however late, the next one on the original schedule.
      this.nextPing = now + keepAliveInterval - (late % keepAliveInterval);
      this.emitControl(SMUX_NOP, 0);
      this.st.nopsSent++;
      this.flush();
      if (this.closedFlag) return now + keepAliveInterval;
    }
    late = (now - this.nextCheck) | 0;
    if (late >= 0) {
      this.nextCheck = now + keepAliveTimeout - (late % keepAliveTimeout);
      if (this.dataReady) {
        this.dataReady = false;
      } else if (this.buffered < this.cfg.maxReceiveBuffer) {
        this.close(`Keepalive timeout: no frame received for ${keepAliveTimeout} ms`);
        return now + keepAliveInterval;
      }
    }
    const toPing = (this.nextPing - now) | 0;
    const toCheck = (this.nextCheck - now) | 0;
    return now + (toPing < toCheck ? toPing : toCheck);
  }

  /**
   * Ends the session: sends nothing (smux `Session.Close`), fires `closed` once. Unread data
   * stays readable; reads then return -1, writes -1.
   */
  close(reason = "Closed"): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.outLen = 0;
    this.pending.length = 0;
    this.events.closed?.(reason);
  }

  // ---------------------------------------------------------------------------------------
  // input

  /** Splits buffered input into frames and dispatches them. */
  private parse(src: Uint8Array): void {
    const end = src.length;
    let off = 0;
    while (off < end && !this.closedFlag) {
      switch (this.state) {
        case READ_HEADER: {
          if (this.hdrLen === 0 && end - off >= SMUX_HEADER_SIZE) {
            off += SMUX_HEADER_SIZE;
            this.onHeader(src, off - SMUX_HEADER_SIZE);
          } else {
            const h = this.hdr;
            while (this.hdrLen < SMUX_HEADER_SIZE && off < end) h[this.hdrLen++] = src[off++];
            if (this.hdrLen < SMUX_HEADER_SIZE) return;
            this.hdrLen = 0;
            this.onHeader(h, 0);
          }
          break;
        }
        case READ_PSH: {
          const avail = end - off;
          const n = this.remaining < avail ? this.remaining : avail;
          const sid = this.frameSid;
          const s = this.streams.get(sid);
          off += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = READ_HEADER;
          if (s !== undefined) {
            s.queue.push(src, off - n, n);
            this.buffered += n;
            this.events.readable?.(sid);
          }
          break;
        }
        case READ_UPD: {
          const u = this.upd;
          while (this.updLen < SMUX_UPD_SIZE && off < end) u[this.updLen++] = src[off++];
          if (this.updLen < SMUX_UPD_SIZE) return;
          this.state = READ_HEADER;
          this.onUpdate(
            this.frameSid,
            readU32(u, SMUX_UPD_OFFSET_CONSUMED),
            readU32(u, SMUX_UPD_OFFSET_WINDOW),
          );
          break;
        }
        default: { // READ_SKIP
          const avail = end - off;
          const n = this.remaining < avail ? this.remaining : avail;
          off += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = READ_HEADER;
        }
      }
    }
  }

  /** Handles one frame header at `h[o]`. */
  private onHeader(h: Uint8Array, o: number): void {
    this.st.framesIn++;
    this.dataReady = true;
    const ver = h[o];
    const cmd = h[o + 1];
    const length = h[o + 2] | (h[o + 3] << 8);
    const sid = readU32(h, o + 4);
    if (ver !== this.version) {
      this.protocolError(`frame version ${ver} on a version ${this.version} session`);
      return;
    }
    switch (cmd) {
      case SMUX_SYN: {
        this.skip(length);
        if (this.streams.has(sid)) return; // smux ignores a SYN for an existing stream
        this.streams.set(sid, new SmuxStreamState());
        this.st.streamsAccepted++;
        this.events.accept?.(sid);
        return;
      }
      case SMUX_FIN: {
        this.skip(length);
        const s = this.streams.get(sid);
        if (s === undefined || s.finReceived) return;
        s.finReceived = true;
        if (s.finSent && s.queue.length === 0) this.forget(sid, s);
        this.events.readable?.(sid);
        return;
      }
      case SMUX_PSH: {
        if (length === 0) return; // smux ignores an empty PSH
        this.state = READ_PSH;
        this.remaining = length;
        this.frameSid = sid;
        if (!this.streams.has(sid)) this.st.discardedPsh++;
        return;
      }
      case SMUX_NOP:
        this.skip(length);
        return;
      case SMUX_UPD: {
        if (length !== SMUX_UPD_SIZE) {
          this.protocolError(`UPD frame with length ${length}`);
          return;
        }
        this.state = READ_UPD;
        this.updLen = 0;
        this.frameSid = sid;
        return;
      }
      default:
        this.protocolError(`unknown command ${cmd}`);
    }
  }

  /** Discards `length` payload bytes still to come. */
  private skip(length: number): void {
    if (length > 0) {
      this.state = READ_SKIP;
      this.remaining = length;
    }
  }

  /** Applies a v2 UPD: the peer's consumed count and window. */
  private onUpdate(sid: number, consumed: number, window: number): void {
    if (this.version !== 2) return; // lenient: v1 has no flow control (see module doc)
    const s = this.streams.get(sid);
    if (s === undefined) return;
    s.peerConsumed = consumed;
    s.peerWindow = window;
    if (!s.blocked || s.finSent) return;
    const inflight = (s.numWritten - consumed) | 0;
    // Wake the writer when the window opened, or when write() would now fail (ErrConsumed).
    if (inflight < 0 || (((window | 0) - inflight) | 0) > 0) {
      s.blocked = false;
      this.events.writable?.(sid);
    }
  }

  /** Counts a protocol error and closes the session. */
  private protocolError(what: string): void {
    this.st.protocolErrors++;
    this.close(`Protocol error: ${what}`);
  }

  /** Removes a stream whose both directions are done. */
  private forget(sid: number, s: SmuxStreamState): void {
    if (this.streams.get(sid) !== s) return; // already forgotten (e.g. by a callback)
    this.buffered -= s.queue.length;
    s.queue.clear();
    this.streams.delete(sid);
  }

  // ---------------------------------------------------------------------------------------
  // output

  /** Hands the batched frames to the transport. */
  private flush(): void {
    const n = this.outLen;
    if (n === 0) return;
    const buf = this.out;
    this.outLen = 0;
    // Callbacks run inside output() (e.g. a synchronous loopback) may emit more frames: they go
    // into another buffer, so the view handed out stays intact until output() returns.
    const depth = this.outDepth++;
    this.out = this.outSpares[depth] ??= new Uint8Array(buf.length);
    try {
      this.events.output(buf.subarray(0, n));
    } finally {
      this.outDepth = depth;
      this.out = buf;
    }
  }

  /** Queues a control frame (SYN, FIN, NOP) with no payload. */
  private emitControl(cmd: number, sid: number): void {
    if (this.outLen + SMUX_HEADER_SIZE > this.out.length) this.flush();
    writeFrameHeader(this.out, this.outLen, this.version, cmd, 0, sid);
    this.outLen += SMUX_HEADER_SIZE;
    this.st.framesOut++;
  }

  /** Queues a v2 UPD frame for stream `sid`. */
  private emitUpd(sid: number, consumed: number): void {
    const size = SMUX_HEADER_SIZE + SMUX_UPD_SIZE;
    if (this.outLen + size > this.out.length) this.flush();
    const o = this.outLen;
    writeFrameHeader(this.out, o, this.version, SMUX_UPD, SMUX_UPD_SIZE, sid);
    writeU32(this.out, o + SMUX_HEADER_SIZE + SMUX_UPD_OFFSET_CONSUMED, consumed);
    writeU32(this.out, o + SMUX_HEADER_SIZE + SMUX_UPD_OFFSET_WINDOW, this.cfg.maxStreamBuffer);
    this.outLen = o + size;
    this.st.framesOut++;
  }

  /** Emits `data[0, n)` as PSH frames; returns the bytes emitted (less if a callback closed). */
  private emitPsh(sid: number, data: Uint8Array, n: number): number {
    const out = this.out;
    const max = this.cfg.maxFrameSize;
    let pos = 0;
    while (pos < n) {
      const size = n - pos < max ? n - pos : max;
      if (this.outLen + SMUX_HEADER_SIZE + size > out.length) {
        this.flush();
        if (this.closedFlag) return pos;
      }
      const o = this.outLen;
      writeFrameHeader(out, o, this.version, SMUX_PSH, size, sid);
      out.set(data.subarray(pos, pos + size), o + SMUX_HEADER_SIZE);
      this.outLen = o + SMUX_HEADER_SIZE + size;
      this.st.framesOut++;
      pos += size;
    }
    this.flush();
    return pos;
  }
}

function readU32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
