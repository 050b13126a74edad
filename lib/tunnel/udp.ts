/**
 * A UDP endpoint for the tunnel: one socket, a receive loop over one reused buffer (about 1.7×
 * faster than the async iterator), and sends that copy the datagram into a pooled buffer,
 * because Deno reads the bytes of `send` after the call returns.
 *
 * @module
 */

import { setSocketBuffers } from "./sockbuf.ts";

/** Handler of one received datagram; `buf` is reused after it returns. */
export type DatagramHandler = (buf: Uint8Array, length: number, from: Deno.NetAddr) => void;

const BUF_SIZE = 2048;
const POOL_MAX = 512;

/** A bound UDP socket with a pooled send path. */
export class UdpEndpoint {
  /** The underlying socket. */
  readonly conn: Deno.DatagramConn;
  /** Local address. */
  readonly addr: Deno.NetAddr;
  /** Send errors (e.g. ICMP unreachable reported by the kernel). */
  sendErrors = 0;
  /** Receive errors other than closing. */
  receiveErrors = 0;
  readonly #pool: Uint8Array[] = [];
  #closed = false;
  #loop: Promise<void> | undefined;
  #inflight = 0;
  readonly #idle: (() => void)[] = [];

  /** Why `--sockbuf` could not be applied, if it could not. */
  readonly sockbufError: string | undefined;

  /**
   * Binds a socket (`port` 0 for an ephemeral one) and, when `sockbuf` > 0, sizes its kernel
   * buffers like kcptun's `--sockbuf`.
   */
  constructor(hostname: string, port: number, sockbuf = 0) {
    this.conn = Deno.listenDatagram({ transport: "udp", hostname, port });
    this.addr = this.conn.addr as Deno.NetAddr;
    if (sockbuf > 0) this.sockbufError = setSocketBuffers(this.addr.port, sockbuf);
  }

  /** Starts the receive loop; resolves when the socket closes. */
  start(handler: DatagramHandler): Promise<void> {
    this.#loop ??= this.#receive(handler);
    return this.#loop;
  }

  async #receive(handler: DatagramHandler): Promise<void> {
    const buf = new Uint8Array(BUF_SIZE);
    while (!this.#closed) {
      let from: Deno.Addr;
      let data: Uint8Array;
      try {
        [data, from] = await this.conn.receive(buf);
      } catch (err) {
        if (this.#closed || err instanceof Deno.errors.BadResource) return;
        // e.g. ECONNREFUSED surfaced on the next receive after an ICMP error: keep going
        this.receiveErrors++;
        continue;
      }
      try {
        handler(buf, data.length, from as Deno.NetAddr);
      } catch (err) {
        // network input must never kill the process; a handler bug is reported, not fatal
        this.receiveErrors++;
        console.error("Datagram handler failed:", err);
      }
    }
  }

  /** Sends `buf[0,length)` to `to`; the bytes are copied first. Never throws. */
  send(buf: Uint8Array, length: number, to: Deno.NetAddr): void {
    if (this.#closed) return;
    const copy = this.#pool.pop() ?? new Uint8Array(BUF_SIZE);
    copy.set(buf.subarray(0, length));
    this.#inflight++;
    this.conn.send(copy.subarray(0, length), to).then(
      () => this.#release(copy),
      () => {
        this.sendErrors++;
        this.#release(copy);
      },
    );
  }

  #release(b: Uint8Array): void {
    if (this.#pool.length < POOL_MAX) this.#pool.push(b);
    if (--this.#inflight === 0) {
      for (const f of this.#idle.splice(0)) f();
    }
  }

  /** Resolves when every queued send has completed (used for a final flush). */
  flushed(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Closes the socket; the receive loop ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}
