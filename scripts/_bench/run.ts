/**
 * One benchmark case: a tunnel server, the link relay and a tunnel client each as its own
 * process (ours: `deno run cli.ts`, Go: kcptun-server/kcptun-client), the traffic in this
 * process, and every process measured through `/proc` over the transfer. Deno adapter.
 *
 * @module
 */

import { fileURLToPath as fromFileUrl } from "node:url";
import { type LinkProfile, parseLinkProfile } from "../../lib/link/link.ts";
import { meanLoss } from "../../lib/lab/ceiling.ts";
import { isPerfectLink } from "../../lib/lab/lab.ts";
import { type Peer, spawnPeer } from "../../lib/lab/peer.ts";
import { freeTcpPort, freeUdpPort } from "../../lib/lab/ports.ts";
import { type ProcStats, readUdpReceiveErrors } from "../../lib/lab/proc_stats.ts";
import { makeSnmpLogDir, readSnmpCsv } from "../../lib/lab/snmp_csv.ts";
import {
  closeQuietly,
  connectLocal,
  listenTarget,
  makePattern,
  type Meter,
  receiveSide,
  sendSide,
  type SideResult,
} from "../../lib/lab/traffic.ts";
import type { LabDirection } from "../../lib/lab/args.ts";
import type { BenchImpl } from "./args.ts";

/** One case of the matrix. */
export interface BenchCase {
  /** Profile name or spec (as given to the relay). */
  profile: string;
  /** Which way the data flows. */
  direction: LabDirection;
  /** Which implementation. */
  impl: BenchImpl;
  /** Seconds of sending. */
  seconds: number;
  /** Seed of the link and the data. */
  seed: number;
  /** Round of `--repeat`, from 0. */
  round: number;
  /**
   * Where to keep the peers' SNMP logs and last output lines when the case fails or has a slow
   * tail (see {@link keepsLogs}); undefined = keep nothing.
   */
  logsDir?: string;
}

/** CPU seconds of the transfer and peak memory of one process. */
export interface ProcUse {
  /** CPU seconds used during the transfer. */
  cpuSeconds: number;
  /** Peak RSS over the process's life, bytes. */
  peakRssBytes: number;
  /**
   * Peak anonymous RSS (`RssAnon`, sampled every 200 ms during the transfer), bytes: memory the
   * process allocated, without the file-backed pages of its executable that RSS also counts.
   */
  peakAnonBytes: number;
  /** CPU seconds used after the warm-up mark (see {@link BenchResult.steadyBytes}). */
  steadyCpuSeconds: number;
}

/** What one case measured. */
export interface BenchResult {
  /** Profile name or spec. */
  profile: string;
  /** Mean loss of the data direction, 0..1. */
  loss: number;
  /** Bottleneck rate of the data direction, bit/s; 0 when unlimited. */
  linkBps: number;
  /** Which way. */
  direction: LabDirection;
  /** Which implementation. */
  impl: BenchImpl;
  /** Round of `--repeat`, from 0 (absent in results written before it existed). */
  round?: number;
  /** Bytes delivered. */
  bytes: number;
  /** First byte sent → receiver's end of stream, seconds. */
  seconds: number;
  /**
   * The sender's last write (and close) → the receiver's end of stream, seconds: how long the
   * tunnel took to deliver what it had already accepted. A long tail is a stall at the end that
   * the mean goodput hides. NaN when nothing was sent.
   */
  tailSeconds: number;
  /** Delivered bits per second. */
  goodputBps: number;
  /**
   * Bytes delivered after the warm-up mark, a third of the way into the sending time: with
   * {@link ProcUse.steadyCpuSeconds} it gives the CPU per GB of a process past its ramp-up and
   * (for ours) past V8 compiling the hot code. 0 when the run ended before the mark.
   */
  steadyBytes: number;
  /** Same byte count and sha-256 on both ends, no error. */
  verified: boolean;
  /** What failed. */
  error?: string;
  /** Tunnel client process. */
  client: ProcUse;
  /** Tunnel server process. */
  server: ProcUse;
  /** Relay process; undefined on a perfect link (no relay). */
  relay?: ProcUse;
  /** Resent segments / segments sent by the sending end, %, from its SNMP log. */
  retransPct?: number;
  /** Datagrams the host dropped for full UDP receive buffers during the transfer (Linux). */
  hostDrops?: number;
  /** Directory the case's logs were kept in (see {@link BenchCase.logsDir}). */
  logs?: string;
}

