/**
 * The table of every kcptun flag (2021 and latest) and a tokenizer for argv
 * with the flag forms of Go's `flag` package, which urfave/cli v1 uses.
 *
 * @module
 */

import { CRYPT_METHODS } from "../crypt/block_crypt.ts";
import { ConfigError } from "./_error.ts";

/** Which program a flag belongs to. */
export type Side = "client" | "server";

/** How a flag's value is read. */
export type FlagKind = "string" | "int" | "bool";

/** A flag's value once parsed. */
export type FlagValue = string | number | boolean;

/** Where a flag appears in `--help`. */
export type FlagSection = "main" | "manual" | "meta";

/** One flag of kcptun, as spelled by kcptun. */
export interface FlagSpec {
  /** Long name exactly as kcptun spells it (case matters: `QPP`, `QPPCount`). */
  readonly name: string;
  /** Other names, such as `l` for `localaddr` or `ds` for `datashard`. */
  readonly aliases: readonly string[];
  /** Value type. */
  readonly kind: FlagKind;
  /** Field of the resolved config this flag fills. */
  readonly field: string;
  /** Key in the `-c` JSON file, or `undefined` if it has none. */
  readonly json: string | undefined;
  /** Environment variable that supplies the default, if any. */
  readonly env?: string;
  /** Help text. */
  readonly usage: string;
  /** Default per program; a program without an entry has no such flag. */
  readonly defaults: { readonly client?: FlagValue; readonly server?: FlagValue };
  /** Help section: `manual` holds kcptun's hidden manual-mode flags. */
  readonly section: FlagSection;
  /** Extra text for `--help`, e.g. where kcptun 2021's default differs. */
  readonly note?: string;
}

/** Default of `--key`, misspelling included, as in kcptun. */
export const DEFAULT_KEY = "it's a secrect";

/** Default of `--sockbuf` (kcptun's 4 MiB). */
export const DEFAULT_SOCKBUF = 4194304;

/** Every `--crypt` name kcptun knows, in kcptun's help order (owned by lib/crypt). */
export { CRYPT_METHODS };

/** Every `--mode` name. */
export const MODES: readonly string[] = ["normal", "fast", "fast2", "fast3", "manual"];

const both = (value: FlagValue) => ({ client: value, server: value });

