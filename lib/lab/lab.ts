/**
 * The link lab: runs a kcptun-ts server, client and the traffic in this process over an
 * emulated link (the UDP relay of `lib/link`), and optionally Go kcptun's binaries on the same
 * link, streams random data one way per run, and reports goodput against the link's ceiling,
 * RTT, resends, FEC recoveries and CPU, with the best settings and suggestions. Deno adapter:
 * it owns sockets, timers and child processes; the arithmetic and the text live in the pure
 * modules next to it.
 *
 * @module
 */

import type { LinkProfile } from "../link/link.ts";
import { startUdpRelay, type UdpRelay } from "../link/relay.ts";
import {
  type ClientConfig,
  parseClientConfig,
  parseServerConfig,
  type ServerConfig,
} from "../config/config.ts";
import { createPacketCrypt } from "../crypt/packet_crypt.ts";
import { startClient } from "../tunnel/client.ts";
import { startServer } from "../tunnel/server.ts";
import { createSnmp, type Snmp } from "../session/snmp.ts";
import { connectionOptions } from "../tunnel/options.ts";
import type { LabDirection, LabVariant } from "./args.ts";
import { type Ceiling, linkCeiling } from "./ceiling.ts";
import { bestVariant, suggestSettings, type VariantSettings } from "./suggest.ts";
import type { CpuUse, LabImpl, LabProgress, LabReport, LabRun, LinkUse } from "./types.ts";
import { hasCommand, type Peer, spawnPeer } from "./peer.ts";
import { readUdpReceiveErrors, selfCpuSeconds } from "./proc_stats.ts";
import { makeSnmpLogDir, readSnmpCsv } from "./snmp_csv.ts";
import { percentile } from "./_stats.ts";
import { freeTcpPort, freeUdpPort } from "./ports.ts";
import {
  closeQuietly,
  connectLocal,
  listenTarget,
  makePattern,
  type Meter,
  receiveSide,
  sendSide,
  type SideResult,
} from "./traffic.ts";

/** Options of {@linkcode runLab}; a parsed `LabArgs` fits as it is. */
export interface LabOptions {
  /** How the report names the link. */
  profileLabel: string;
  /** Link from the client to the server. */
  up: LinkProfile;
  /** Link from the server to the client. */
  down: LinkProfile;
  /** Seconds of sending per run (exactly one of `seconds` and `bytes`). */
  seconds?: number;
  /** Bytes per run (exactly one of `seconds` and `bytes`). */
  bytes?: number;
  /** Directions to run, in order. */
  directions: readonly LabDirection[];
  /** Settings to run, in order (at least one). */
  variants: readonly LabVariant[];
  /** Also run Go kcptun when its binaries are installed. @default false */
  compare?: boolean;
  /** Seed of the link and of the data. */
  seed: number;
  /** ms between progress events. @default 250 */
  progressIntervalMs?: number;
  /** A run that delivers nothing for this long fails. @default 20000 */
  stallMs?: number;
  /** Aborting stops the current run's sender (the run finishes and counts) and skips the rest. */
  signal?: AbortSignal;
  /** The Go binaries. @default { client: "kcptun-client", server: "kcptun-server" } */
  go?: { client: string; server: string };
}

/** A tunnel end's RTT as the lab reads it (a `Kcp` has it). */
interface KcpView {
  readonly srtt: number;
}

/** How often the sending end's RTT is sampled, ms. */
const SAMPLE_MS = 100;
/** Grace for a Go peer's last SNMP row after the transfer, ms (it writes one per second). */
const SNMP_ROW_WAIT_MS = 2500;
/** Drain allowance when closing our tunnel ends, ms. */
const CLOSE_DRAIN_MS = 1000;
const NO_ENV = { get: () => undefined };
const NO_FILE = (path: string): string => {
  throw new Error(`The lab reads no config file, got "${path}"`);
};