/** A tail longer than this keeps the case's logs, s. */
export const SLOW_TAIL_SECONDS = 5;

/**
 * Whether a case's logs are worth keeping: it failed, or it took longer than
 * {@link SLOW_TAIL_SECONDS} to deliver what the tunnel had already accepted (a stall the mean
 * goodput hides).
 */
export function keepsLogs(r: BenchResult): boolean {
  return !r.verified || r.tailSeconds > SLOW_TAIL_SECONDS;
}

/** Copies the SNMP logs of `from` and each peer's last output into `to`; never throws. */
function copyLogs(from: string, to: string, outputs: string[]): boolean {
  try {
    Deno.mkdirSync(to, { recursive: true });
    for (const e of Deno.readDirSync(from)) {
      if (e.isFile) Deno.copyFileSync(`${from}/${e.name}`, `${to}/${e.name}`);
    }
    Deno.writeTextFileSync(`${to}/peers.txt`, outputs.join("\n"));
    return true;
  } catch {
    return false;
  }
}

/** Time to wait for a peer's final SNMP row (written once a second), ms. */
const SNMP_ROW_WAIT_MS = 2500;
/** A transfer that delivers nothing for this long fails, ms. */
const STALL_MS = 20000;

const CLI = fromFileUrl(new URL("../../cli.ts", import.meta.url));
const RELAY = fromFileUrl(new URL("../relay.ts", import.meta.url));
const REPO = fromFileUrl(new URL("../../", import.meta.url));

/**
 * V8 flags of our tunnel processes, as the deno.json tasks give them: a 1 MB young generation
 * (about 9 MB less peak RSS per client+server pair, no measurable CPU cost).
 */
const TUNNEL_V8_FLAGS = "--v8-flags=--max-semi-space-size=1";

function denoArgs(script: string, args: string[]): string[] {
  // run from the repository so deno.json (unstable net, import map) applies
  const v8 = script === CLI ? [TUNNEL_V8_FLAGS] : [];
  return ["run", "-A", ...v8, "--config", `${REPO}deno.json`, script, ...args];
}

/** Which implementation runs each end: `mixed` puts ours at the sending end only. */
function ends(impl: BenchImpl, direction: LabDirection): { server: Side; client: Side } {
  if (impl !== "mixed") return { server: impl, client: impl };
  return direction === "download"
    ? { server: "ours", client: "go" }
    : { server: "go", client: "ours" };
}

type Side = "ours" | "go";

function spawnServer(impl: Side, args: string[]): Promise<Peer> {
  return impl === "ours"
    ? spawnPeer({
      command: Deno.execPath(),
      args: denoArgs(CLI, ["server", ...args]),
      ready: /Listening on/,
    })
    : spawnPeer({ command: "kcptun-server", args, ready: /key derivation done/ });
}

function spawnClient(impl: Side, args: string[], goServer: boolean): Promise<Peer> {
  return impl === "ours"
    ? spawnPeer({
      command: Deno.execPath(),
      // Go kcptun 2021's server speaks smux v1 only (its default); ours detects the version
      args: denoArgs(CLI, ["client", ...(goServer ? ["--smuxver", "1"] : []), ...args]),
      ready: /Listening on/,
    })
    : spawnPeer({ command: "kcptun-client", args, ready: /key derivation done/ });
}

