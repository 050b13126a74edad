/**
 * kcptun's command-line flags, `KCPTUN_KEY` and `-c file.json`, read into a
 * typed, validated configuration for the client and the server.
 *
 * Precedence (as in kcptun): default < `KCPTUN_KEY` (for `--key`) < flags <
 * fields present in the `-c` JSON file; the `--mode` profile is applied last.
 * Every flag of kcptun 2021 (v20210922) and of the latest kcptun is accepted
 * under the same name; where they differ, latest's defaults are used.
 *
 * @module
 */

import { type Parsed, parseHostPortRange, parseListenAddr } from "./_address.ts";
import { ConfigError } from "./_error.ts";
import {
  CRYPT_METHODS,
  flagsFor,
  type FlagSpec,
  type FlagValue,
  MODES,
  type Side,
  tokenizeArgv,
} from "./_flags.ts";
import { renderHelp } from "./_help.ts";

export { ConfigError };

/** Version of kcptun-ts; kept equal to `version` in deno.json (a test checks). */
export const VERSION = "0.1.0";

/**
 * `host:port` or `host:min-max` (a UDP port range, latest kcptun).
 * `host` is `""` for all interfaces (listen) or the local system (dial); an
 * IPv6 host is written `[::1]:29900` and stored without brackets.
 */
export interface HostPortRange {
  /** Host name or IP literal, without brackets; `""` when omitted. */
  host: string;
  /** First port, 1..65535. */
  portMin: number;
  /** Last port, portMin..65535 (equal to portMin for a single port). */
  portMax: number;
}

/**
 * A TCP `host:port` or a unix socket path. A listen address may use port 0
 * (the OS picks one); a dial target may not.
 */
export type ListenAddr =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "unix"; path: string };

/** Settings shared by the client and the server, validated and resolved. */
export interface CommonConfig {
  /** Pre-shared secret (`--key`, `KCPTUN_KEY`). Also the QPP seed. */
  key: string;
  /** One of aes aes-128 aes-128-gcm aes-192 salsa20 blowfish twofish cast5 3des tea xtea xor sm4 none null. */
  crypt: string;
  /** normal | fast | fast2 | fast3 | manual. */
  mode: string;
  /** Maximum UDP payload, 50..1500. */
  mtu: number;
  /** KCP send window in packets, 1..65535. */
  sndwnd: number;
  /** KCP receive window in packets, 1..65535. */
  rcvwnd: number;
  /** Reed-Solomon data shards, 0..255 (FEC is on only when both shard counts are > 0). */
  datashard: number;
  /** Reed-Solomon parity shards, 0..255; datashard + parityshard ≤ 256. */
  parityshard: number;
  /** DSCP, 0..63; Deno cannot set it (a warning says so when ≠ 0). */
  dscp: number;
  /** Disable snappy compression. */
  nocomp: boolean;
  /** Flush ACKs immediately. */
  acknodelay: boolean;
  /** KCP nodelay, 0 or 1, after the `mode` profile. */
  nodelay: number;
  /** KCP flush interval in ms, 10..5000, after the `mode` profile. */
  interval: number;
  /** KCP fast-resend threshold, ≥ 0, after the `mode` profile. */
  resend: number;
  /** KCP no-congestion-control, 0 or 1, after the `mode` profile. */
  nc: number;
  /** Socket buffer bytes; Deno cannot set it (a warning says so when ≠ 4194304). */
  sockbuf: number;
  /** smux protocol version. */
  smuxver: 1 | 2;
  /** smux MaxReceiveBuffer in bytes, ≥ 1. */
  smuxbuf: number;
  /** smux MaxStreamBuffer in bytes, 1..smuxbuf. */
  streambuf: number;
  /** smux MaxFrameSize, 1..65535. */
  framesize: number;
  /** smux KeepAliveInterval in seconds, 1..30 (KeepAliveTimeout is fixed at 30). */
  keepalive: number;
  /** Pacing limit in bytes per second per KCP session, 0 = off. */
  ratelimit: number;
  /** Seconds to wait after one direction ends before half-closing the other. */
  closewait: number;
  /** Quantum Permutation Pads on stream payloads. */
  qpp: boolean;
  /** Number of QPP pads, ≥ 1. */
  qppCount: number;
  /** SNMP log file pattern (Go time layout), `""` = off. */
  snmplog: string;
  /** SNMP log period in seconds, ≥ 1. */
  snmpperiod: number;
  /** Log file to append to, `""` = stderr. */
  log: string;
  /** Suppress the "stream open/close" messages. */
  quiet: boolean;
  /** Always false: `--tcp` is refused. */
  tcp: boolean;
  /** Accepted and ignored (with a warning). */
  pprof: boolean;
  /** Which of crypt/nocomp/smuxver were set explicitly (flag or JSON) — the server auto-detects the others. */
  explicit: { crypt: boolean; nocomp: boolean; smuxver: boolean };
  /** Warnings to print once at startup (e.g. "--pprof is not supported by Deno; ignored"). */
  warnings: string[];
}

