/**
 * Bench helper: a client and a server TunnelConnection joined by a perfect in-memory link
 * (datagrams handed over in order, no loss, no delay) and a virtual clock that only advances
 * when nothing else can move, so a transfer costs CPU time only.
 *
 * @module
 */

import { TunnelConnection } from "../../lib/session/connection.ts";
import { createPacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { deriveKey } from "../../lib/crypt/kdf.ts";
import { SMUX_DEFAULTS } from "../../lib/smux/config.ts";
import { MODE_PRESETS } from "../../lib/kcp/kcp.ts";
import { seededFill } from "../_helpers/bytes.ts";

/** The flags that change the stack. */
export interface PairConfig {
  crypt: string;
  dataShards: number;
  parityShards: number;
  compress: boolean;
  smuxVersion: 1 | 2;
}

const PASS = deriveKey("bench");
/** What the Deno driver reads from a TCP socket per write (lib/tunnel/driver.ts). */
const WRITE_CHUNK = 32768;

/** A connected client/server pair with one open stream. */
export class BenchPair {
  readonly client: TunnelConnection;
  readonly server: TunnelConnection;
  readonly sid: number;
  readonly #up: Uint8Array[] = [];
  readonly #down: Uint8Array[] = [];
  readonly #rx = new Uint8Array(65536);
  #now = 0;
  #clientDeadline = 0;
  #serverDeadline = 0;

  constructor(cfg: PairConfig) {
    const common = {
      conv: 0x1234567,
      dataShards: cfg.dataShards,
      parityShards: cfg.parityShards,
      ...MODE_PRESETS.fast, // kcptun --mode fast
    };
    const smux = { ...SMUX_DEFAULTS, maxFrameSize: 8192 }; // latest smux settings
    this.client = new TunnelConnection(
      {
        ...common,
        crypt: createPacketCrypt(cfg.crypt, PASS, seededFill(1)),
        isClient: true,
        sndwnd: 128,
        rcvwnd: 512,
        compress: cfg.compress,
        smux: { ...smux, version: cfg.smuxVersion },
      },
      { datagram: (b, n) => this.#up.push(b.slice(0, n)) },
      0,
    );
    this.server = new TunnelConnection(
      {
        ...common,
        crypt: createPacketCrypt(cfg.crypt, PASS, seededFill(2)),
        isClient: false,
        sndwnd: 1024,
        rcvwnd: 1024,
        compress: "auto",
        smux: { ...smux, version: "auto" },
      },
      { datagram: (b, n) => this.#down.push(b.slice(0, n)) },
      0,
    );
    this.sid = this.client.openStream(0);
  }

  #deliver(): boolean {
    let moved = false;
    const now = this.#now;
    while (this.#up.length > 0 || this.#down.length > 0) {
      moved = true;
      for (const d of this.#up.splice(0)) this.server.input(d, d.length, now);
      for (const d of this.#down.splice(0)) this.client.input(d, d.length, now);
    }
    return moved;
  }

  /**
   * Sends `data` client→server and reads it at the server; returns the bytes the server read
   * (equal to `data.length` unless the stack is broken).
   */
  transfer(data: Uint8Array): number {
    const { client, server, sid } = this;
    const rx = this.#rx;
    let sent = 0;
    let received = 0;
    for (let guard = 0; received < data.length && guard < 1_000_000; guard++) {
      let moved = false;
      while (sent < data.length && client.canWrite()) {
        const end = Math.min(sent + WRITE_CHUNK, data.length);
        const n = client.write(sid, data.subarray(sent, end), this.#now);
        if (n <= 0) break;
        sent += n;
        moved = true;
      }
      if (this.#deliver()) moved = true;
      for (let n = server.read(sid, rx, this.#now); n > 0; n = server.read(sid, rx, this.#now)) {
        received += n;
        moved = true;
      }
      if (!moved) {
        this.#now = Math.max(this.#now + 1, Math.min(this.#clientDeadline, this.#serverDeadline));
      }
      if (this.#now >= this.#clientDeadline) this.#clientDeadline = client.tick(this.#now);
      if (this.#now >= this.#serverDeadline) this.#serverDeadline = server.tick(this.#now);
    }
    return received;
  }
}
