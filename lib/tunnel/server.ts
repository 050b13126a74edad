/**
 * The kcptun server over Deno sockets: UDP listener(s), sessions keyed by peer address as
 * kcp-go's `Listener` keys them, one smux stream per target connection, and per-session
 * detection of crypt, compression and smux version (unless pinned by flags).
 *
 * @module
 */

import type { ServerConfig } from "../config/config.ts";
import { createPacketCrypt, type PacketCrypt } from "../crypt/packet_crypt.ts";
import { deriveKey } from "../crypt/kdf.ts";
import { payloadConv, payloadFirstSn } from "../session/kcp_session.ts";
import { detectCrypt, DETECTION_ORDER, LazyCandidates } from "../session/detect.ts";
import { createSnmp, type Snmp } from "../session/snmp.ts";
import { drainAndClose, DrivenConnection, type DuplexConn, monotonicNow } from "./driver.ts";
import { UdpEndpoint } from "./udp.ts";
import { enableNativeLoop } from "./_native_loop.ts";
import { connectionOptions, secureRandom } from "./options.ts";
import { logger } from "../log.ts";
import type { Kcp } from "../kcp/kcp.ts";
import { Qpp } from "../qpp/qpp.ts";
import { startSnmpLog } from "./snmp_log.ts";
import { runUntilAborted } from "./run.ts";

/** Sessions one listener keeps at most (kcp-go's accept backlog is 128 pending; we bound live ones). */
const MAX_SESSIONS = 4096;

/** Options of a running server. */
export interface ServerRunOptions {
  /** Stops the server (graceful: no new sessions, in-flight data drained). */
  signal: AbortSignal;
  /**
   * Drive the tunnel from its own epoll loop where it can run (Linux with FFI): fewer, cheaper
   * wake-ups. Deno's timers in this process may then fire up to about 100 ms late while a
   * session is open. `KCPTUN_LOOP=deno` in the environment also turns it off. @default true
   */
  ownLoop?: boolean;
}

/** One peer session of the server. */
interface PeerSession {
  key: string;
  conv: number;
  crypt: PacketCrypt;
  driven: DrivenConnection;
  endpoint: UdpEndpoint;
  addr: Deno.NetAddr;
}

/** A started server. */
export interface ServerHandle {
  /** The bound UDP addresses (one per port of the range). */
  readonly addrs: Deno.NetAddr[];
  /** Process-wide counters of this server. */
  readonly snmp: Snmp;
  /** Live sessions. */
  sessionCount(): number;
  /** The KCP engine of every live session (RTT, windows; for the lab and diagnostics). */
  kcpSessions(): Kcp[];
  /** Detected or pinned settings of each live session (for logs and tests). */
  sessions(): {
    peer: string;
    conv: number;
    crypt: string;
    compress?: boolean;
    smuxVersion?: number;
  }[];
  /** Graceful stop: no new sessions or streams, drain in-flight data (bounded), final flush. */
  close(drainMs?: number): Promise<void>;
}