/** The kcptun client's settings. */
export interface ClientConfig extends CommonConfig {
  /** Where local applications connect: TCP or a unix socket. */
  localaddr: ListenAddr;
  /** The kcptun server; a port range picks a random port per session. */
  remoteaddr: HostPortRange;
  /** Number of KCP sessions, 1..65535. */
  conn: number;
  /** Replace sessions older than this many seconds, 0 = never. */
  autoexpire: number;
  /** Close expired sessions this many seconds after expiry. */
  scavengettl: number;
}

/** The kcptun server's settings. */
export interface ServerConfig extends CommonConfig {
  /** UDP listen address; a port range listens on every port. */
  listen: HostPortRange;
  /** Where each stream is forwarded: TCP host:port or a unix socket path. */
  target: ListenAddr;
}

/** Environment lookup, e.g. `Deno.env`. */
export interface EnvLookup {
  /** The variable's value, or `undefined` when unset. */
  get(name: string): string | undefined;
}

/** What `--help` or `--version` asked for instead of a configuration. */
export type InfoRequest = { help: string } | { version: string };

/**
 * Reads the client's argv (without the subcommand).
 *
 * @param argv Flags, e.g. `["-l", ":1080", "-r", "vps:29900", "--crypt", "aes-128"]`.
 * @param env `KCPTUN_KEY` is read from here.
 * @param readTextFile Reads the `-c` file; its exceptions become a ConfigError.
 * @returns The configuration, or the help text / version when asked for.
 * @throws {ConfigError} On any usage error, with a message naming the flag
 *   (or the JSON key and file) and quoting the value.
 *
 * @example
 * ```ts
 * import { parseClientConfig } from "./config.ts";
 * const config = parseClientConfig(
 *   ["-r", "example.com:4000-4010", "--mode", "fast3"],
 *   { get: () => undefined },
 *   () => "{}",
 * );
 * if (!("remoteaddr" in config)) throw new Error("expected a config");
 * if (config.remoteaddr.portMax !== 4010 || config.interval !== 10) throw new Error("wrong");
 * ```
 */
export function parseClientConfig(
  argv: string[],
  env: EnvLookup,
  readTextFile: (path: string) => string,
): ClientConfig | InfoRequest {
  const settings = readSettings("client", argv, env, readTextFile);
  if (!(settings instanceof Settings)) return settings;
  const localaddr = settings.address("localaddr", (text) => parseListenAddr(text, 0));
  const remoteaddr = settings.address("remoteaddr", parseHostPortRange);
  const conn = settings.int("conn", 1, 65535);
  const autoexpire = settings.int("autoexpire", 0, INT_MAX);
  const scavengettl = settings.int("scavengettl", 0, INT_MAX);
  const common = resolveCommon(settings);
  if (autoexpire !== 0 && scavengettl > autoexpire) {
    common.warnings.push(
      `--scavengettl ${scavengettl} is bigger than --autoexpire ${autoexpire}: ` +
        "expired sessions may race for bandwidth; try a smaller --scavengettl",
    );
  }
  return { localaddr, remoteaddr, conn, autoexpire, scavengettl, ...common };
}