/** All flags of both programs, in the order `--help` lists them. */
export const FLAGS: readonly FlagSpec[] = [
  {
    name: "localaddr",
    aliases: ["l"],
    kind: "string",
    field: "localaddr",
    json: "localaddr",
    usage: "local listen address: host:port, or a unix socket path",
    defaults: { client: ":12948" },
    section: "main",
  },
  {
    name: "remoteaddr",
    aliases: ["r"],
    kind: "string",
    field: "remoteaddr",
    json: "remoteaddr",
    usage: 'kcp server address: "host:port", or "host:minport-maxport" for a port range',
    defaults: { client: "vps:29900" },
    section: "main",
  },
  {
    name: "listen",
    aliases: ["l"],
    kind: "string",
    field: "listen",
    json: "listen",
    usage: 'kcp server listen address: "host:port", or "host:minport-maxport" for a port range',
    defaults: { server: ":29900" },
    section: "main",
  },
  {
    name: "target",
    aliases: ["t"],
    kind: "string",
    field: "target",
    json: "target",
    usage: "target server address (host:port), or path/to/unix_socket",
    defaults: { server: "127.0.0.1:12948" },
    section: "main",
  },
  {
    name: "key",
    aliases: [],
    kind: "string",
    field: "key",
    json: "key",
    env: "KCPTUN_KEY",
    usage: "pre-shared secret between client and server",
    defaults: both(DEFAULT_KEY),
    section: "main",
  },
  {
    name: "crypt",
    aliases: [],
    kind: "string",
    field: "crypt",
    json: "crypt",
    usage: CRYPT_METHODS.join(", ") + " (null and aes-128-gcm need a latest kcptun peer)",
    defaults: both("aes"),
    section: "main",
  },
  {
    name: "mode",
    aliases: [],
    kind: "string",
    field: "mode",
    json: "mode",
    usage: "profiles: fast3, fast2, fast, normal, manual",
    defaults: both("fast"),
    section: "main",
  },
  {
    name: "QPP",
    aliases: [],
    kind: "bool",
    field: "qpp",
    json: "qpp",
    usage: "enable Quantum Permutation Pads (QPP); needs a latest kcptun peer",
    defaults: both(false),
    section: "main",
  },
  {
    name: "QPPCount",
    aliases: [],
    kind: "int",
    field: "qppCount",
    json: "qpp-count",
    usage: "number of QPP pads, a prime is best; each pad takes 256 bytes",
    defaults: both(61),
    section: "main",
  },
  {
    name: "conn",
    aliases: [],
    kind: "int",
    field: "conn",
    json: "conn",
    usage: "number of UDP connections (sessions) to the server",
    defaults: { client: 1 },
    section: "main",
  },
  {
    name: "autoexpire",
    aliases: [],
    kind: "int",
    field: "autoexpire",
    json: "autoexpire",
    usage: "auto expiration time (in seconds) of a single UDP connection, 0 to disable",
    defaults: { client: 0 },
    section: "main",
  },
  {
    name: "scavengettl",
    aliases: [],
    kind: "int",
    field: "scavengettl",
    json: "scavengettl",
    usage: "how long an expired connection can live (in seconds)",
    defaults: { client: 600 },
    section: "main",
  },
  {
    name: "mtu",
    aliases: [],
    kind: "int",
    field: "mtu",
    json: "mtu",
    usage: "maximum transmission unit for UDP packets, 50..1500",
    defaults: both(1350),
    section: "main",
  },
  {
    name: "ratelimit",
    aliases: [],
    kind: "int",
    field: "ratelimit",
    json: "ratelimit",
    usage: "maximum outgoing bytes per second of a single KCP session (pacing), 0 to disable",
    defaults: both(0),
    section: "main",
  },
  {
    name: "sndwnd",
    aliases: [],
    kind: "int",
    field: "sndwnd",
    json: "sndwnd",
    usage: "send window size (packets), 1..65535",
    defaults: { client: 128, server: 1024 },
    section: "main",
  },
  {
    name: "rcvwnd",
    aliases: [],
    kind: "int",
    field: "rcvwnd",
    json: "rcvwnd",
    usage: "receive window size (packets), 1..65535; client default 1024 (kcptun: 512)",
    defaults: { client: 1024, server: 1024 },
    section: "main",
  },
  {
    name: "datashard",
    aliases: ["ds"],
    kind: "int",
    field: "datashard",
    json: "datashard",
    usage: "reed-solomon erasure coding - datashard, 0..255",
    defaults: both(10),
    section: "main",
  },
  {
    name: "parityshard",
    aliases: ["ps"],
    kind: "int",
    field: "parityshard",
    json: "parityshard",
    usage: "reed-solomon erasure coding - parityshard, 0..255",
    defaults: both(3),
    section: "main",
  },
  {
    name: "dscp",
    aliases: [],
    kind: "int",
    field: "dscp",
    json: "dscp",
    usage: "DSCP (6 bit), 0..63; not supported by Deno: ignored with a warning",
    defaults: both(0),
    section: "main",
  },
  {
    name: "nocomp",
    aliases: [],
    kind: "bool",
    field: "nocomp",
    json: "nocomp",
    usage: "disable compression",
    defaults: both(false),
    section: "main",
  },
  {
    name: "acknodelay",
    aliases: [],
    kind: "bool",
    field: "acknodelay",
    json: "acknodelay",
    usage: "flush ack immediately when a packet is received",
    defaults: both(false),
    section: "manual",
  },
  {
    name: "nodelay",
    aliases: [],
    kind: "int",
    field: "nodelay",
    json: "nodelay",
    usage: "kcp nodelay, 0 or 1",
    defaults: both(0),
    section: "manual",
  },
  {
    name: "interval",
    aliases: [],
    kind: "int",
    field: "interval",
    json: "interval",
    usage: "kcp flush interval in ms, 10..5000",
    defaults: both(50),
    section: "manual",
  },
  {
    name: "resend",
    aliases: [],
    kind: "int",
    field: "resend",
    json: "resend",
    usage: "kcp fast-retransmit threshold, 0 disables it",
    defaults: both(0),
    section: "manual",
  },
  {
    name: "nc",
    aliases: [],
    kind: "int",
    field: "nc",
    json: "nc",
    usage: "kcp no congestion control, 0 or 1",
    defaults: both(0),
    section: "manual",
  },
  {
    name: "sockbuf",
    aliases: [],
    kind: "int",
    field: "sockbuf",
    json: "sockbuf",
    usage: "per-socket buffer in bytes; not supported by Deno: other values warn",
    defaults: both(DEFAULT_SOCKBUF),
    section: "main",
  },
  {
    name: "smuxver",
    aliases: [],
    kind: "int",
    field: "smuxver",
    json: "smuxver",
    usage: "smux version, 1 or 2",
    defaults: both(2),
    section: "main",
    note: "kcptun 2021 default: 1",
  },
  {
    name: "smuxbuf",
    aliases: [],
    kind: "int",
    field: "smuxbuf",
    json: "smuxbuf",
    usage: "the overall de-mux buffer in bytes",
    defaults: both(4194304),
    section: "main",
  },
  {
    name: "framesize",
    aliases: [],
    kind: "int",
    field: "framesize",
    json: "framesize",
    usage: "smux max frame size, 1..65535",
    defaults: both(8192),
    section: "main",
    note: "kcptun 2021 had no flag and used 32768",
  },
  {
    name: "streambuf",
    aliases: [],
    kind: "int",
    field: "streambuf",
    json: "streambuf",
    usage: "per stream receive buffer in bytes (smux v2), at most --smuxbuf",
    defaults: both(2097152),
    section: "main",
  },
  {
    name: "keepalive",
    aliases: [],
    kind: "int",
    field: "keepalive",
    json: "keepalive",
    usage: "seconds between heartbeats, 1..30",
    defaults: both(10),
    section: "main",
  },
  {
    name: "closewait",
    aliases: [],
    kind: "int",
    field: "closewait",
    json: "closewait",
    usage: "seconds to wait before tearing down a half-closed connection",
    defaults: { client: 0, server: 30 },
    section: "main",
    note: "kcptun 2021 had no flag and closed at once",
  },
  {
    name: "snmplog",
    aliases: [],
    kind: "string",
    field: "snmplog",
    json: "snmplog",
    usage: "collect snmp to file, aware of Go time format, like: ./snmp-20060102.log",
    defaults: both(""),
    section: "main",
  },
  {
    name: "snmpperiod",
    aliases: [],
    kind: "int",
    field: "snmpperiod",
    json: "snmpperiod",
    usage: "snmp collect period, in seconds",
    defaults: both(60),
    section: "main",
  },
  {
    name: "log",
    aliases: [],
    kind: "string",
    field: "log",
    json: "log",
    usage: "log file to append to; default goes to stderr",
    defaults: both(""),
    section: "main",
  },
  {
    name: "quiet",
    aliases: [],
    kind: "bool",
    field: "quiet",
    json: "quiet",
    usage: "suppress the 'stream open/close' messages",
    defaults: both(false),
    section: "main",
  },
  {
    name: "tcp",
    aliases: [],
    kind: "bool",
    field: "tcp",
    json: "tcp",
    usage: "emulate a TCP connection (tcpraw); not supported by Deno: an error",
    defaults: both(false),
    section: "main",
  },
  {
    name: "pprof",
    aliases: [],
    kind: "bool",
    field: "pprof",
    json: "pprof",
    usage: "start Go's profiling server on :6060; not supported by Deno: ignored with a warning",
    defaults: both(false),
    section: "main",
  },
  {
    name: "c",
    aliases: [],
    kind: "string",
    field: "c",
    json: undefined,
    usage: "config from a JSON file; the fields present in it override the flags",
    defaults: both(""),
    section: "meta",
  },
];