/** A process's use between `before` and `after`, `steady` the stats at the warm-up mark. */
function use(
  before: ProcStats | undefined,
  steady: ProcStats | undefined,
  after: ProcStats | undefined,
  peakAnonBytes: number,
): ProcUse {
  return {
    cpuSeconds: (after?.cpuSeconds ?? 0) - (before?.cpuSeconds ?? 0),
    peakRssBytes: after?.peakRssBytes ?? 0,
    peakAnonBytes: Math.max(peakAnonBytes, after?.anonRssBytes ?? 0),
    steadyCpuSeconds: steady === undefined ? 0 : (after?.cpuSeconds ?? 0) - steady.cpuSeconds,
  };
}

/** The warm-up mark: this fraction of the sending time into the run. */
const STEADY_FROM = 1 / 3;

/**
 * Runs one case; never throws (a failure is returned as `error`). `onProgress` gets the bytes
 * delivered and the seconds elapsed about once a second.
 */
export async function runBenchCase(
  c: BenchCase,
  onProgress: (bytes: number, seconds: number) => void = () => {},
): Promise<BenchResult> {
  const link: LinkProfile = parseLinkProfile(c.profile);
  const perfect = isPerfectLink(link);
  const empty = { cpuSeconds: 0, peakRssBytes: 0, peakAnonBytes: 0, steadyCpuSeconds: 0 };
  const result: BenchResult = {
    profile: c.profile,
    loss: meanLoss(link),
    linkBps: link.rateBps ?? 0,
    direction: c.direction,
    impl: c.impl,
    round: c.round,
    bytes: 0,
    seconds: 0,
    tailSeconds: NaN,
    goodputBps: 0,
    steadyBytes: 0,
    verified: false,
    client: empty,
    server: empty,
  };
  const dir = makeSnmpLogDir();
  const target = listenTarget();
  const peers: Peer[] = [];
  /** What each of `peers` is, for the kept logs. */
  const names: string[] = [];
  let app: Deno.TcpConn | undefined;
  let far: Deno.TcpConn | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  try {
    const serverPort = freeUdpPort();
    const side = ends(c.impl, c.direction);
    const server = await spawnServer(side.server, [
      ...["-l", `127.0.0.1:${serverPort}`, "-t", `127.0.0.1:${target.port}`],
      ...["--snmplog", `${dir}/server.csv`, "--snmpperiod", "1"],
    ]);
    peers.push(server);
    names.push(`${side.server} server`);
    let remotePort = serverPort;
    let relay: Peer | undefined;
    if (!perfect) {
      relay = await spawnPeer({
        command: Deno.execPath(),
        args: denoArgs(RELAY, [
          ...["--listen", "127.0.0.1:0", "--target", `127.0.0.1:${serverPort}`],
          ...["--profile", c.profile, "--seed", String(c.seed)],
        ]),
        ready: /relay listening on \S+:\d+ ->/,
      });
      peers.push(relay);
      names.push("relay");
      remotePort = Number(/:(\d+) ->$/.exec(relay.readyLine)?.[1]);
    }
    const clientPort = freeTcpPort();
    const client = await spawnClient(side.client, [
      ...["-l", `127.0.0.1:${clientPort}`, "-r", `127.0.0.1:${remotePort}`],
      ...["--snmplog", `${dir}/client.csv`, "--snmpperiod", "1"],
    ], side.server === "go");
    peers.push(client);
    names.push(`${side.client} client`);

    app = await connectLocal(clientPort, 10000);
    const before = [client.stats(), server.stats(), relay?.stats()];
    const drops0 = readUdpReceiveErrors();
    const meter: Meter = { received: 0 };
    const stop = new AbortController();
    let failure: string | undefined;
    const fail = (message: string) => {
      failure ??= message;
      stop.abort();
      closeQuietly(app);
      closeQuietly(far);
      target.close();
    };
    const t0 = performance.now();
    const peakAnon = [before[0]?.anonRssBytes ?? 0, before[1]?.anonRssBytes ?? 0];
    let steady: { bytes: number; stats: (ProcStats | undefined)[] } | undefined;
    let lastBytes = 0;
    let lastAt = t0;
    let lastReport = t0;
    ticker = setInterval(() => {
      const now = performance.now();
      if (meter.received !== lastBytes) {
        lastBytes = meter.received;
        lastAt = now;
      } else if (now - lastAt > STALL_MS) {
        fail(`Stalled: nothing delivered for ${STALL_MS / 1000} s`);
      }
      const sample = [client.stats(), server.stats()];
      for (let i = 0; i < 2; i++) peakAnon[i] = Math.max(peakAnon[i], sample[i]?.anonRssBytes ?? 0);
      if (steady === undefined && now - t0 >= c.seconds * 1000 * STEADY_FROM) {
        steady = { bytes: meter.received, stats: sample };
      }
      for (const p of peers) {
        if (p.exited()) {
          fail(`A peer exited: ${p.output().trim().split("\n").slice(-3).join(" / ")}`);
        }
      }
      if (now - lastReport >= 1000) {
        lastReport = now;
        onProgress(meter.received, (now - t0) / 1000);
      }
    }, 200);
    const plan = { durationMs: c.seconds * 1000, signal: stop.signal };
    const pattern = makePattern(c.seed);
    const accepted = target.accepted.then((conn) => far = conn).catch(() => undefined);
    const none: SideResult = { bytes: 0, sha256: "", firstAt: NaN, endAt: NaN };
    let sent: SideResult;
    let got: SideResult;
    if (c.direction === "download") {
      const receiving = receiveSide(app, meter);
      await accepted;
      const sending = far === undefined ? Promise.resolve(none) : sendSide(far, pattern, plan);
      [sent, got] = await Promise.all([sending, receiving]);
    } else {
      const sending = sendSide(app, pattern, plan);
      await accepted;
      const receiving = far === undefined ? Promise.resolve(none) : receiveSide(far, meter);
      [sent, got] = await Promise.all([sending, receiving]);
    }
    const after = [client.stats(), server.stats(), relay?.stats()];
    const drops1 = readUdpReceiveErrors();
    clearInterval(ticker);
    ticker = undefined;

    const senderCsv = `${dir}/${c.direction === "download" ? "server" : "client"}.csv`;
    const rows = readSnmpCsv(senderCsv).rows;
    const deadline = performance.now() + SNMP_ROW_WAIT_MS;
    while (performance.now() < deadline && readSnmpCsv(senderCsv).rows <= rows) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const totals = readSnmpCsv(senderCsv).totals;

    const seconds = Number.isNaN(sent.firstAt) ? 0 : (got.endAt - sent.firstAt) / 1000;
    const error = failure ?? sent.error ?? got.error ??
      (far === undefined ? "The tunnel never reached the target" : undefined);
    result.bytes = got.bytes;
    result.seconds = seconds;
    result.tailSeconds = Number.isNaN(sent.firstAt) ? NaN : (got.endAt - sent.endAt) / 1000;
    result.goodputBps = seconds > 0 ? (got.bytes * 8) / seconds : 0;
    result.verified = error === undefined && got.bytes === sent.bytes &&
      got.sha256 === sent.sha256;
    if (error !== undefined) result.error = error;
    result.client = use(before[0], steady?.stats[0], after[0], peakAnon[0]);
    result.server = use(before[1], steady?.stats[1], after[1], peakAnon[1]);
    if (relay !== undefined) result.relay = use(before[2], undefined, after[2], 0);
    result.steadyBytes = steady === undefined ? 0 : got.bytes - steady.bytes;
    if (drops0 !== undefined && drops1 !== undefined) result.hostDrops = drops1 - drops0;
    if (totals.OutSegs > 0) result.retransPct = (totals.RetransSegs / totals.OutSegs) * 100;
    return result;
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
    return result;
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    closeQuietly(app);
    closeQuietly(far);
    target.close();
    const outputs: string[] = [];
    for (let i = peers.length - 1; i >= 0; i--) {
      const out = (await peers[i].stop()).trim().split("\n").slice(-20).join("\n");
      outputs.push(`== ${names[i]} (last lines)\n${out}\n`);
    }
    if (c.logsDir !== undefined && keepsLogs(result) && copyLogs(dir, c.logsDir, outputs)) {
      result.logs = c.logsDir;
    }
    Deno.removeSync(dir, { recursive: true });
  }
}