/**
 * Reads the server's argv (without the subcommand). Same contract as
 * {@linkcode parseClientConfig}.
 *
 * @example
 * ```ts
 * import { parseServerConfig } from "./config.ts";
 * const config = parseServerConfig(["-t", "/run/app.sock"], { get: () => "s3cret" }, () => "");
 * if (!("target" in config)) throw new Error("expected a config");
 * if (config.target.kind !== "unix" || config.key !== "s3cret") throw new Error("wrong");
 * if (config.closewait !== 30 || config.sndwnd !== 1024) throw new Error("wrong defaults");
 * ```
 */
export function parseServerConfig(
  argv: string[],
  env: EnvLookup,
  readTextFile: (path: string) => string,
): ServerConfig | InfoRequest {
  const settings = readSettings("server", argv, env, readTextFile);
  if (!(settings instanceof Settings)) return settings;
  const listen = settings.address("listen", parseHostPortRange);
  const target = settings.address("target", (text) => parseListenAddr(text, 1));
  return { listen, target, ...resolveCommon(settings) };
}

const INT_MAX = 2147483647;

/** nodelay, interval, resend, nc per `--mode` (kcptun latest `client/main.go`; 2021 is equal). */
const MODE_PROFILES: Record<string, readonly [number, number, number, number]> = {
  normal: [0, 40, 2, 1],
  fast: [0, 30, 2, 1],
  fast2: [1, 20, 2, 1],
  fast3: [1, 10, 2, 1],
};

/** QPP recommendations of kcptun latest (`std/qpp.go` over xtaci/qpp with 8 qubits). */
const QPP_MIN_KEY_BYTES = 211; // ceil(bitlen(256!) / 8)
const QPP_MIN_PADS = 7; // ceil(211 / 32)

type Origin =
  | { readonly kind: "default" }
  | { readonly kind: "env"; readonly name: string }
  | { readonly kind: "flag" }
  | { readonly kind: "json"; readonly key: string; readonly file: string };

/** Raw values by long flag name, with where each came from. */
class Settings {
  readonly values = new Map<string, FlagValue>();
  readonly origins = new Map<string, Origin>();
  readonly specs = new Map<string, FlagSpec>();
  readonly warnings: string[] = [];

  constructor(readonly side: Side) {
    for (const spec of flagsFor(side)) {
      this.specs.set(spec.name, spec);
      this.set(spec.name, spec.defaults[side] as FlagValue, { kind: "default" });
    }
  }

  set(name: string, value: FlagValue, origin: Origin): void {
    this.values.set(name, value);
    this.origins.set(name, origin);
  }

  /** How an error names the value's source: `--mtu`, `$KCPTUN_KEY` or `"mtu" in "x.json"`. */
  where(name: string): string {
    const origin = this.origins.get(name)!;
    if (origin.kind === "json") return `"${origin.key}" in "${origin.file}"`;
    if (origin.kind === "env") return `$${origin.name}`;
    return `--${name}`;
  }

  fail(name: string, rule: string): never {
    throw new ConfigError(
      `Invalid value "${this.values.get(name)}" for ${this.where(name)}: ${rule}`,
    );
  }

  explicit(name: string): boolean {
    const kind = this.origins.get(name)!.kind;
    return kind === "flag" || kind === "json";
  }

  string(name: string): string {
    return this.values.get(name) as string;
  }

  bool(name: string): boolean {
    return this.values.get(name) as boolean;
  }

  int(name: string, min: number, max: number): number {
    const value = this.values.get(name) as number;
    if (value < min || value > max) this.fail(name, `must be ${min}..${max}`);
    return value;
  }

  intOneOf<T extends number>(name: string, allowed: readonly T[]): T {
    const value = this.values.get(name) as T;
    if (!allowed.includes(value)) this.fail(name, `must be ${allowed.join(" or ")}`);
    return value;
  }

  stringOneOf(name: string, allowed: readonly string[]): string {
    const value = this.string(name);
    if (!allowed.includes(value)) this.fail(name, `must be one of ${allowed.join(", ")}`);
    return value;
  }

