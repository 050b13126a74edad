/**
 * `relay` — a UDP relay with an emulated lossy link, for putting between a kcptun client and
 * server (or any UDP peers) on one machine.
 *
 * ```sh
 * deno run -A scripts/relay.ts --listen 127.0.0.1:4000 --target 127.0.0.1:29900 \
 *   --profile lossy-50m-40ms-2pct --seed 1
 * ```
 *
 * A thin shell over {@linkcode startUdpRelay}: parse flags, validate, run until SIGINT/SIGTERM,
 * print the counters. Exit codes: 0 after a clean stop, 2 on a usage error, 1 on a runtime
 * error.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { LINK_PROFILES, type LinkProfile, parseLinkProfile } from "../lib/link/link.ts";
import type { LinkStats } from "../lib/link/link.ts";
import { startUdpRelay, type UdpRelayOptions, type UdpRelayStats } from "../lib/link/relay.ts";

/** Kernel buffer of the relay's sockets unless `--sockbuf` says otherwise (kcptun's default). */
export const DEFAULT_SOCKBUF = 4194304;

/** Usage text printed by `--help` and after a usage error. */
export const USAGE =
  `Usage: deno run -A scripts/relay.ts --listen HOST:PORT --target HOST:PORT [options]

Forwards UDP datagrams between clients and a target through an emulated lossy link.

Options:
  --listen HOST:PORT      address clients send to (port 0 = any free port)
  --target HOST:PORT      where datagrams are forwarded
  --profile SPEC          link profile for both directions (default: loopback)
  --up SPEC               profile for client -> target (overrides --profile)
  --down SPEC             profile for target -> client (overrides --profile)
  --seed N                seed of the random link decisions (default: 1)
  --max-clients N         concurrent client mappings (default: 1024)
  --idle-timeout MS       close mappings idle this long, 0 = never (default: 120000)
  --stats-interval MS     print counters every MS milliseconds, 0 = only at exit (default: 0)
  --sockbuf BYTES         kernel buffer of each relay socket, 0 = kernel default
                          (default: 4194304, as kcptun's, so the relay itself drops nothing)
  -h, --help              show this help

SPEC is a profile name or key=value items, optionally after a name:
  loss=2%,delay=20ms,jitter=5ms,rate=50mbit,queue=256kb,reorder=1%,reorder-delay=10ms,dup=0.5%
  burst=pGoodToBad/pBadToGood[/lossGood/lossBad]   e.g. burst=3.3%/30%
  lossy-50m-40ms-2pct,jitter=5ms

Profiles: ${Object.keys(LINK_PROFILES).join(", ")}`;

/** Validated command line of the relay script. */
export interface RelayArgs {
  /** Print the usage text and exit. */
  help: boolean;
  /** Relay options (without `signal`). */
  relay: Omit<UdpRelayOptions, "signal">;
  /** Counter print interval in ms; 0 = only at exit. */
  statsIntervalMs: number;
}

/**
 * Parse `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (= all IPv4 interfaces).
 *
 * @throws {SyntaxError} If the text is not of that shape or the port is not 0..65535.
 */
export function parseHostPort(flag: string, text: string): { hostname: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) {
    throw new SyntaxError(`Option --${flag} must be HOST:PORT with port 0..65535, got "${text}"`);
  }
  return { hostname: m[1] ?? (m[2] === "" ? "0.0.0.0" : m[2]), port };
}

function parseInteger(flag: string, text: string, min: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && Number.isSafeInteger(value))) {
    throw new SyntaxError(`Option --${flag} must be an integer >= ${min}, got "${text}"`);
  }
  return value;
}

function parseProfile(flag: string, spec: string): LinkProfile {
  try {
    return parseLinkProfile(spec);
  } catch (e) {
    if (e instanceof SyntaxError || e instanceof RangeError) {
      throw new SyntaxError(`Option --${flag}: ${e.message}`);
    }
    throw e;
  }
}

/**
 * Parse and validate the relay command line.
 *
 * @throws {SyntaxError} On any usage error, with a message naming the option.
 */
