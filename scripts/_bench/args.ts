/**
 * The command line of `scripts/bench.ts`. Pure.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { LINK_PROFILES, parseLinkProfile } from "../../lib/link/link.ts";
import type { LabDirection } from "../../lib/lab/args.ts";

/** The profiles of issue 4, in order: loopback, clean, then rising loss. */
export const BENCH_PROFILES: readonly string[] = [
  "loopback",
  "clean-100m-20ms",
  "lossy-50m-40ms-2pct",
  "jitter-10m-120ms-5pct",
  "bursty-20m-80ms-10pct",
];

/** Seconds of sending per run by default. */
export const DEFAULT_BENCH_SECONDS = 12;
/** Seconds of sending per run with `--quick`. */
export const QUICK_BENCH_SECONDS = 4;

/**
 * An implementation: kcptun-ts (`deno run cli.ts`) at both ends, Go kcptun's binaries at both
 * ends, or `mixed`: kcptun-ts at the sending end and Go kcptun at the receiving one (our server
 * with Go's client for a download, our client with Go's server for an upload), which measures
 * our sender against the ACKs of a real kcp-go receiver.
 */
export type BenchImpl = "ours" | "go" | "mixed";

/** The validated command line. */
export interface BenchArgs {
  /** Profile names or specs, in order. */
  profiles: string[];
  /** Directions per profile. */
  directions: LabDirection[];
  /** Implementations per direction. */
  impls: BenchImpl[];
  /** Seconds of sending per run. */
  seconds: number;
  /** Directory for the Markdown, JSON and SVG results. */
  outDir: string;
  /** Seed of the relay's link decisions and of the data. */
  seed: number;
  /** Rounds per case: each round runs every implementation once, one after the other. */
  repeat: number;
}

/** Most rounds `--repeat` takes. */
export const MAX_REPEAT = 20;

/** Usage text. */
export const BENCH_USAGE = `Usage: deno run -A scripts/bench.ts [options]

Runs kcptun-ts and Go kcptun side by side, each end as its own process, over the link emulator
(scripts/relay.ts, also its own process): every profile x direction x implementation with
default flags. Reports goodput, % of the link rate, CPU seconds per GB (client + server), peak
RSS (client + server) and the ratios ours/Go, checks the targets of issue 4, and writes
bench-results/bench-<time>.md, .json and goodput-vs-loss-<time>.svg.

Options:
  --quick             ${QUICK_BENCH_SECONDS} s per run instead of ${DEFAULT_BENCH_SECONDS}
  --seconds N         seconds of sending per run
  --profile SPEC      a profile name or spec (repeatable; default: ${BENCH_PROFILES.join(", ")})
  --direction D       download, upload or both (default: both)
  --impl I            ours, go, mixed (our sender, Go receiver), both (ours and go) or all
                      (default: both)
  --out DIR           result directory (default: bench-results)
  --seed N            seed of the link and the data (default: 1)
  --repeat N          run every case N times (1..${MAX_REPEAT}), the implementations taking
                      turns; the targets then use the median over the N rounds of each
                      ratio (CPU per GB varies by 15-25 % from run to run on slow links);
                      the chart shows the first round (default: 1)
  -h, --help          show this help

Profiles: ${Object.keys(LINK_PROFILES).join(", ")}`;

/**
 * Parses the bench command line.
 *
 * @throws {SyntaxError} On a usage error, naming the option.
 *
 * @example
 * ```ts
 * import { parseBenchArgs } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const args = parseBenchArgs(["--quick", "--impl", "ours"]);
 * if ("help" in args) throw new Error("unexpected help");
 * assert.equal(args.seconds, 4);
 * assert.deepEqual(args.impls, ["ours"]);
 * ```
 */
export function parseBenchArgs(argv: string[]): BenchArgs | { help: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: "boolean" },
        seconds: { type: "string" },
        profile: { type: "string", multiple: true },
        direction: { type: "string" },
        impl: { type: "string" },
        out: { type: "string" },
        seed: { type: "string" },
        repeat: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new SyntaxError(e instanceof Error ? e.message : String(e));
  }
  const v = parsed.values;
  if (v.help) return { help: BENCH_USAGE };
  if (v.quick && v.seconds !== undefined) {
    throw new SyntaxError("Options --quick and --seconds cannot both be given");
  }
  let seconds = v.quick ? QUICK_BENCH_SECONDS : DEFAULT_BENCH_SECONDS;
  if (v.seconds !== undefined) {
    seconds = /^\d+(\.\d+)?$/.test(v.seconds) ? Number(v.seconds) : NaN;
    if (!(seconds >= 0.5 && seconds <= 600)) {
      throw new SyntaxError(`Option --seconds must be a number 0.5..600, got "${v.seconds}"`);
    }
  }
  const profiles = v.profile ?? [...BENCH_PROFILES];
  for (const p of profiles) {
    try {
      parseLinkProfile(p);
    } catch (e) {
      throw new SyntaxError(`Option --profile: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const direction = v.direction ?? "both";
  if (!["download", "upload", "both"].includes(direction)) {
    throw new SyntaxError(
      `Option --direction must be download, upload or both, got "${direction}"`,
    );
  }
  const impl = v.impl ?? "both";
  if (!["ours", "go", "mixed", "both", "all"].includes(impl)) {
    throw new SyntaxError(`Option --impl must be ours, go, mixed, both or all, got "${impl}"`);
  }
  const seed = v.seed === undefined ? 1 : /^\d+$/.test(v.seed) ? Number(v.seed) : NaN;
  if (!(seed >= 0 && seed <= 0xffffffff)) {
    throw new SyntaxError(`Option --seed must be an integer 0..4294967295, got "${v.seed}"`);
  }
  const repeat = v.repeat === undefined ? 1 : /^\d+$/.test(v.repeat) ? Number(v.repeat) : NaN;
  if (!(repeat >= 1 && repeat <= MAX_REPEAT)) {
    throw new SyntaxError(`Option --repeat must be an integer 1..${MAX_REPEAT}, got "${v.repeat}"`);
  }
  return {
    profiles,
    directions: direction === "both" ? ["download", "upload"] : [direction as LabDirection],
    impls: impl === "both"
      ? ["ours", "go"]
      : impl === "all"
      ? ["ours", "go", "mixed"]
      : [impl as BenchImpl],
    seconds,
    outDir: v.out ?? "bench-results",
    seed,
    repeat,
  };
}
