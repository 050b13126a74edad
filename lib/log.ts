/**
 * Logging for kcptun-ts: one text sink (stderr or a file opened for append), every category
 * under the root `kcptun`, one line per record:
 *
 * ```text
 * 2026-11-22 02:11:13.000 [INF] kcptun.client: listening on :12948
 * ```
 *
 * Written here rather than on a logging package: an npm package (and the Node compatibility
 * layer it pulls in) costs every tunnel process several MB of resident memory for a handful of
 * lines (measured with `scripts/rss_probe.ts`).
 *
 * Log through {@linkcode logger}. The level is checked before anything is formatted, so pass
 * values as properties (`"{n} bytes", { n }`) or as a callback returning them, and wrap
 * expensive debug work in `isEnabledFor("debug")`.
 *
 * @module
 */

/** Root category of every kcptun-ts logger. */
export const ROOT_CATEGORY = "kcptun";

/**
 * Sub-category for the "stream opened/closed" messages, silenced by `quiet`
 * (kcptun's `--quiet`). Log them with `logger(STREAM_CATEGORY)`.
 */
export const STREAM_CATEGORY = "stream";

/** Severity of a record, lowest first. */
export type LogLevel = "debug" | "info" | "warning" | "error";

/**
 * Values for a message's `{name}` placeholders, or a callback returning them (called only when
 * the level is enabled).
 */
export type LogProperties = Record<string, unknown> | (() => Record<string, unknown>);

/** A logger for one category; get one with {@linkcode logger}. */
export interface Logger {
  /** The full category, starting with {@linkcode ROOT_CATEGORY}. */
  readonly category: readonly string[];
  /** Whether a record of `level` would be written now (cheap: no formatting). */
  isEnabledFor(level: LogLevel): boolean;
  /** Writes a `[DBG]` record: `{name}` in `message` is replaced by `props.name`. */
  debug(message: string, props?: LogProperties): void;
  /** Writes an `[INF]` record: `{name}` in `message` is replaced by `props.name`. */
  info(message: string, props?: LogProperties): void;
  /** Writes a `[WRN]` record; the same as {@linkcode Logger.warning}. */
  warn(message: string, props?: LogProperties): void;
  /** Writes a `[WRN]` record: `{name}` in `message` is replaced by `props.name`. */
  warning(message: string, props?: LogProperties): void;
  /** Writes an `[ERR]` record: `{name}` in `message` is replaced by `props.name`. */
  error(message: string, props?: LogProperties): void;
}

/** Options of {@linkcode setupLogging}. */
export interface LoggingOptions {
  /** Append to this file instead of writing to stderr. `""` or absent = stderr. */
  file?: string;
  /** Suppress the {@linkcode STREAM_CATEGORY} messages. @default false */
  quiet?: boolean;
  /** Lowest level written. @default "info" */
  level?: LogLevel;
  /** Wall clock for the timestamps, ms since the epoch (tests pin it). @default Date.now */
  clock?: () => number;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warning: 2, error: 3 };
const LABEL = ["DBG", "INF", "WRN", "ERR"] as const;
const LEVELS = ["debug", "info", "warning", "error"] as const;

/** What {@linkcode setupLogging} configured; loggers read it on every call. */
interface Setup {
  lowest: number;
  quiet: boolean;
  clock: () => number;
  output: { writeSync(bytes: Uint8Array): number };
}

/** The active setup, or undefined before setup and after its dispose: then nothing is written. */
let active: Setup | undefined;