/** A started tunnel (either implementation) between the traffic's two ends. */
interface Tunnel {
  /** Local TCP port of the client. */
  port: number;
  /** The relay, when the link is emulated. */
  relay?: UdpRelay;
  /** Live RTT of the sending end's sessions, when available. */
  senderKcp?: () => Iterable<KcpView>;
  /** Live SNMP of the sending end, when available in process. */
  senderSnmp?: Snmp;
  /** CPU seconds so far of every process charged for the run. */
  cpu(): { name: string; seconds: number }[];
  /** Counters after the transfer: resends, segments out, FEC recoveries. */
  counters(): Promise<{ retransSegs?: number; outSegs?: number; fecRecovered?: number }>;
  /** Stops everything it started. */
  close(): Promise<void>;
}

/** The configs of one variant, parsed with placeholder addresses (for ceilings and settings). */
interface Parsed {
  client: ClientConfig;
  server: ServerConfig;
}

function parseVariant(v: LabVariant, clientAddrs: string[], serverAddrs: string[]): Parsed {
  const client = parseClientConfig([...v.clientArgs, ...clientAddrs], NO_ENV, NO_FILE);
  const server = parseServerConfig([...v.serverArgs, ...serverAddrs], NO_ENV, NO_FILE);
  if ("help" in client || "version" in client || "help" in server || "version" in server) {
    throw new TypeError(`Settings "${v.label}" ask for help instead of a configuration`);
  }
  return { client, server };
}

/** True when a profile changes nothing: the lab then connects the ends directly. */
export function isPerfectLink(p: LinkProfile): boolean {
  return !p.rateBps && !p.delayMs && !p.jitterMs && !p.loss && p.burst === undefined &&
    !p.reorder && !p.duplicate;
}

/** The ceiling of one direction with one variant's settings, for one implementation. */
function ceilingOf(
  parsed: Parsed,
  direction: LabDirection,
  impl: LabImpl,
  up: LinkProfile,
  down: LinkProfile,
): Ceiling {
  const sender = direction === "download" ? parsed.server : parsed.client;
  const receiver = direction === "download" ? parsed.client : parsed.server;
  const crypt = createPacketCrypt(sender.crypt, new Uint8Array(32), () => {});
  // what our tunnel would build from this config: rate control and adaptive FEC (Go has neither)
  const ours = impl === "ours"
    ? connectionOptions(sender, {
      conv: 0,
      crypt,
      isClient: direction === "upload",
      snmp: createSnmp(),
      compress: !sender.nocomp,
      smuxVersion: sender.smuxver,
    })
    : undefined;
  return linkCeiling({
    forward: direction === "download" ? down : up,
    reverse: direction === "download" ? up : down,
    mtu: sender.mtu,
    cryptOverhead: crypt.headerSize + crypt.trailerSize,
    dataShards: sender.datashard,
    parityShards: sender.parityshard,
    sndwnd: sender.sndwnd,
    rcvwnd: receiver.rcvwnd,
    rateControl: ours?.rateControl === true,
    adaptiveFec: ours?.adaptiveFec === true,
  });
}

function kcpSource(handle: object): (() => Iterable<KcpView>) | undefined {
  const f = (handle as { kcpSessions?: unknown }).kcpSessions;
  if (typeof f !== "function") return undefined;
  return () => f.call(handle) as Iterable<KcpView>;
}

interface RunContext {
  options: LabOptions;
  direction: LabDirection;
  variant: LabVariant;
  impl: LabImpl;
  perfect: boolean;
}

async function startRelay(ctx: RunContext, targetPort: number, signal: AbortSignal) {
  return await startUdpRelay({
    listen: { hostname: "127.0.0.1", port: 0 },
    target: { hostname: "127.0.0.1", port: targetPort },
    up: ctx.options.up,
    down: ctx.options.down,
    seed: ctx.options.seed,
    signal,
  });
}

