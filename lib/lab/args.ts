/**
 * The `lab` command line: its own options (link profile, duration, directions, comparison) and
 * every other flag passed through to both tunnel ends, checked with kcptun's own flag parser so
 * a typo is reported before anything starts. Pure: no I/O.
 *
 * @module
 */

import { LINK_PROFILES, type LinkProfile, parseLinkProfile } from "../link/link.ts";
import {
  ConfigError,
  type EnvLookup,
  parseClientConfig,
  parseServerConfig,
} from "../config/config.ts";

/** The profile the lab uses when none is given: lossy, so the lab shows what kcptun is for. */
export const DEFAULT_LAB_PROFILE = "lossy-50m-40ms-2pct";
/** Seconds per run when neither `--seconds` nor `--bytes` is given. */
export const DEFAULT_LAB_SECONDS = 10;
/** Longest run `--seconds` accepts. */
export const MAX_LAB_SECONDS = 3600;

/** Which way the data flows: download = target → server → client, upload = the reverse. */
export type LabDirection = "download" | "upload";

/** One set of tunnel settings the lab runs. */
export interface LabVariant {
  /** How the report names it: the flags, or `defaults`. */
  label: string;
  /** Flags for the client (without addresses). */
  clientArgs: string[];
  /** Flags for the server (without addresses). */
  serverArgs: string[];
}

/** The validated `lab` command line. */
export interface LabArgs {
  /** How the report names the link (the `--profile` text, or both `--up`/`--down` texts). */
  profileLabel: string;
  /** Link from the client to the server. */
  up: LinkProfile;
  /** Link from the server to the client. */
  down: LinkProfile;
  /** Seconds the sender sends per run; undefined when `bytes` is set. */
  seconds?: number;
  /** Bytes sent per run; undefined when `seconds` is set. */
  bytes?: number;
  /** Directions to run, in order. */
  directions: LabDirection[];
  /** Also run Go kcptun. */
  compare: boolean;
  /** Seed of the link's random decisions. */
  seed: number;
  /** The settings to run: the given flags first, then one per `--try`. */
  variants: LabVariant[];
  /** Warnings of the tunnel configs (e.g. flags Deno cannot honour), once each. */
  warnings: string[];
}

/** Usage text of `cli.ts lab`. */
export const LAB_USAGE = `Usage: deno run -A cli.ts lab [options] [kcptun flags]

Runs a kcptun-ts server, client and traffic in one process over an emulated link, streams data
through the tunnel, shows live progress and ends with a table: goodput against the link's
ceiling (the link rate after headers, FEC and loss, or the window limit wnd x mss / RTT), RTT
p50/p99, retransmissions, FEC recoveries and CPU. Then it names the best settings it ran and
suggests what to try next.

Options:
  --profile SPEC      link for both directions (default: ${DEFAULT_LAB_PROFILE})
  --up SPEC           link client -> server (overrides --profile for that direction)
  --down SPEC         link server -> client (overrides --profile for that direction)
  --seconds N         seconds of sending per run (default: ${DEFAULT_LAB_SECONDS})
  --bytes N           bytes per run instead; units k, m, g (x1000) or kib, mib, gib (x1024)
  --direction D       download, upload or both (default: download)
  --try "FLAGS"       also run with these kcptun flags added (repeatable); the best is named
  --compare           also run Go kcptun (kcptun-client, kcptun-server on PATH) on the link
  --seed N            seed of the link's random decisions, 0..4294967295 (default: 1)
  -h, --help          show this help

Every other flag is a kcptun flag for both ends, e.g. --mode fast3 --ds 10 --ps 3 --sndwnd 1024
(client-only flags such as --conn go to the client only). The lab picks the addresses itself,
so -l, -r, -t, -c, --snmplog and --snmpperiod are refused. Data is random (incompressible).

SPEC is a profile name or key=value items, optionally after a name:
  loss=2%,delay=20ms,jitter=5ms,rate=50mbit,queue=256kb,reorder=1%,reorder-delay=10ms,dup=0.5%
  burst=pGoodToBad/pBadToGood[/lossGood/lossBad]   e.g. burst=3.3%/30%
  lossy-50m-40ms-2pct,jitter=5ms
Profiles: ${Object.keys(LINK_PROFILES).join(", ")}

Examples:
  deno run -A cli.ts lab
  deno run -A cli.ts lab --profile bursty-20m-80ms-10pct --direction both --compare
  deno run -A cli.ts lab --profile rate=20mbit,delay=60ms,loss=3% --try "--mode fast3" \\
    --try "--sndwnd 2048 --rcvwnd 2048"
`;

