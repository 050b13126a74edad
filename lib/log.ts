/**
 * Logging for kcptun-ts on top of LogTape: one text sink (stderr or a file
 * opened for append), every category under the root `kcptun`.
 *
 * Log through {@linkcode logger}; LogTape checks the level before it formats
 * anything, so pass values as properties (`"{n} bytes", { n }`) or a callback
 * rather than building strings, and use `isEnabledFor("debug")` around
 * expensive debug work.
 *
 * @module
 */

import {
  configure,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogRecord,
  reset,
  type Sink,
} from "@logtape/logtape";

/** Root category of every kcptun-ts logger. */
export const ROOT_CATEGORY = "kcptun";

/**
 * Sub-category for the "stream opened/closed" messages, silenced by `quiet`
 * (kcptun's `--quiet`). Log them with `logger(STREAM_CATEGORY)`.
 */
export const STREAM_CATEGORY = "stream";

/** The setup whose configuration LogTape holds; a stale dispose must not reset a newer one. */
let activeSetup: object | undefined;

/** Options of {@linkcode setupLogging}. */
export interface LoggingOptions {
  /** Append to this file instead of writing to stderr. `""` or absent = stderr. */
  file?: string;
  /** Suppress the {@linkcode STREAM_CATEGORY} messages. @default false */
  quiet?: boolean;
  /** Lowest level written. @default "info" */
  level?: "debug" | "info" | "warning" | "error";
}

/**
 * Configure logging once: to stderr or to `file` (append), with `quiet`
 * suppressing the "stream open/close" category. Returns an async dispose that
 * resets LogTape and closes the file; calling it twice is harmless. A second
 * setup replaces the first (disposing the first then only closes its file).
 *
 * Lines look like `2026-11-22 02:11:13.000 [INF] kcptun.stream: stream opened`
 * (local time, as Go's log package prints).
 *
 * @throws {Error} If the log file cannot be opened, naming the file.
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
export async function setupLogging(options: LoggingOptions): Promise<() => Promise<void>> {
  const level = options.level ?? "info";
  let file: Deno.FsFile | undefined;
  if (options.file !== undefined && options.file !== "") {
    try {
      file = Deno.openSync(options.file, { write: true, append: true, create: true });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`Cannot open log file "${options.file}": ${reason}`);
    }
  }
  const output: { writeSync(bytes: Uint8Array): number } = file ?? Deno.stderr;
  const format = getTextFormatter({
    timestamp: "date-time",
    timeZone: null,
    category: ".",
    value: "bare",
  });
  const encoder = new TextEncoder();
  // Synchronous writes: nothing is lost when the process exits right after.
  const sink: Sink = (record: LogRecord) => {
    const bytes = encoder.encode(format(record));
    for (let written = 0; written < bytes.length;) {
      written += output.writeSync(bytes.subarray(written));
    }
  };
  await configure({
    reset: true,
    sinks: { out: sink },
    loggers: [
      { category: [ROOT_CATEGORY], sinks: ["out"], lowestLevel: level },
      { category: [ROOT_CATEGORY, STREAM_CATEGORY], lowestLevel: options.quiet ? null : level },
      { category: ["logtape", "meta"], sinks: ["out"], lowestLevel: "warning" },
    ],
  });
  const token = {};
  activeSetup = token;
  let disposed = false;
  return async () => {
    if (disposed) return;
    disposed = true;
    if (activeSetup === token) {
      activeSetup = undefined;
      await reset();
    }
    file?.close();
  };
}

/**
 * The logger for a category under the root `kcptun`, e.g. `logger("server")`
 * is `kcptun.server`. Before {@linkcode setupLogging} it drops everything.
 *
 * @example
 * ```ts
 * import { logger } from "./log.ts";
 * const log = logger("smux", "session");
 * if (log.category.join(".") !== "kcptun.smux.session") throw new Error("wrong category");
 * ```
 */
export function logger(...category: string[]): Logger {
  return getLogger([ROOT_CATEGORY, ...category]);
}
