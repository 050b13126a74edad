/**
 * `cli.ts lab`: parse the lab's flags, run the lab with live progress (one line redrawn on a
 * terminal, a plain line per second otherwise), print the report, and map the outcome to an
 * exit code. Ctrl-C (SIGINT) or SIGTERM ends the current run early and still prints the report.
 *
 * @module
 */

import { LAB_USAGE, parseLabArgs } from "./args.ts";
import { runLab } from "./lab.ts";
import { describeLink, formatLabReport, formatProgress } from "./report.ts";
import type { LabProgress } from "./types.ts";

/** Where the lab command writes. */
export interface LabIo {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** Standard output is a terminal: redraw the progress line in place. */
  isTerminal: boolean;
}

/** ms between progress lines when the output is not a terminal. */
const PLAIN_PROGRESS_MS = 1000;

/**
 * Runs `cli.ts lab` with `args` (after `lab`). Resolves to the exit code: 0 when every run
 * delivered its data intact, 1 when a run failed, 2 on a usage error.
 *
 * @example
 * ```ts ignore
 * import { runLabCommand } from "./command.ts";
 * const code = await runLabCommand(["--profile", "loopback", "--seconds", "2"], {
 *   out: (t) => Deno.stdout.writeSync(new TextEncoder().encode(t)),
 *   err: (t) => Deno.stderr.writeSync(new TextEncoder().encode(t)),
 *   isTerminal: Deno.stdout.isTerminal(),
 * });
 * ```
 */
export async function runLabCommand(args: string[], io: LabIo): Promise<number> {
  let parsed;
  try {
    parsed = parseLabArgs(args);
  } catch (e) {
    io.err(`${e instanceof Error ? e.message : String(e)}\nRun "cli.ts lab --help" for usage.\n`);
    return 2;
  }
  if ("help" in parsed) {
    io.out(parsed.help);
    return 0;
  }
  for (const warning of parsed.warnings) io.err(`Warning: ${warning}\n`);
  const same = describeLink(parsed.up) === describeLink(parsed.down);
  io.out(
    `Lab on ${parsed.profileLabel}: ${
      same
        ? describeLink(parsed.up)
        : `up ${describeLink(parsed.up)}; down ${describeLink(parsed.down)}`
    }\n`,
  );

  const stop = new AbortController();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const onSignal = () => {
    // the next signal gets the default action (the process ends)
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    io.err("\nStopping after the current run's data has arrived...\n");
    stop.abort();
  };
  for (const s of signals) Deno.addSignalListener(s, onSignal);

  let lastPlain = -Infinity;
  let width = 0;
  const onProgress = (p: LabProgress) => {
    const line = formatProgress(p);
    if (io.isTerminal) {
      io.out(`\r${line.padEnd(width)}${p.done ? "\n" : ""}`);
      width = p.done ? 0 : line.length;
      return;
    }
    if (p.done || p.elapsedMs - lastPlain >= PLAIN_PROGRESS_MS) {
      io.out(line + "\n");
      lastPlain = p.done ? -Infinity : p.elapsedMs;
    }
  };
  try {
    const report = await runLab({ ...parsed, signal: stop.signal }, onProgress);
    io.out("\n" + formatLabReport(report));
    return report.runs.every((r) => r.verified) ? 0 : 1;
  } catch (e) {
    io.err(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    if (!stop.signal.aborted) {
      for (const s of signals) Deno.removeSignalListener(s, onSignal);
    }
  }
}

export { LAB_USAGE };