/** The flags one program accepts, in help order. */
export function flagsFor(side: Side): FlagSpec[] {
  return FLAGS.filter((spec) => spec.defaults[side] !== undefined);
}

/** The result of tokenizing argv. */
export type ArgvResult =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | {
    readonly kind: "values";
    /** Value per flag name (the long name), in the order given; the last occurrence wins. */
    readonly values: Map<string, FlagValue>;
  };

const HELP_NAMES = ["help", "h"];
const VERSION_NAMES = ["version", "v"];

/**
 * Reads argv the way Go's `flag` package does: `-flag value`, `--flag value`,
 * `-flag=value`, `--flag=value`; booleans as `--flag` or `--flag=true|false`.
 * A non-boolean flag always takes the next argument as its value, even if it
 * starts with "-" (so `--key -secret-` works as in kcptun). `--` ends the
 * flags.
 *
 * Deviations from kcptun (all refuse input kcptun would misread):
 * - integers are decimal only (Go also reads `0x1f` and `017` as octal);
 * - an argument that is not a flag is an error, except `help`/`h` as the first
 *   one; Go stops parsing there and silently ignores the rest, so
 *   `--nocomp false --mtu 1400` would drop `--mtu`.
 */
export function tokenizeArgv(side: Side, argv: readonly string[]): ArgvResult {
  const specs = flagsFor(side);
  const byName = new Map<string, FlagSpec>();
  for (const spec of specs) {
    byName.set(spec.name, spec);
    for (const alias of spec.aliases) byName.set(alias, spec);
  }
  const values = new Map<string, FlagValue>();
  let previousBool: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      // Go's flag package stops here; what follows are positional arguments.
      if (i + 1 < argv.length) return positional(argv[i + 1], undefined);
      break;
    }
    if (!arg.startsWith("-") || arg === "-") return positional(arg, previousBool);
    const body = arg.startsWith("--") ? arg.slice(2) : arg.slice(1);
    if (body === "" || body.startsWith("-") || body.startsWith("=")) {
      throw new ConfigError(`Bad flag syntax "${arg}"`);
    }
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    const shown = arg.slice(0, arg.length - body.length) + name;
    if (HELP_NAMES.includes(name) || VERSION_NAMES.includes(name)) {
      if (inline === undefined || parseBool(inline) === true) {
        return { kind: HELP_NAMES.includes(name) ? "help" : "version" };
      }
      if (parseBool(inline) === undefined) throw badBool(inline, shown);
      continue;
    }
    const spec = byName.get(name);
    if (spec === undefined) throw unknownFlag(side, name, shown);
    const flag = canonicalName(spec);
    previousBool = undefined;
    if (spec.kind === "bool") {
      if (inline === undefined) {
        values.set(spec.name, true);
        previousBool = flag;
        continue;
      }
      const parsed = parseBool(inline);
      if (parsed === undefined) throw badBool(inline, flag);
      values.set(spec.name, parsed);
      continue;
    }
    let text = inline;
    if (text === undefined) {
      if (i + 1 >= argv.length) throw new ConfigError(`Missing value for ${flag}`);
      text = argv[++i];
    }
    if (spec.kind === "int") {
      const parsed = parseDecimal(text);
      if (parsed === undefined) {
        throw new ConfigError(`Invalid value "${text}" for ${flag}: must be an integer`);
      }
      values.set(spec.name, parsed);
    } else {
      values.set(spec.name, text);
    }
  }
  return { kind: "values", values };
}