function endpointHost(host: string): string {
  if (host === "") return "0.0.0.0";
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

/** Dials the target: TCP `host:port` or a unix socket path. */
async function dialTarget(target: ServerConfig["target"]): Promise<DuplexConn> {
  if (target.kind === "unix") {
    return await Deno.connect({ transport: "unix", path: target.path }) as DuplexConn;
  }
  return await Deno.connect({
    hostname: target.host === "" ? "127.0.0.1" : endpointHost(target.host),
    port: target.port,
  }) as DuplexConn;
}

function describeTarget(target: ServerConfig["target"]): string {
  return target.kind === "unix" ? target.path : `${target.host}:${target.port}`;
}

/** Starts a server; resolves once every listener is bound. */
export function startServer(config: ServerConfig): ServerHandle {
  const log = logger("server");
  const streamLog = logger("stream");
  const snmp = createSnmp();
  const pass = deriveKey(config.key);
  // a pinned method is set up now (a bad one fails the start); detected ones on first use
  const crypts: Iterable<PacketCrypt> = config.explicit.crypt
    ? [createPacketCrypt(config.crypt, pass, secureRandom)]
    : new LazyCandidates(DETECTION_ORDER, (m) => createPacketCrypt(m, pass, secureRandom));
  const scratch = new Uint8Array(2048);
  const sessions = new Map<string, PeerSession>();
  const pipes = new Set<Promise<unknown>>();
  const qpp = config.qpp
    ? new Qpp(new TextEncoder().encode(config.key), config.qppCount)
    : undefined;
  let closing = false;
  const stop = new AbortController();

  const endpoints: UdpEndpoint[] = [];
  const host = endpointHost(config.listen.host);
  try {
    for (let port = config.listen.portMin; port <= config.listen.portMax; port++) {
      endpoints.push(new UdpEndpoint(host, port, config.sockbuf));
    }
  } catch (err) {
    for (const ep of endpoints) ep.close();
    throw err;
  }

  const removeSession = (s: PeerSession, reason: string) => {
    if (sessions.get(s.key) === s) sessions.delete(s.key);
    snmp.CurrEstab = sessions.size;
    log.info(`Session ${s.key} conv ${s.conv} closed: ${reason}`);
  };

  const createSession = (
    ep: UdpEndpoint,
    addr: Deno.NetAddr,
    key: string,
    conv: number,
    crypt: PacketCrypt,
  ): PeerSession | undefined => {
    if (sessions.size >= MAX_SESSIONS) return undefined;
    const opts = connectionOptions(config, {
      conv,
      crypt,
      isClient: false,
      snmp,
      compress: config.explicit.nocomp ? !config.nocomp : "auto",
      smuxVersion: config.explicit.smuxver ? config.smuxver : "auto",
    });
    const peer: PeerSession = { key, conv, crypt, endpoint: ep, addr } as PeerSession;
    peer.driven = new DrivenConnection(opts, {
      send: (b, n) => ep.send(b, n, addr),
      rateLimit: config.ratelimit,
      accept: (sid) => onAccept(peer, sid),
      closed: (reason) => removeSession(peer, reason),
    });
    sessions.set(key, peer);
    snmp.PassiveOpens++;
    snmp.CurrEstab = sessions.size;
    if (sessions.size > snmp.MaxConn) snmp.MaxConn = sessions.size;
    log.info(`New session from ${key} conv ${conv} crypt ${crypt.method}`);
    return peer;
  };

  const onAccept = (peer: PeerSession, sid: number) => {
    const d = peer.driven;
    if (closing) {
      d.tc.closeStream(sid, monotonicNow());
      return;
    }
    const p = (async () => {
      let conn: DuplexConn;
      try {
        conn = await dialTarget(config.target);
      } catch (err) {
        log.warn(
          `Stream ${sid} of ${peer.key}: cannot reach target ${describeTarget(config.target)}: ${
            (err as Error).message
          }`,
        );
        if (!d.isClosed) d.tc.closeStream(sid, monotonicNow());
        return;
      }
      streamLog.info(`Stream open ${peer.key} sid ${sid} → ${describeTarget(config.target)}`);
      const r = await d.pipe(sid, conn, stop.signal, qpp);
      streamLog.info(`Stream close ${peer.key} sid ${sid} (in ${r.sent} B, out ${r.received} B)`);
    })();
    pipes.add(p);
    p.finally(() => pipes.delete(p));
  };

  const onDatagram = (ep: UdpEndpoint) => (buf: Uint8Array, len: number, from: Deno.NetAddr) => {
    const key = `${from.hostname}:${from.port}@${ep.addr.port}`;
    const s = sessions.get(key);
    if (s !== undefined) {
      const n = s.crypt.open(buf, len);
      if (n < 0) {
        snmp.InCsumErrors++;
        return;
      }
      snmp.InBytes += len;
      const off = s.crypt.headerSize;
      const conv = payloadConv(buf, off, n);
      if (conv === -1 || conv === s.conv) {
        s.driven.inputPayload(buf, off, n);
        return;
      }
      // a new conv from a known address: a reconnect when it starts at sn 0 (kcp-go Listener)
      if (payloadFirstSn(buf, off, n) !== 0 || closing) return;
      s.driven.close(`Replaced by conv ${conv}`);
      const fresh = createSession(ep, from, key, conv, s.crypt);
      fresh?.driven.inputPayload(buf, off, n);
      return;
    }
    if (closing) return;
    const found = detectCrypt(buf, len, crypts, scratch);
    if (found === undefined) {
      snmp.InCsumErrors++;
      return;
    }
    const off = found.crypt.headerSize;
    const conv = payloadConv(scratch, off, found.payloadLength);
    if (conv === -1) return; // a parity packet cannot open a session
    snmp.InBytes += len;
    const peer = createSession(ep, from, key, conv, found.crypt);
    peer?.driven.inputPayload(scratch, off, found.payloadLength);
  };

  for (const ep of endpoints) void ep.start(onDatagram(ep));
  const sockbufError = endpoints.find((e) => e.sockbufError)?.sockbufError;
  if (sockbufError) log.warn(`--sockbuf ${config.sockbuf} not applied: ${sockbufError}`);
  log.info(
    `Listening on ${endpoints.map((e) => `${e.addr.hostname}:${e.addr.port}`).join(", ")}, target ${
      describeTarget(config.target)
    }, crypt ${config.explicit.crypt ? config.crypt : "auto"}`,
  );
  const snmpLog = startSnmpLog(config, snmp);

  return {
    addrs: endpoints.map((e) => e.addr),
    snmp,
    sessionCount: () => sessions.size,
    kcpSessions: () => [...sessions.values()].map((s) => s.driven.tc.session.kcp),
    sessions: () =>
      [...sessions.values()].map((s) => ({
        peer: s.key,
        conv: s.conv,
        crypt: s.crypt.method,
        compress: s.driven.tc.compress,
        smuxVersion: s.driven.tc.smuxVersion,
      })),
    async close(drainMs = 5000) {
      if (closing) return;
      closing = true;
      await drainAndClose(
        [...sessions.values()].map((s) => s.driven),
        pipes,
        stop,
        drainMs,
      );
      for (const s of [...sessions.values()]) s.driven.close("Server stopped");
      await Promise.all(endpoints.map((e) => e.flushed()));
      for (const ep of endpoints) ep.close();
      await snmpLog.stop();
    },
  };
}

/** Runs a server until `options.signal` aborts (SIGUSR1 logs the counters), then stops gracefully. */
export async function runServer(config: ServerConfig, options: ServerRunOptions): Promise<void> {
  if (options.ownLoop ?? true) enableNativeLoop();
  await runUntilAborted(startServer(config), options.signal);
}
