/**
 * The kcptun client over Deno sockets: a local TCP (or unix socket) listener whose connections
 * become smux streams over `--conn` KCP sessions, round-robin, created lazily, expired by
 * `--autoexpire`, force-closed by the scavenger after `--scavengettl`, and rebuilt with backoff
 * when they die (kcptun-wire.md §9.1).
 *
 * @module
 */

import type { ClientConfig } from "../config/config.ts";
import { createPacketCrypt, type PacketCrypt } from "../crypt/packet_crypt.ts";
import { deriveKey } from "../crypt/kdf.ts";
import { createSnmp, type Snmp } from "../session/snmp.ts";
import { drainAndClose, DrivenConnection, type DuplexConn, monotonicNow } from "./driver.ts";
import { UdpEndpoint } from "./udp.ts";
import { enableNativeLoop } from "./_native_loop.ts";
import { connectionOptions, randomConv, secureRandom } from "./options.ts";
import { logger } from "../log.ts";
import type { Kcp } from "../kcp/kcp.ts";
import { Qpp } from "../qpp/qpp.ts";
import { startSnmpLog } from "./snmp_log.ts";
import { runUntilAborted } from "./run.ts";

/** Options of a running client. */
export interface ClientRunOptions {
  /** Stops the client (graceful). */
  signal: AbortSignal;
  /**
   * Drive the tunnel from its own epoll loop where it can run (Linux with FFI): fewer, cheaper
   * wake-ups. Deno's timers in this process may then fire up to about 100 ms late while a
   * session is open. `KCPTUN_LOOP=deno` in the environment also turns it off. @default true
   */
  ownLoop?: boolean;
}

interface ClientSession {
  endpoint: UdpEndpoint;
  driven: DrivenConnection;
  remote: Deno.NetAddr;
  created: number;
  /** monotonic ms after which new streams go to a fresh session (autoexpire), or Infinity */
  expires: number;
}

/** A started client. */
export interface ClientHandle {
  /** The local listening address. */
  readonly addr: Deno.Addr;
  /** Counters of this client. */
  readonly snmp: Snmp;
  /** Live KCP sessions (slots and expired ones still serving streams). */
  sessionCount(): number;
  /** The KCP engine of every live session (RTT, windows; for the lab and diagnostics). */
  kcpSessions(): Kcp[];
  /** Each live session's conv, local UDP port and server address. */
  sessions(): { conv: number; localPort: number; remote: string; expired: boolean }[];
  /** Graceful stop. */
  close(drainMs?: number): Promise<void>;
}

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 16000;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Resolves the server host to an address datagrams will come from. */
export async function resolveHost(host: string): Promise<string> {
  const h = host.startsWith("[") ? host.slice(1, -1) : host;
  if (h === "" || h === "localhost") return "127.0.0.1";
  if (IPV4.test(h) || h.includes(":")) return h;
  try {
    const a = await Deno.resolveDns(h, "A");
    if (a.length > 0) return a[0];
  } catch {
    // fall through to AAAA
  }
  const aaaa = await Deno.resolveDns(h, "AAAA");
  if (aaaa.length === 0) throw new Error(`Cannot resolve "${h}"`);
  return aaaa[0];
}

function pickPort(min: number, max: number): number {
  if (min === max) return min;
  const b = new Uint32Array(1);
  crypto.getRandomValues(b);
  return min + b[0] % (max - min + 1);
}