export function parseRelayArgs(args: string[]): RelayArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: "string" },
        target: { type: "string" },
        profile: { type: "string" },
        up: { type: "string" },
        down: { type: "string" },
        seed: { type: "string" },
        "max-clients": { type: "string" },
        "idle-timeout": { type: "string" },
        "stats-interval": { type: "string" },
        sockbuf: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new SyntaxError(e instanceof Error ? e.message : String(e));
  }
  const v = parsed.values;
  const help = v.help === true;
  if (help) {
    return {
      help,
      relay: {
        listen: { hostname: "0.0.0.0", port: 0 },
        target: { hostname: "127.0.0.1", port: 1 },
        up: {},
        down: {},
        seed: 1,
      },
      statsIntervalMs: 0,
    };
  }
  if (v.listen === undefined) throw new SyntaxError("Option --listen is required");
  if (v.target === undefined) throw new SyntaxError("Option --target is required");
  const listen = parseHostPort("listen", v.listen);
  const target = parseHostPort("target", v.target);
  if (target.port === 0) {
    throw new SyntaxError(`Option --target must have a port 1..65535, got "${v.target}"`);
  }
  const both = v.profile === undefined ? {} : parseProfile("profile", v.profile);
  const up = v.up === undefined ? both : parseProfile("up", v.up);
  const down = v.down === undefined ? both : parseProfile("down", v.down);
  return {
    help,
    relay: {
      listen,
      target,
      up,
      down,
      seed: v.seed === undefined ? 1 : parseInteger("seed", v.seed, 0),
      maxClients: v["max-clients"] === undefined
        ? undefined
        : parseInteger("max-clients", v["max-clients"], 1),
      idleTimeoutMs: v["idle-timeout"] === undefined
        ? undefined
        : parseInteger("idle-timeout", v["idle-timeout"], 0),
      sockbuf: v.sockbuf === undefined ? DEFAULT_SOCKBUF : parseInteger("sockbuf", v.sockbuf, 0),
    },
    statsIntervalMs: v["stats-interval"] === undefined
      ? 0
      : parseInteger("stats-interval", v["stats-interval"], 0),
  };
}

function formatLink(name: string, s: LinkStats): string {
  return `${name} sent=${s.sent} delivered=${s.delivered} lost=${s.lost} ` +
    `queueDrops=${s.queueDrops} dup=${s.duplicated} reordered=${s.reordered} ` +
    `bytes=${s.bytesDelivered} inFlight=${s.inFlight}`;
}

/** One-line summary of the relay counters. */
export function formatRelayStats(s: UdpRelayStats): string {
  return `${formatLink("up", s.up)} | ${formatLink("down", s.down)} | clients=${s.clients} ` +
    `total=${s.clientsTotal} expired=${s.clientsExpired} rejected=${s.rejectedPackets} ` +
    `stray=${s.strayPackets} sendErrors=${s.sendErrors} receiveErrors=${s.receiveErrors}`;
}

/**
 * Run the relay until SIGINT or SIGTERM. Returns the process exit code.
 */
export async function main(args: string[]): Promise<number> {
  let config: RelayArgs;
  try {
    config = parseRelayArgs(args);
  } catch (e) {
    console.error(`relay: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  if (config.help) {
    console.log(USAGE);
    return 0;
  }
  const ac = new AbortController();
  const stop = () => ac.abort();
  let relay;
  try {
    relay = await startUdpRelay({ ...config.relay, signal: ac.signal });
  } catch (e) {
    console.error(`relay: ${e instanceof Error ? e.message : String(e)}`);
    return e instanceof RangeError || e instanceof TypeError ? 2 : 1;
  }
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  if (relay.sockbufError !== undefined) {
    console.error(`relay: --sockbuf ${config.relay.sockbuf} not applied: ${relay.sockbufError}`);
  }
  const { target } = config.relay;
  console.log(
    `relay listening on ${relay.addr.hostname}:${relay.addr.port} -> ` +
      `${target.hostname}:${target.port}`,
  );
  const ticker = config.statsIntervalMs > 0
    ? setInterval(() => console.log(formatRelayStats(relay.stats)), config.statsIntervalMs)
    : undefined;
  await relay.closed;
  if (ticker !== undefined) clearInterval(ticker);
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  console.log(formatRelayStats(relay.stats));
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