  address<T>(name: string, parse: (text: string) => Parsed<T>): T {
    const parsed = parse(this.string(name));
    if (!parsed.ok) this.fail(name, parsed.reason);
    return parsed.value;
  }
}

function readSettings(
  side: Side,
  argv: string[],
  env: EnvLookup,
  readTextFile: (path: string) => string,
): Settings | InfoRequest {
  const tokens = tokenizeArgv(side, argv);
  if (tokens.kind === "help") return { help: renderHelp(side, VERSION) };
  if (tokens.kind === "version") return { version: VERSION };
  const settings = new Settings(side);
  for (const spec of settings.specs.values()) {
    if (spec.env === undefined) continue;
    // urfave/cli v1 uses the variable whenever it is set, even to "".
    const value = env.get(spec.env);
    if (value !== undefined) settings.set(spec.name, value, { kind: "env", name: spec.env });
  }
  for (const [name, value] of tokens.values) settings.set(name, value, { kind: "flag" });
  const file = settings.string("c");
  if (file !== "") applyJsonFile(settings, file, readTextFile);
  return settings;
}

/**
 * Overlays the fields present in the JSON file, like Go's encoding/json
 * decoding into kcptun's Config: keys match case-insensitively, `null` leaves
 * a field unchanged, a value of the wrong type is an error. Unknown keys are
 * ignored with a warning.
 */