const LAB_OPTIONS = new Set([
  "profile",
  "up",
  "down",
  "seconds",
  "bytes",
  "direction",
  "try",
  "compare",
  "seed",
  "help",
  "h",
]);
/** Tunnel flags the lab sets itself. */
const RESERVED_FLAGS = new Set([
  "l",
  "localaddr",
  "listen",
  "r",
  "remoteaddr",
  "t",
  "target",
  "c",
  "snmplog",
  "snmpperiod",
]);
/** Placeholder addresses that make a config parse; the lab replaces them at run time. */
const CLIENT_ADDRS = ["-l", "127.0.0.1:1", "-r", "127.0.0.1:1"];
const SERVER_ADDRS = ["-l", "127.0.0.1:1", "-t", "127.0.0.1:1"];
const NO_ENV: EnvLookup = { get: () => undefined };
const NO_FILE = (path: string): string => {
  throw new Error(`The lab reads no config file, got "${path}"`);
};
const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  "b": 1,
  "k": 1e3,
  "kb": 1e3,
  "m": 1e6,
  "mb": 1e6,
  "g": 1e9,
  "gb": 1e9,
  "kib": 1024,
  "mib": 1048576,
  "gib": 1073741824,
};

interface LabToken {
  name: string;
  /** The value, for options that take one. */
  value?: string;
}

/**
 * Parse the `lab` command line (the arguments after `lab`).
 *
 * @returns The validated arguments, or `{ help }` when `-h`/`--help` was given.
 * @throws {SyntaxError} On any usage error, with a message naming the option and quoting the
 *   value (for tunnel flags, kcptun's own message).
 *
 * @example
 * ```ts
 * import { parseLabArgs } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const args = parseLabArgs(["--profile", "loopback", "--bytes", "1mb", "--mode", "fast3"]);
 * if ("help" in args) throw new Error("unexpected help");
 * assert.equal(args.bytes, 1_000_000);
 * assert.deepEqual(args.variants[0].clientArgs, ["--mode", "fast3"]);
 * assert.throws(() => parseLabArgs(["--seconds", "abc"]), SyntaxError);
 * ```
 */
export function parseLabArgs(argv: readonly string[]): LabArgs | { help: string } {
  const own = new Map<string, string[]>();
  const tunnel: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const token = labToken(arg);
    if (token === undefined) {
      tunnel.push(arg);
      continue;
    }
    if (token.name === "help" || token.name === "h") return { help: LAB_USAGE };
    if (token.name === "compare") {
      if (token.value !== undefined && !["true", "false"].includes(token.value)) {
        throw new SyntaxError(`Option --compare takes no value, got "${token.value}"`);
      }
      own.set("compare", [token.value ?? "true"]);
      continue;
    }
    let value = token.value;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new SyntaxError(`Option --${token.name} needs a value`);
      value = argv[++i];
    }
    const values = own.get(token.name) ?? [];
    if (values.length > 0 && token.name !== "try") {
      throw new SyntaxError(`Option --${token.name} is given twice`);
    }
    values.push(value);
    own.set(token.name, values);
  }
  const first = (name: string) => own.get(name)?.[0];

  const profileText = first("profile");
  const upText = first("up");
  const downText = first("down");
  const both = linkOption("profile", profileText ?? DEFAULT_LAB_PROFILE);
  const up = upText === undefined ? both : linkOption("up", upText);
  const down = downText === undefined ? both : linkOption("down", downText);
  const base = profileText ?? DEFAULT_LAB_PROFILE;
  const profileLabel = upText === undefined && downText === undefined
    ? base
    : `up ${upText ?? base}, down ${downText ?? base}`;

  const secondsText = first("seconds");
  const bytesText = first("bytes");
  if (secondsText !== undefined && bytesText !== undefined) {
    throw new SyntaxError("Options --seconds and --bytes cannot both be given");
  }
  const bytes = bytesText === undefined ? undefined : parseBytes(bytesText);
  const seconds = bytes !== undefined
    ? undefined
    : secondsText === undefined
    ? DEFAULT_LAB_SECONDS
    : parseSeconds(secondsText);

  const directionText = first("direction") ?? "download";
  if (!["download", "upload", "both"].includes(directionText)) {
    throw new SyntaxError(
      `Option --direction must be download, upload or both, got "${directionText}"`,
    );
  }
  const directions: LabDirection[] = directionText === "both"
    ? ["download", "upload"]
    : [directionText as LabDirection];

  const seedText = first("seed");
  const seed = seedText === undefined ? 1 : parseSeed(seedText);

  const warnings = new Set<string>();
  const variants = [variant(tunnel, [], warnings)];
  for (const text of own.get("try") ?? []) {
    const extra = text.trim().split(/\s+/).filter((s) => s !== "");
    if (extra.length === 0) throw new SyntaxError('Option --try needs kcptun flags, got ""');
    variants.push(variant(tunnel, extra, warnings));
  }
  return {
    profileLabel,
    up,
    down,
    seconds,
    bytes,
    directions,
    compare: first("compare") === "true",
    seed,
    variants,
    warnings: [...warnings],
  };
}

/** The lab option `arg` names, or undefined when it is a tunnel flag (or not a flag). */
function labToken(arg: string): LabToken | undefined {
  if (!arg.startsWith("-") || arg === "-" || arg === "--") return undefined;
  const body = arg.startsWith("--") ? arg.slice(2) : arg.slice(1);
  const eq = body.indexOf("=");
  const name = eq < 0 ? body : body.slice(0, eq);
  if (!LAB_OPTIONS.has(name)) return undefined;
  return eq < 0 ? { name } : { name, value: body.slice(eq + 1) };
}

