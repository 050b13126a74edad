/**
 * A kcptun tunnel connection as a pure engine: a KCP session carrying an optional snappy-framed
 * byte stream that carries one smux session (kcptun-wire.md §1). The server side can detect the
 * client's compression and smux version from the first bytes of the stream, so one server
 * serves any kcptun client given only the key.
 *
 * @module
 */

import { KcpSession, type KcpSessionOptions } from "./kcp_session.ts";
import { SnappyFrameDecoder, SnappyFrameEncoder } from "../snappy/framing.ts";
import { SmuxSession } from "../smux/session.ts";
import type { SmuxConfig } from "../smux/config.ts";

const SNAPPY_STREAM_MARK = 0xff;
const RX_CHUNK = 65536;

/** Options of a tunnel connection. */
export interface ConnectionOptions extends KcpSessionOptions {
  /** Client (opens streams) or server (accepts them). */
  isClient: boolean;
  /** Snappy framing on the KCP stream; "auto" detects it from the peer's first byte (server). */
  compress: boolean | "auto";
  /** smux settings; with `version: "auto"` the version is taken from the peer's first frame. */
  smux: Omit<SmuxConfig, "version"> & { version: 1 | 2 | "auto" };
}

/** What a connection tells its owner. Every callback runs synchronously inside a call. */
export interface ConnectionEvents {
  /** A sealed datagram to send (buffer reused after return). */
  datagram(buf: Uint8Array, length: number): void;
  /** The peer opened stream `sid`. */
  accept?(sid: number): void;
  /** Stream `sid` has data or its FIN. */
  readable?(sid: number): void;
  /** Stream `sid`'s smux window opened. */
  writable?(sid: number): void;
  /** The KCP send queue drained below the windows: writes may resume. */
  drain?(): void;
  /** The connection ended (smux keepalive timeout, protocol or compression error, close()). */
  closed?(reason: string): void;
}

/**
 * KCP + (snappy) + smux, driven by `input`, `tick` and the stream calls.
 */
export class TunnelConnection {
  /** The KCP/FEC/crypto layer. */
  readonly session: KcpSession;
  readonly #events: ConnectionEvents;
  readonly #opts: ConnectionOptions;
  #compress: boolean | undefined;
  #encoder: SnappyFrameEncoder | undefined;
  #decoder: SnappyFrameDecoder | undefined;
  #smux: SmuxSession | undefined;
  #smuxVersion: 1 | 2 | undefined;
  #closedReason: string | undefined;
  #blocked = false;
  #pumping = false;
  #now: number;
  readonly #created: number;
  readonly #rx = new Uint8Array(RX_CHUNK);
  readonly #rx2 = new Uint8Array(RX_CHUNK);

  /** Creates the connection; a client's smux session starts at once. */
  constructor(options: ConnectionOptions, events: ConnectionEvents, now: number) {
    this.#opts = options;
    this.#events = events;
    this.#now = now;
    this.#created = now;
    this.session = new KcpSession(options, (b, n) => events.datagram(b, n), now);
    if (options.compress !== "auto") this.#setCompress(options.compress);
    if (options.smux.version !== "auto") this.#startSmux(options.smux.version, now);
  }

  /** Detected or configured compression (undefined until known). */
  get compress(): boolean | undefined {
    return this.#compress;
  }

  /** Detected or configured smux version (undefined until known). */
  get smuxVersion(): 1 | 2 | undefined {
    return this.#smuxVersion;
  }

  /** Why the connection closed, or undefined while it is open. */
  get closedReason(): string | undefined {
    return this.#closedReason;
  }

  /** The smux session, once it exists. */
  get smux(): SmuxSession | undefined {
    return this.#smux;
  }