async function startOurs(ctx: RunContext, targetPort: number): Promise<Tunnel> {
  const { variant, direction } = ctx;
  const parsed = parseVariant(variant, ["-l", "127.0.0.1:1", "-r", "127.0.0.1:1"], [
    "-l",
    "127.0.0.1:1",
    "-t",
    `127.0.0.1:${targetPort}`,
  ]);
  parsed.server.listen = { ...parsed.server.listen, portMin: 0, portMax: 0 };
  const server = startServer(parsed.server);
  const relayStop = new AbortController();
  let relay: UdpRelay | undefined;
  let client: ReturnType<typeof startClient> | undefined;
  try {
    let remotePort = server.addrs[0].port;
    if (!ctx.perfect) {
      relay = await startRelay(ctx, remotePort, relayStop.signal);
      remotePort = relay.addr.port;
    }
    parsed.client.remoteaddr = { host: "127.0.0.1", portMin: remotePort, portMax: remotePort };
    parsed.client.localaddr = { kind: "tcp", host: "127.0.0.1", port: 0 };
    client = startClient(parsed.client);
  } catch (e) {
    relayStop.abort();
    await relay?.closed;
    await server.close(0);
    throw e;
  }
  const sender = direction === "download" ? server : client;
  const receiver = direction === "download" ? client : server;
  const c = client;
  return {
    port: (client.addr as Deno.NetAddr).port,
    relay,
    senderKcp: kcpSource(sender),
    senderSnmp: sender.snmp,
    cpu: () => [{ name: "lab process", seconds: selfCpuSeconds() }],
    counters: () =>
      Promise.resolve({
        retransSegs: sender.snmp.RetransSegs,
        outSegs: sender.snmp.OutSegs,
        fecRecovered: receiver.snmp.FECRecovered,
      }),
    async close() {
      await c.close(CLOSE_DRAIN_MS);
      await server.close(CLOSE_DRAIN_MS);
      relayStop.abort();
      await relay?.closed;
    },
  };
}

