/**
 * `profile_top` — the top self-time functions of V8 CPU profiles (`deno run --cpu-prof`).
 *
 * ```sh
 * deno run -A scripts/profile_top.ts /tmp/prof/*.cpuprofile          # top 30 of each file
 * deno run -A scripts/profile_top.ts --top 10 --merge /tmp/prof/*.cpuprofile
 * ```
 *
 * Self time is attributed by sample: each sample's leaf node gets the interval to the next
 * sample. Functions are keyed by name, file and line, so one function counts once however many
 * call paths reach it. `(garbage collector)`, `(program)` and `(idle)` are V8's own buckets;
 * the percentages are of the non-idle time. Exit codes: 0, 2 on a usage error.
 *
 * @module
 */

/** One node of a `.cpuprofile` call tree. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** The parts of a `.cpuprofile` used here. */
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function, µs. */
export interface SelfTime {
  /** `name file:line`. */
  key: string;
  /** Self time in µs. */
  micros: number;
}

/** Summary of one or more profiles. */
export interface ProfileSummary {
  /** Wall time covered by the samples, µs. */
  totalMicros: number;
  /** `(idle)` time, µs. */
  idleMicros: number;
  /** Per function, highest first. */
  functions: SelfTime[];
}

function shortUrl(url: string): string {
  if (url === "") return "";
  const i = url.lastIndexOf("/lib/");
  if (i >= 0) return url.slice(i + 1);
  const j = url.lastIndexOf("/");
  return j >= 0 ? url.slice(j + 1) : url;
}

/** Adds the self times of `profile` into `into` (keyed by function); returns µs covered. */
export function addSelfTimes(profile: CpuProfile, into: Map<string, number>): number {
  const keyOf = new Map<number, string>();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const name = f.functionName === "" ? "(anonymous)" : f.functionName;
    const where = f.url === "" ? "" : ` ${shortUrl(f.url)}:${f.lineNumber + 1}`;
    keyOf.set(n.id, name + where);
  }
  const { samples, timeDeltas } = profile;
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the gap before sample i: the time of sample i-1's state
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    if (dt <= 0) continue;
    const key = keyOf.get(samples[i]) ?? "(unknown)";
    into.set(key, (into.get(key) ?? 0) + dt);
    total += dt;
  }
  return total;
}

/** Summarises profiles (merged into one table). */
export function summarise(profiles: CpuProfile[]): ProfileSummary {
  const times = new Map<string, number>();
  let total = 0;
  for (const p of profiles) total += addSelfTimes(p, times);
  const idle = times.get("(idle)") ?? 0;
  const functions = [...times.entries()]
    .map(([key, micros]) => ({ key, micros }))
    .sort((a, b) => b.micros - a.micros);
  return { totalMicros: total, idleMicros: idle, functions };
}

/** A plain-text table of the top `top` non-idle functions. */
export function formatSummary(title: string, s: ProfileSummary, top: number): string {
  const busy = s.totalMicros - s.idleMicros;
  const lines = [
    `${title}: ${(s.totalMicros / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy`,
    "   self ms   % busy  function",
  ];
  let shown = 0;
  for (const f of s.functions) {
    if (f.key === "(idle)") continue;
    if (shown++ >= top) break;
    const pct = busy > 0 ? (f.micros / busy) * 100 : 0;
    lines.push(
      `${(f.micros / 1000).toFixed(1).padStart(10)}  ${pct.toFixed(1).padStart(6)}%  ${f.key}`,
    );
  }
  return lines.join("\n");
}

const USAGE = `Usage: deno run -A scripts/profile_top.ts [--top N] [--merge] FILE.cpuprofile...

Prints the top N (default 30) self-time functions of each V8 CPU profile, or of all of them
together with --merge.`;

/** Runs the tool; resolves to the exit code. */
export function main(argv: string[]): number {
  let top = 30;
  let merge = false;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--top") {
      top = Number(argv[++i]);
      if (!Number.isInteger(top) || top <= 0) {
        console.error(`profile_top: --top must be a positive integer, got "${argv[i]}"`);
        return 2;
      }
    } else if (a === "--merge") {
      merge = true;
    } else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      return 0;
    } else {
      files.push(a);
    }
  }
  if (files.length === 0) {
    console.error(USAGE);
    return 2;
  }
  const profiles = files.map((f) => JSON.parse(Deno.readTextFileSync(f)) as CpuProfile);
  if (merge) {
    console.log(formatSummary(`${files.length} profiles`, summarise(profiles), top));
  } else {
    files.forEach((f, i) => console.log(formatSummary(f, summarise([profiles[i]]), top) + "\n"));
  }
  return 0;
}

if (import.meta.main) Deno.exitCode = main(Deno.args);