function linkOption(flag: string, spec: string): LinkProfile {
  try {
    return parseLinkProfile(spec);
  } catch (e) {
    if (e instanceof SyntaxError || e instanceof RangeError) {
      throw new SyntaxError(`Option --${flag}: ${e.message}`);
    }
    throw e;
  }
}

function parseSeconds(text: string): number {
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0.1 && value <= MAX_LAB_SECONDS)) {
    throw new SyntaxError(
      `Option --seconds must be a number 0.1..${MAX_LAB_SECONDS}, got "${text}"`,
    );
  }
  return value;
}

function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(text.toLowerCase());
  const unit = m === null ? undefined : SIZE_UNITS[m[2]];
  const value = m === null || unit === undefined ? NaN : Math.round(Number(m[1]) * unit);
  if (!(value >= 1 && Number.isSafeInteger(value))) {
    throw new SyntaxError(
      `Option --bytes must be a size like 50mb, 1gib or 300000, got "${text}"`,
    );
  }
  return value;
}

function parseSeed(text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value <= 0xffffffff)) {
    throw new SyntaxError(`Option --seed must be an integer 0..4294967295, got "${text}"`);
  }
  return value;
}

/** Splits tunnel flags between the ends and validates both full configs. */
function variant(base: string[], extra: string[], warnings: Set<string>): LabVariant {
  const all = [...base, ...extra];
  const { client, server } = routeTunnelArgs(all);
  for (const w of checkConfigs(client, server)) warnings.add(w);
  return {
    label: all.length === 0 ? "defaults" : all.join(" "),
    clientArgs: client,
    serverArgs: server,
  };
}

type Probe = { ok: true } | { ok: false; message: string };

function probe(side: "client" | "server", tokens: string[]): Probe {
  try {
    const parse = side === "client" ? parseClientConfig : parseServerConfig;
    const result = parse(tokens, NO_ENV, NO_FILE);
    if ("help" in result || "version" in result) {
      return { ok: false, message: `Unknown option ${tokens[0]}` };
    }
    return { ok: true };
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, message: e.message };
    throw e;
  }
}

/**
 * Which flags go to which end: a flag one end does not know (`--conn`) goes to the other only.
 * Each flag is tried alone, then with the next argument as its value, with kcptun's parser.
 */
function routeTunnelArgs(args: string[]): { client: string[]; server: string[] } {
  const client: string[] = [];
  const server: string[] = [];
  let lone: string | undefined; // the previous flag, when it took no value (a boolean)
  for (let i = 0; i < args.length;) {
    const arg = args[i];
    if (!arg.startsWith("-") || arg === "-" || arg === "--") {
      // kcptun's parser explains `--nocomp true` (booleans take "=") better than we can
      const hint = lone === undefined ? undefined : probe("client", [lone, arg]);
      throw new SyntaxError(
        hint !== undefined && !hint.ok ? hint.message : `Unexpected argument "${arg}"`,
      );
    }
    const body = arg.replace(/^--?/, "");
    const name = body.split("=")[0];
    if (RESERVED_FLAGS.has(name)) {
      throw new SyntaxError(
        `Flag ${arg.split("=")[0]} cannot be used with lab: it sets the addresses and logs itself`,
      );
    }
    let taken = 0;
    let message = "";
    for (const n of arg.includes("=") || i + 1 >= args.length ? [1] : [1, 2]) {
      const tokens = args.slice(i, i + n);
      const onClient = probe("client", tokens);
      const onServer = probe("server", tokens);
      // a flag with its value that fails only a check against another flag's default
      // (`--streambuf` above the default `--smuxbuf`) still belongs to that end: the whole
      // command line is validated once routed (checkConfigs)
      const knows = (p: Probe) => p.ok || (n === 2 && !p.message.startsWith("Unknown flag"));
      if (knows(onClient) || knows(onServer)) {
        if (knows(onClient)) client.push(...tokens);
        if (knows(onServer)) server.push(...tokens);
        taken = n;
        break;
      }
      // prefer the message of an end that knows the flag ("Missing value", "Invalid value")
      const text = (p: Probe) => p.ok ? "" : p.message;
      const known = [text(onClient), text(onServer)].find((m) => !m.startsWith("Unknown flag"));
      message = known ?? text(onClient);
    }
    if (taken === 0) throw new SyntaxError(message);
    lone = taken === 1 && !arg.includes("=") ? arg : undefined;
    i += taken;
  }
  return { client, server };
}

function checkConfigs(client: string[], server: string[]): string[] {
  try {
    const c = parseClientConfig([...client, ...CLIENT_ADDRS], NO_ENV, NO_FILE);
    const s = parseServerConfig([...server, ...SERVER_ADDRS], NO_ENV, NO_FILE);
    const warnings: string[] = [];
    if ("warnings" in c) warnings.push(...c.warnings);
    if ("warnings" in s) warnings.push(...s.warnings);
    return warnings;
  } catch (e) {
    if (e instanceof ConfigError) throw new SyntaxError(e.message);
    throw e;
  }
}