const encoder = new TextEncoder();

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in local time, as Go's log package prints with microseconds off. */
function timestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)} ` +
    `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.` +
    pad(d.getMilliseconds(), 3);
}

function render(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return Deno.inspect(value, { colors: false, strAbbreviateSize: Infinity });
  } catch {
    return String(value);
  }
}

/**
 * Replaces `{name}` with the rendered property; `{{` and `}}` stand for literal braces (as in
 * LogTape). A placeholder naming no property is left as written.
 */
function interpolate(message: string, props: Record<string, unknown>): string {
  return message.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, name: string | undefined) => {
    if (name === undefined) return whole[0];
    return Object.hasOwn(props, name) ? render(props[name]) : whole;
  });
}

/** Escapes control characters so that one record is always one line (no forged lines). */
function escapeControls(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

function write(setup: Setup, rank: number, category: string, message: string): void {
  const line = `${timestamp(setup.clock())} [${LABEL[rank]}] ${category}: ${
    escapeControls(message)
  }\n`;
  const bytes = encoder.encode(line);
  // Synchronous: nothing is lost when the process exits right after. A failing sink (stderr
  // closed, disk full) must never take the tunnel down, so errors are dropped.
  try {
    for (let written = 0; written < bytes.length;) {
      const n = setup.output.writeSync(bytes.subarray(written));
      if (n <= 0) break;
      written += n;
    }
  } catch {
    // Dropped: see above.
  }
}

class CategoryLogger implements Logger {
  readonly category: readonly string[];
  readonly #name: string;
  readonly #stream: boolean;

  constructor(category: readonly string[]) {
    this.category = Object.freeze([...category]);
    this.#name = category.join(".");
    this.#stream = category[1] === STREAM_CATEGORY;
  }

  #enabled(rank: number): Setup | undefined {
    const setup = active;
    if (setup === undefined || rank < setup.lowest || (this.#stream && setup.quiet)) {
      return undefined;
    }
    return setup;
  }

  #log(rank: number, message: string, props: LogProperties | undefined): void {
    const setup = this.#enabled(rank);
    if (setup === undefined) return;
    let text = message;
    if (props !== undefined) {
      try {
        text = interpolate(message, typeof props === "function" ? props() : props);
      } catch (error) {
        text = `${message} (properties failed: ${render(error)})`;
      }
    }
    write(setup, rank, this.#name, text);
  }

  isEnabledFor(level: LogLevel): boolean {
    const rank = RANK[level];
    return rank !== undefined && this.#enabled(rank) !== undefined;
  }

  debug(message: string, props?: LogProperties): void {
    this.#log(0, message, props);
  }

  info(message: string, props?: LogProperties): void {
    this.#log(1, message, props);
  }

  warn(message: string, props?: LogProperties): void {
    this.#log(2, message, props);
  }

  warning(message: string, props?: LogProperties): void {
    this.#log(2, message, props);
  }

  error(message: string, props?: LogProperties): void {
    this.#log(3, message, props);
  }
}

/**
 * Configure logging: to stderr or to `file` (append), with `quiet` suppressing the
 * {@linkcode STREAM_CATEGORY} messages and `level` the lowest level written. Returns an async
 * dispose that stops logging and closes the file; calling it twice is harmless. A second setup
 * replaces the first (disposing the first then only closes its file).
 *
 * Lines look like `2026-11-22 02:11:13.000 [INF] kcptun.stream: stream opened` (local time,
 * as Go's log package prints); control characters in a message are escaped (`\n`, `\x1b`), so
 * one record is one line.
 *
 * @throws {Error} If the log file cannot be opened, naming the file.
 * @throws {RangeError} If `level` is not one of debug, info, warning, error.
 *
 * @example
 * ```ts
 * import { logger, setupLogging } from "./log.ts";
 * const file = await Deno.makeTempFile();
 * const dispose = await setupLogging({ file, quiet: true });
 * logger("client").info("listening on {addr}", { addr: ":12948" });
 * logger("stream").info("stream opened");
 * await dispose();
 * const text = await Deno.readTextFile(file);
 * await Deno.remove(file);
 * if (!text.includes("listening on :12948") || text.includes("stream opened")) {
 *   throw new Error("unexpected log: " + text);
 * }
 * ```
 */
export function setupLogging(options: LoggingOptions): Promise<() => Promise<void>> {
  const level = options.level ?? "info";
  if (!(LEVELS as readonly string[]).includes(level)) {
    return Promise.reject(
      new RangeError(`Log level must be one of ${LEVELS.join(", ")}, got "${level}"`),
    );
  }
  let file: Deno.FsFile | undefined;
  if (options.file !== undefined && options.file !== "") {
    try {
      file = Deno.openSync(options.file, { write: true, append: true, create: true });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return Promise.reject(new Error(`Cannot open log file "${options.file}": ${reason}`));
    }
  }
  const setup: Setup = {
    lowest: RANK[level],
    quiet: options.quiet ?? false,
    clock: options.clock ?? Date.now,
    output: file ?? Deno.stderr,
  };
  active = setup;
  let disposed = false;
  return Promise.resolve(() => {
    if (!disposed) {
      disposed = true;
      if (active === setup) active = undefined;
      file?.close();
    }
    return Promise.resolve();
  });
}

/**
 * The logger for a category under the root `kcptun`, e.g. `logger("server")` is
 * `kcptun.server`. It follows whatever {@linkcode setupLogging} is active at each call, and
 * drops everything while none is.
 *
 * @example
 * ```ts
 * import { logger } from "./log.ts";
 * const log = logger("smux", "session");
 * if (log.category.join(".") !== "kcptun.smux.session") throw new Error("wrong category");
 * ```
 */
export function logger(...category: string[]): Logger {
  return new CategoryLogger([ROOT_CATEGORY, ...category]);
}