async function startGo(ctx: RunContext, targetPort: number): Promise<Tunnel> {
  const { variant, direction } = ctx;
  const go = ctx.options.go ?? { client: "kcptun-client", server: "kcptun-server" };
  const dir = makeSnmpLogDir();
  const relayStop = new AbortController();
  const peers: Peer[] = [];
  let relay: UdpRelay | undefined;
  const stopAll = async () => {
    for (const p of peers.reverse()) await p.stop();
    relayStop.abort();
    await relay?.closed;
    Deno.removeSync(dir, { recursive: true });
  };
  try {
    const serverPort = freeUdpPort();
    const server = await spawnPeer({
      command: go.server,
      args: [
        ...variant.serverArgs,
        ...["-l", `127.0.0.1:${serverPort}`, "-t", `127.0.0.1:${targetPort}`],
        ...["--snmplog", `${dir}/server.csv`, "--snmpperiod", "1"],
      ],
      ready: /key derivation done/,
    });
    peers.push(server);
    let remotePort = serverPort;
    if (!ctx.perfect) {
      relay = await startRelay(ctx, serverPort, relayStop.signal);
      remotePort = relay.addr.port;
    }
    const clientPort = freeTcpPort();
    const client = await spawnPeer({
      command: go.client,
      args: [
        ...variant.clientArgs,
        ...["-l", `127.0.0.1:${clientPort}`, "-r", `127.0.0.1:${remotePort}`],
        ...["--snmplog", `${dir}/client.csv`, "--snmpperiod", "1"],
      ],
      ready: /key derivation done/,
    });
    peers.push(client);
    const senderCsv = `${dir}/${direction === "download" ? "server" : "client"}.csv`;
    const receiverCsv = `${dir}/${direction === "download" ? "client" : "server"}.csv`;
    let last = [0, 0, 0];
    const cpu = () => {
      const c = client.stats()?.cpuSeconds ?? last[0];
      const s = server.stats()?.cpuSeconds ?? last[1];
      last = [c, s];
      return [
        { name: "kcptun-client", seconds: c },
        { name: "kcptun-server", seconds: s },
        { name: "lab process", seconds: selfCpuSeconds() },
      ];
    };
    return {
      port: clientPort,
      relay,
      cpu,
      async counters() {
        // both write a row every second; wait for one written after the transfer
        const before = [readSnmpCsv(senderCsv).rows, readSnmpCsv(receiverCsv).rows];
        const deadline = performance.now() + SNMP_ROW_WAIT_MS;
        while (
          performance.now() < deadline &&
          (readSnmpCsv(senderCsv).rows <= before[0] || readSnmpCsv(receiverCsv).rows <= before[1])
        ) {
          await new Promise((r) => setTimeout(r, 100));
        }
        const s = readSnmpCsv(senderCsv).totals;
        const r = readSnmpCsv(receiverCsv).totals;
        return {
          retransSegs: s.RetransSegs,
          outSegs: s.OutSegs,
          fecRecovered: r.FECRecovered,
        };
      },
      close: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

function cpuDelta(
  before: { name: string; seconds: number }[],
  after: { name: string; seconds: number }[],
): CpuUse {
  const parts = after.map((a, i) => ({ name: a.name, seconds: a.seconds - before[i].seconds }));
  return { seconds: parts.reduce((s, p) => s + p.seconds, 0), parts };
}

/** Runs one transfer and measures it. Never throws: failures come back as `error`. */
async function runOne(
  ctx: RunContext,
  ceiling: Ceiling,
  index: number,
  total: number,
  onProgress: (p: LabProgress) => void,
): Promise<LabRun> {
  const { options, direction, variant, impl } = ctx;
  const base: LabRun = {
    variant: variant.label,
    impl,
    direction,
    bytes: 0,
    sentBytes: 0,
    sha256: "",
    seconds: 0,
    goodputBps: 0,
    verified: false,
    ceiling,
    cpu: { seconds: 0, parts: [] },
  };
  const target = listenTarget();
  let tunnel: Tunnel | undefined;
  let app: Deno.TcpConn | undefined;
  let far: Deno.TcpConn | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  try {
    tunnel = impl === "ours" ? await startOurs(ctx, target.port) : await startGo(ctx, target.port);
    const t = tunnel;
    const stallMs = options.stallMs ?? 20000;
    app = await connectLocal(t.port, stallMs);
    const pattern = makePattern(options.seed);
    const stopSending = new AbortController();
    const onAbort = () => stopSending.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const plan = {
      bytes: options.bytes,
      durationMs: options.seconds === undefined ? undefined : options.seconds * 1000,
      signal: stopSending.signal,
    };
    const meter: Meter = { received: 0 };
    const cpu0 = t.cpu();
    const drops0 = readUdpReceiveErrors();
    const t0 = performance.now();
    let failure: string | undefined;
    const fail = (message: string) => {
      failure ??= message;
      stopSending.abort();
      closeQuietly(app);
      closeQuietly(far);
      target.close();
    };

    // sample RTT, watch for stalls, report progress
    const samples: number[] = [];
    const interval = options.progressIntervalMs ?? 250;
    let lastBytes = 0;
    let lastAt = t0;
    let lastProgress = t0;
    let progressBytes = 0;
    let srtt: number | undefined;
    const progress = (now: number, done: boolean) => {
      const snmp = t.senderSnmp;
      onProgress({
        index,
        total,
        variant: variant.label,
        impl,
        direction,
        elapsedMs: now - t0,
        bytes: meter.received,
        // live: over the last interval; at the end: over the whole run
        bps: done
          ? (now > t0 ? (meter.received * 8000) / (now - t0) : 0)
          : now > lastProgress
          ? ((meter.received - progressBytes) * 8000) / (now - lastProgress)
          : 0,
        ceilingBps: ceiling.ceilingBps,
        srttMs: srtt,
        retransPct: snmp !== undefined && snmp.OutSegs > 0
          ? (snmp.RetransSegs / snmp.OutSegs) * 100
          : undefined,
        done,
      });
      lastProgress = now;
      progressBytes = meter.received;
    };
    ticker = setInterval(() => {
      const now = performance.now();
      if (meter.received > 0 && t.senderKcp !== undefined) {
        for (const k of t.senderKcp()) {
          if (k.srtt > 0) {
            samples.push(k.srtt);
            srtt = k.srtt;
          }
        }
      }
      if (meter.received !== lastBytes) {
        lastBytes = meter.received;
        lastAt = now;
      } else if (now - lastAt > stallMs) {
        fail(`Stalled: nothing delivered for ${(stallMs / 1000).toFixed(0)} s`);
      }
      if (now - lastProgress >= interval) progress(now, false);
    }, SAMPLE_MS);

    const accepted = target.accepted.then((c) => far = c);
    let sent: SideResult;
    let got: SideResult;
    if (direction === "download") {
      const receiving = receiveSide(app, meter);
      try {
        await accepted;
      } catch {
        fail(failure ?? "The tunnel never reached the target");
      }
      const sending = far === undefined
        ? Promise.resolve<SideResult>({ bytes: 0, sha256: "", firstAt: NaN, endAt: NaN })
        : sendSide(far, pattern, plan);
      [sent, got] = await Promise.all([sending, receiving]);
    } else {
      const sending = sendSide(app, pattern, plan);
      try {
        await accepted;
      } catch {
        fail(failure ?? "The tunnel never reached the target");
      }
      const receiving = far === undefined
        ? Promise.resolve<SideResult>({ bytes: 0, sha256: "", firstAt: NaN, endAt: NaN })
        : receiveSide(far, meter);
      [sent, got] = await Promise.all([sending, receiving]);
    }
    const cpu1 = t.cpu();
    const drops1 = readUdpReceiveErrors();
    clearInterval(ticker);
    ticker = undefined;
    options.signal?.removeEventListener("abort", onAbort);
    progress(performance.now(), true);

    const seconds = Number.isNaN(sent.firstAt) ? 0 : (got.endAt - sent.firstAt) / 1000;
    const error = failure ?? sent.error ?? got.error;
    const counters = await t.counters();
    const linkStats = t.relay === undefined
      ? undefined
      : direction === "download"
      ? t.relay.stats.down
      : t.relay.stats.up;
    const link: LinkUse | undefined = linkStats === undefined ? undefined : {
      sent: linkStats.sent,
      lost: linkStats.lost,
      queueDrops: linkStats.queueDrops,
    };
    const run: LabRun = {
      ...base,
      bytes: got.bytes,
      sentBytes: sent.bytes,
      sha256: got.sha256,
      seconds,
      goodputBps: seconds > 0 ? (got.bytes * 8) / seconds : 0,
      verified: error === undefined && got.bytes === sent.bytes && got.sha256 === sent.sha256,
      error,
      link,
      cpu: cpuDelta(cpu0, cpu1),
    };
    if (drops0 !== undefined && drops1 !== undefined) run.hostDrops = drops1 - drops0;
    if (samples.length > 0) {
      run.rtt = {
        p50: percentile(samples, 50),
        p99: percentile(samples, 99),
        samples: samples.length,
      };
    }
    if (counters.retransSegs !== undefined && counters.outSegs !== undefined) {
      run.retransSegs = counters.retransSegs;
      run.outSegs = counters.outSegs;
      run.retransPct = counters.outSegs > 0 ? (counters.retransSegs / counters.outSegs) * 100 : 0;
    }
    if (counters.fecRecovered !== undefined) run.fecRecovered = counters.fecRecovered;
    if (run.error === undefined) delete run.error;
    return run;
  } catch (e) {
    return { ...base, error: e instanceof Error ? e.message : String(e) };
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    closeQuietly(app);
    closeQuietly(far);
    target.close();
    await tunnel?.close();
  }
}

/**
 * Runs the lab: for each settings variant, each direction and each implementation (ours, then
 * Go kcptun with `compare` when installed), one transfer over a fresh emulated link with the
 * same seed; then the best variant and suggestions. `onProgress` gets a live update every
 * `progressIntervalMs` and a last one per run.
 *
 * A run that fails (a peer does not start, the transfer stalls) is reported with `error`; the
 * lab goes on. Aborting `signal` ends the current run early and skips the rest (`aborted`).
 *
 * @throws {RangeError} If neither or both of `seconds` and `bytes` are given, or no variant.
 * @throws {SyntaxError} If a variant's flags do not parse.
 *
 * @example
 * ```ts ignore
 * import { runLab } from "./lab.ts";
 * import { parseLabArgs } from "./args.ts";
 * import { formatLabReport } from "./report.ts";
 *
 * const args = parseLabArgs(["--profile", "lossy-50m-40ms-2pct", "--seconds", "5"]);
 * if ("help" in args) throw new Error("no help here");
 * const report = await runLab(args, (p) => console.log(p.bytes));
 * console.log(formatLabReport(report));
 * ```
 */
export async function runLab(
  options: LabOptions,
  onProgress: (p: LabProgress) => void = () => {},
): Promise<LabReport> {
  if ((options.seconds === undefined) === (options.bytes === undefined)) {
    throw new RangeError(
      `Exactly one of seconds and bytes must be given, got ${options.seconds} and ${options.bytes}`,
    );
  }
  if (options.variants.length === 0) throw new RangeError("At least one variant must be given");
  const perfect = isPerfectLink(options.up) && isPerfectLink(options.down);
  const notes: string[] = [];
  const parsed = new Map<string, Parsed>();
  const settings: Record<string, VariantSettings> = {};
  for (const v of options.variants) {
    let p: Parsed;
    try {
      p = parseVariant(v, ["-l", "127.0.0.1:1", "-r", "127.0.0.1:1"], [
        "-l",
        "127.0.0.1:1",
        "-t",
        "127.0.0.1:1",
      ]);
    } catch (e) {
      throw new SyntaxError(`Settings "${v.label}": ${e instanceof Error ? e.message : e}`);
    }
    parsed.set(v.label, p);
    settings[v.label] = {
      mode: p.server.mode,
      dataShards: p.server.datashard,
      parityShards: p.server.parityshard,
      nocomp: p.server.nocomp,
    };
  }

  const impls: LabImpl[] = ["ours"];
  if (options.compare) {
    const go = options.go ?? { client: "kcptun-client", server: "kcptun-server" };
    if (await hasCommand(go.client) && await hasCommand(go.server)) {
      impls.push("go");
    } else {
      notes.push(
        `Go kcptun is not installed (${go.client}, ${go.server} not on PATH): --compare skipped. ` +
          "On Debian or Ubuntu: apt install kcptun.",
      );
    }
  }
  if (perfect) {
    notes.push("The link is perfect: the tunnel ends talk directly, without the link emulator.");
  }

  const plan: RunContext[] = [];
  for (const variant of options.variants) {
    for (const direction of options.directions) {
      for (const impl of impls) plan.push({ options, direction, variant, impl, perfect });
    }
  }
  const runs: LabRun[] = [];
  let aborted = false;
  for (let i = 0; i < plan.length; i++) {
    if (options.signal?.aborted) {
      aborted = true;
      break;
    }
    const ctx = plan[i];
    const ceiling = ceilingOf(
      parsed.get(ctx.variant.label)!,
      ctx.direction,
      ctx.impl,
      options.up,
      options.down,
    );
    runs.push(await runOne(ctx, ceiling, i + 1, plan.length, onProgress));
  }
  if (aborted || options.signal?.aborted) {
    aborted = true;
    notes.push(
      `Stopped early: ${runs.length} of ${plan.length} runs ran, the last one cut short.`,
    );
  }
  return {
    profileLabel: options.profileLabel,
    up: options.up,
    down: options.down,
    seed: options.seed,
    seconds: options.seconds,
    bytes: options.bytes,
    runs,
    best: bestVariant(runs),
    suggestions: suggestSettings(runs, settings),
    notes,
    aborted,
  };
}