/** Starts a client; the listener is bound when this returns. */
export function startClient(config: ClientConfig): ClientHandle {
  const log = logger("client");
  const streamLog = logger("stream");
  const snmp = createSnmp();
  const pass = deriveKey(config.key);
  const crypt: PacketCrypt = createPacketCrypt(config.crypt, pass, secureRandom);
  const slots: (ClientSession | undefined)[] = new Array(config.conn).fill(undefined);
  const expired = new Set<ClientSession>();
  const live = new Set<ClientSession>();
  const pipes = new Set<Promise<unknown>>();
  const stop = new AbortController();
  const qpp = config.qpp
    ? new Qpp(new TextEncoder().encode(config.key), config.qppCount)
    : undefined;
  let rr = 0;
  let sockbufWarned = false;
  let closing = false;

  const listener: Deno.Listener = config.localaddr.kind === "unix"
    ? Deno.listen({ transport: "unix", path: config.localaddr.path })
    : Deno.listen({
      hostname: config.localaddr.host === ""
        ? "0.0.0.0"
        : config.localaddr.host.replace(/^\[|\]$/g, ""),
      port: config.localaddr.port,
    });

  const createSession = async (): Promise<ClientSession> => {
    const hostname = await resolveHost(config.remoteaddr.host);
    const remote: Deno.NetAddr = {
      transport: "udp",
      hostname,
      port: pickPort(config.remoteaddr.portMin, config.remoteaddr.portMax),
    };
    const endpoint = new UdpEndpoint(
      hostname.includes(":") ? "::" : "0.0.0.0",
      0,
      config.sockbuf,
    );
    if (endpoint.sockbufError && !sockbufWarned) {
      sockbufWarned = true;
      log.warn(`--sockbuf ${config.sockbuf} not applied: ${endpoint.sockbufError}`);
    }
    const conv = randomConv();
    const opts = connectionOptions(config, {
      conv,
      crypt,
      isClient: true,
      snmp,
      compress: !config.nocomp,
      smuxVersion: config.smuxver,
    });
    const now = monotonicNow();
    const s: ClientSession = {
      endpoint,
      remote,
      created: now,
      expires: config.autoexpire > 0 ? now + config.autoexpire * 1000 : Infinity,
    } as ClientSession;
    s.driven = new DrivenConnection(opts, {
      send: (b, n) => endpoint.send(b, n, remote),
      rateLimit: config.ratelimit,
      closed: (reason) => {
        live.delete(s);
        expired.delete(s);
        void endpoint.flushed().then(() => endpoint.close());
        snmp.CurrEstab = live.size;
        log.info(`Session conv ${conv} to ${remote.hostname}:${remote.port} closed: ${reason}`);
      },
    });
    void endpoint.start((buf, len, from) => {
      // only the server's address may speak to this session (kcp-go ≥ 5.6.59)
      if (from.port !== remote.port || from.hostname !== remote.hostname) {
        snmp.InErrs++;
        return;
      }
      s.driven.input(buf, len);
    });
    live.add(s);
    snmp.ActiveOpens++;
    snmp.CurrEstab = live.size;
    if (live.size > snmp.MaxConn) snmp.MaxConn = live.size;
    log.info(
      `New session conv ${conv} to ${remote.hostname}:${remote.port} from port ${endpoint.addr.port}`,
    );
    return s;
  };

  /** The session for a new stream in slot `idx`, rebuilt with backoff when dead or expired. */
  const sessionFor = async (idx: number): Promise<ClientSession | undefined> => {
    let backoff = BACKOFF_MIN_MS;
    while (!closing) {
      const cur = slots[idx];
      const now = monotonicNow();
      if (cur !== undefined && !cur.driven.isClosed && now < cur.expires) return cur;
      if (cur !== undefined && !cur.driven.isClosed) expired.add(cur); // autoexpire: keep serving
      slots[idx] = undefined;
      try {
        const s = await createSession();
        slots[idx] = s;
        return s;
      } catch (err) {
        log.warn(`Cannot create a session: ${(err as Error).message}; retrying in ${backoff} ms`);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      }
    }
    return undefined;
  };

  const handle = async (conn: DuplexConn) => {
    const idx = rr % config.conn;
    rr = (rr + 1) & 0xffff;
    for (let attempt = 0; attempt < 2; attempt++) {
      const s = await sessionFor(idx);
      if (s === undefined) break;
      const sid = s.driven.openStream();
      if (sid < 0) {
        // stream ids exhausted or session died between: force a new session
        s.driven.close("Cannot open more streams");
        continue;
      }
      streamLog.info(`Stream open sid ${sid} conv ${s.driven.tc.session.conv}`);
      const r = await s.driven.pipe(sid, conn, stop.signal, qpp);
      streamLog.info(`Stream close sid ${sid} (out ${r.sent} B, in ${r.received} B)`);
      return;
    }
    try {
      conn.close();
    } catch {
      // already closed
    }
  };

  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // listener closed
      }
      const p = handle(conn as DuplexConn);
      pipes.add(p);
      p.finally(() => pipes.delete(p));
    }
  })();

  const scavenger = config.autoexpire > 0
    ? setInterval(() => {
      const now = monotonicNow();
      for (const s of expired) {
        if (now >= s.expires + config.scavengettl * 1000) {
          s.driven.close("Scavenged after autoexpire");
        }
      }
    }, 1000)
    : undefined;

  const snmpLog = startSnmpLog(config, snmp);
  log.info(
    `Listening on ${
      config.localaddr.kind === "unix"
        ? config.localaddr.path
        : `${(listener.addr as Deno.NetAddr).hostname}:${(listener.addr as Deno.NetAddr).port}`
    }, remote ${config.remoteaddr.host}:${config.remoteaddr.portMin}${
      config.remoteaddr.portMax !== config.remoteaddr.portMin ? "-" + config.remoteaddr.portMax : ""
    }, crypt ${config.crypt}`,
  );

  return {
    addr: listener.addr,
    snmp,
    sessionCount: () => live.size,
    kcpSessions: () => [...live].map((s) => s.driven.tc.session.kcp),
    sessions: () =>
      [...live].map((s) => ({
        conv: s.driven.tc.session.conv,
        localPort: s.endpoint.addr.port,
        remote: `${s.remote.hostname}:${s.remote.port}`,
        expired: expired.has(s),
      })),
    async close(drainMs = 5000) {
      if (closing) return;
      closing = true;
      try {
        listener.close();
      } catch {
        // already closed
      }
      await accepting;
      if (scavenger !== undefined) clearInterval(scavenger);
      await drainAndClose([...live].map((s) => s.driven), pipes, stop, drainMs);
      for (const s of [...live]) {
        s.driven.close("Client stopped");
        await s.endpoint.flushed();
        s.endpoint.close();
      }
      if (config.localaddr.kind === "unix") {
        try {
          Deno.removeSync(config.localaddr.path);
        } catch {
          // already gone
        }
      }
      await snmpLog.stop();
    },
  };
}

/** Runs a client until `options.signal` aborts (SIGUSR1 logs the counters), then stops gracefully. */
export async function runClient(config: ClientConfig, options: ClientRunOptions): Promise<void> {
  if (options.ownLoop ?? true) enableNativeLoop();
  await runUntilAborted(startClient(config), options.signal);
}