  #setCompress(on: boolean): void {
    this.#compress = on;
    if (on) {
      this.#encoder = new SnappyFrameEncoder();
      this.#decoder = new SnappyFrameDecoder();
    }
  }

  #startSmux(version: 1 | 2, now: number): void {
    this.#smuxVersion = version;
    const ev = this.#events;
    this.#smux = new SmuxSession(this.#opts.isClient, { ...this.#opts.smux, version }, {
      output: (bytes) => this.#sendStream(bytes),
      accept: ev.accept && ((sid) => ev.accept!(sid)),
      readable: ev.readable && ((sid) => ev.readable!(sid)),
      writable: ev.writable && ((sid) => ev.writable!(sid)),
      closed: (reason) => this.#onClosed(reason),
    }, now);
  }

  #sendStream(bytes: Uint8Array): void {
    const framed = this.#encoder ? this.#encoder.encode(bytes) : bytes;
    if (framed.length > 0) this.session.send(framed, this.#now);
  }

  #onClosed(reason: string): void {
    if (this.#closedReason !== undefined) return;
    this.#closedReason = reason;
    this.#events.closed?.(reason);
  }

  /** A datagram from the peer (decrypted in place). Returns false if it did not authenticate. */
  input(datagram: Uint8Array, length: number, now: number): boolean {
    this.#now = now;
    if (!this.session.input(datagram, length, now)) return false;
    this.#afterInput(now);
    return true;
  }

  /** An already-decrypted payload (server routing path). */
  inputPayload(buf: Uint8Array, offset: number, length: number, now: number): void {
    this.#now = now;
    this.session.inputPayload(buf, offset, length, now);
    this.#afterInput(now);
  }

  #afterInput(now: number): void {
    this.#pump(now);
    this.#checkDrain();
  }

  #checkDrain(): void {
    if (this.#blocked && this.session.canSend()) {
      this.#blocked = false;
      this.#events.drain?.();
    }
  }

  /** Moves received KCP stream bytes into smux while smux's receive budget allows. */
  #pump(now: number): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      const limit = this.#opts.smux.maxReceiveBuffer;
      while (this.#closedReason === undefined) {
        const smux = this.#smux;
        if (smux !== undefined && smux.bufferedBytes >= limit) break;
        const n = this.session.recv(this.#rx);
        if (n <= 0) break;
        this.#feedStream(this.#rx.subarray(0, n), now);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #feedStream(bytes: Uint8Array, now: number): void {
    if (this.#compress === undefined) this.#setCompress(bytes[0] === SNAPPY_STREAM_MARK);
    const dec = this.#decoder;
    if (dec === undefined) {
      this.#feedSmux(bytes, now);
      return;
    }
    if (dec.push(bytes) < 0) {
      this.close(`Compression error: ${dec.error}`);
      return;
    }
    for (;;) {
      const m = dec.read(this.#rx2);
      if (m <= 0) break;
      this.#feedSmux(this.#rx2.subarray(0, m), now);
      if (this.#closedReason !== undefined) return;
    }
  }

  #feedSmux(bytes: Uint8Array, now: number): void {
    if (this.#smux === undefined) {
      const v = bytes[0];
      if (v !== 1 && v !== 2) {
        this.close(`Unknown smux version ${v} in the peer's first frame`);
        return;
      }
      this.#startSmux(v, now);
    }
    this.#smux!.input(bytes, now);
  }

  /** Runs timers (KCP flush/retransmit, smux keepalive); returns the next deadline in ms. */
  tick(now: number): number {
    this.#now = now;
    let next = this.session.update(now);
    const smux = this.#smux;
    if (smux === undefined && this.#closedReason === undefined) {
      // a peer that never starts its smux session is dropped like a silent smux session
      // wrap-safe: time left before the limit, relative to now
      const left = (this.#created + this.#opts.smux.keepAliveTimeout - now) | 0;
      if (left <= 0) this.close("No smux session from the peer");
      else if (now + left < next) next = now + left;
    }
    if (smux !== undefined && this.#closedReason === undefined) {
      const t = smux.tick(now);
      if (t < next) next = t;
      this.session.flush(now);
    }
    this.#checkDrain();
    return next;
  }

  /** True while the KCP send queue is below both windows (kcp-go's write gate). */
  canWrite(): boolean {
    const ok = this.session.canSend();
    if (!ok) this.#blocked = true;
    return ok;
  }

  /** Opens a stream (client). Returns the sid or -1. */
  openStream(now: number): number {
    this.#now = now;
    const smux = this.#smux;
    if (smux === undefined || this.#closedReason !== undefined) return -1;
    const sid = smux.openStream(now);
    this.session.flush(now);
    return sid;
  }

  /** Writes stream bytes; returns the count accepted by smux (0 = window full, -1 = closed). */
  write(sid: number, data: Uint8Array, now: number): number {
    this.#now = now;
    const smux = this.#smux;
    if (smux === undefined) return -1;
    const n = smux.write(sid, data, now);
    if (n > 0) this.session.flush(now);
    return n;
  }

  /** Reads stream bytes: n > 0, 0 nothing yet, -1 end of stream. */
  read(sid: number, dst: Uint8Array, now: number): number {
    this.#now = now;
    const smux = this.#smux;
    if (smux === undefined) return -1;
    const n = smux.read(sid, dst, now);
    if (n !== 0) {
      // reading freed receive budget: continue draining KCP, and send any UPD promptly
      this.#pump(now);
      this.session.flush(now);
    }
    return n;
  }

  /** Half-close: FIN on the stream, reading continues. */
  closeWrite(sid: number, now: number): void {
    this.#now = now;
    this.#smux?.closeWrite(sid, now);
    this.session.flush(now);
  }

  /** Closes a stream fully. */
  closeStream(sid: number, now: number): void {
    this.#now = now;
    this.#smux?.closeStream(sid, now);
    this.session.flush(now);
  }

  /** Closes the connection (nothing is sent: kcptun has no close handshake). */
  close(reason = "Closed"): void {
    if (this.#smux !== undefined && !this.#smux.isClosed) this.#smux.close(reason);
    this.#onClosed(reason);
  }
}