function applyJsonFile(
  settings: Settings,
  file: string,
  readTextFile: (path: string) => string,
): void {
  let text: string;
  try {
    text = readTextFile(file);
  } catch (error) {
    throw new ConfigError(`Cannot read config file "${file}": ${messageOf(error)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Cannot parse config file "${file}": ${messageOf(error)}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ConfigError(
      `Cannot parse config file "${file}": expected a JSON object, got ${typeName(data)}`,
    );
  }
  const byKey = new Map<string, FlagSpec>();
  const byFoldedKey = new Map<string, FlagSpec>();
  for (const spec of settings.specs.values()) {
    if (spec.json === undefined) continue;
    byKey.set(spec.json, spec);
    byFoldedKey.set(spec.json.toLowerCase(), spec);
  }
  for (const [key, value] of Object.entries(data)) {
    const spec = byKey.get(key) ?? byFoldedKey.get(key.toLowerCase());
    if (spec === undefined) {
      settings.warnings.push(`Unknown key "${key}" in config file "${file}"; ignored`);
      continue;
    }
    if (value === null) continue;
    const expected = spec.kind === "int"
      ? "an integer"
      : spec.kind === "bool"
      ? "a boolean"
      : "a string";
    const fits = spec.kind === "int"
      ? typeof value === "number" && Number.isSafeInteger(value)
      : spec.kind === "bool"
      ? typeof value === "boolean"
      : typeof value === "string";
    if (!fits) {
      throw new ConfigError(
        `Invalid type for "${key}" in "${file}": expected ${expected}, got ${typeName(value)}`,
      );
    }
    settings.set(spec.name, value as FlagValue, { kind: "json", key, file });
  }
}

function resolveCommon(settings: Settings): CommonConfig {
  const key = settings.string("key");
  // kcptun falls back to aes for an unknown --crypt and treats an unknown
  // --mode as manual; both hide typos, so kcptun-ts refuses them.
  const crypt = settings.stringOneOf("crypt", CRYPT_METHODS);
  const mode = settings.stringOneOf("mode", MODES);
  const qpp = settings.bool("QPP");
  const qppCount = settings.int("QPPCount", 1, INT_MAX);
  const mtu = settings.int("mtu", 50, 1500);
  // kcptun logs and uses 0 for a negative --ratelimit; kcptun-ts refuses it.
  const ratelimit = settings.int("ratelimit", 0, INT_MAX);
  const sndwnd = settings.int("sndwnd", 1, 65535);
  const rcvwnd = settings.int("rcvwnd", 1, 65535);
  const datashard = settings.int("datashard", 0, 255);
  const parityshard = settings.int("parityshard", 0, 255);
  if (datashard + parityshard > 256) {
    settings.fail(
      "parityshard",
      `datashard + parityshard must be at most 256, got ${datashard} + ${parityshard}`,
    );
  }
  const dscp = settings.int("dscp", 0, 63);
  const nocomp = settings.bool("nocomp");
  const acknodelay = settings.bool("acknodelay");
  // The manual-mode values are checked even when a profile replaces them, so
  // a typo never waits for the day someone switches to --mode manual. kcp
  // clamps interval to 10..5000; kcptun-ts refuses values outside instead.
  let nodelay: number = settings.intOneOf("nodelay", [0, 1]);
  let interval = settings.int("interval", 10, 5000);
  let resend = settings.int("resend", 0, INT_MAX);
  let nc: number = settings.intOneOf("nc", [0, 1]);
  const sockbuf = settings.int("sockbuf", 0, INT_MAX);
  const smuxver = settings.intOneOf("smuxver", [1, 2] as const);
  const smuxbuf = settings.int("smuxbuf", 1, INT_MAX);
  const framesize = settings.int("framesize", 1, 65535);
  // smux requires 0 < MaxStreamBuffer ≤ MaxReceiveBuffer.
  const streambuf = settings.values.get("streambuf") as number;
  if (streambuf < 1 || streambuf > smuxbuf) {
    settings.fail("streambuf", `must be 1..${smuxbuf} (at most --smuxbuf)`);
  }
  // smux requires KeepAliveTimeout (30 s, never changed by kcptun) ≥ KeepAliveInterval.
  const keepalive = settings.int("keepalive", 1, 30);
  const closewait = settings.int("closewait", 0, INT_MAX);
  const snmplog = settings.string("snmplog");
  const snmpperiod = settings.int("snmpperiod", 1, INT_MAX);
  const log = settings.string("log");
  const quiet = settings.bool("quiet");
  const tcp = settings.bool("tcp");
  if (tcp) {
    throw new ConfigError(
      `${settings.where("tcp")} is not supported: kcptun's fake-TCP mode (tcpraw) needs raw ` +
        "sockets, which Deno cannot open; run both ends without --tcp",
    );
  }
  const pprof = settings.bool("pprof");

  const profile = MODE_PROFILES[mode];
  if (profile !== undefined) [nodelay, interval, resend, nc] = profile;

  const warnings = [...settings.warnings];
  if (dscp !== 0) {
    warnings.push("--dscp is not supported by Deno (it cannot set the IP TOS byte); ignored");
  }
  if (pprof) {
    warnings.push("--pprof is not supported by Deno; ignored (use deno run --inspect to profile)");
  }
  if (qpp) {
    const keyBytes = new TextEncoder().encode(key).length;
    if (keyBytes < QPP_MIN_KEY_BYTES) {
      warnings.push(
        `QPP: the key is ${keyBytes} bytes long; at least ${QPP_MIN_KEY_BYTES} bytes are recommended`,
      );
    }
    if (qppCount < QPP_MIN_PADS) {
      warnings.push(
        `QPP: --QPPCount ${qppCount} is below the recommended minimum of ${QPP_MIN_PADS}`,
      );
    }
    if (qppCount % 2 === 0) {
      warnings.push(`QPP: --QPPCount ${qppCount} is not coprime with 8; choose a prime number`);
    }
  }

  return {
    key,
    crypt,
    mode,
    mtu,
    sndwnd,
    rcvwnd,
    datashard,
    parityshard,
    dscp,
    nocomp,
    acknodelay,
    nodelay,
    interval,
    resend,
    nc,
    sockbuf,
    smuxver,
    smuxbuf,
    streambuf,
    framesize,
    keepalive,
    ratelimit,
    closewait,
    qpp,
    qppCount,
    snmplog,
    snmpperiod,
    log,
    quiet,
    tcp,
    pprof,
    explicit: {
      crypt: settings.explicit("crypt"),
      nocomp: settings.explicit("nocomp"),
      smuxver: settings.explicit("smuxver"),
    },
    warnings,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