/** How messages name a flag: `--mtu` for every spelling of it, `-c` for the config file. */
export function canonicalName(spec: FlagSpec): string {
  return (spec.name.length === 1 ? "-" : "--") + spec.name;
}

/** Parses Go's `strconv.ParseBool` spellings; `undefined` if none matches. */
export function parseBool(text: string): boolean | undefined {
  switch (text) {
    case "1":
    case "t":
    case "T":
    case "true":
    case "TRUE":
    case "True":
      return true;
    case "0":
    case "f":
    case "F":
    case "false":
    case "FALSE":
    case "False":
      return false;
    default:
      return undefined;
  }
}

/** Parses a signed decimal integer that is exactly representable; else `undefined`. */
export function parseDecimal(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** The first positional argument: urfave/cli's `help` command, or an error. */
function positional(arg: string, previousBool: string | undefined): ArgvResult {
  if (HELP_NAMES.includes(arg)) return { kind: "help" };
  throw unexpectedArgument(arg, previousBool);
}

function badBool(text: string, shown: string): ConfigError {
  return new ConfigError(`Invalid value "${text}" for ${shown}: must be true or false`);
}

function unexpectedArgument(arg: string, previousBool: string | undefined): ConfigError {
  if (previousBool !== undefined && parseBool(arg) !== undefined) {
    return new ConfigError(
      `Unexpected argument "${arg}": boolean flags take their value after "=", ` +
        `as in ${previousBool}=${arg}`,
    );
  }
  return new ConfigError(`Unexpected argument "${arg}"`);
}

function unknownFlag(side: Side, name: string, shown: string): ConfigError {
  const other: Side = side === "client" ? "server" : "client";
  const elsewhere = FLAGS.find((spec) =>
    spec.defaults[side] === undefined && spec.defaults[other] !== undefined &&
    (spec.name === name || spec.aliases.includes(name))
  );
  if (elsewhere !== undefined) {
    return new ConfigError(
      `Unknown flag ${shown}: only the ${other} has --${elsewhere.name}`,
    );
  }
  const suggestion = closestFlag(side, name);
  if (suggestion !== undefined) {
    return new ConfigError(`Unknown flag ${shown}; did you mean --${suggestion}?`);
  }
  return new ConfigError(`Unknown flag ${shown}`);
}

/** The flag name (or alias) closest to `name`, if it is close enough to be a typo. */
function closestFlag(side: Side, name: string): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const spec of flagsFor(side)) {
    for (const candidate of [spec.name, ...spec.aliases, ...HELP_NAMES, ...VERSION_NAMES]) {
      if (candidate.length < 3) continue;
      const distance = editDistance(lower, candidate.toLowerCase());
      if (distance < bestDistance) {
        bestDistance = distance;
        best = candidate;
      }
    }
  }
  const limit = lower.length <= 4 ? 1 : 2;
  return bestDistance <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}
