/**
 * The benchmark's Markdown: one row per case with the ratios to Go on the rows of ours and of
 * mixed (our sender, Go's receiver), and the targets of issue 4 checked against the same run
 * (ours against Go only). Pure.
 *
 * @module
 */

import { percentile } from "../../lib/lab/_stats.ts";
import { markdownTable } from "../../lib/lab/table.ts";
import type { BenchResult } from "./run.ts";

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "n/a";
}

/** CPU seconds of client + server per GB delivered. */
export function cpuPerGb(r: BenchResult): number {
  return r.bytes > 0 ? (r.client.cpuSeconds + r.server.cpuSeconds) / (r.bytes / 1e9) : NaN;
}

/**
 * CPU seconds of client + server per GB delivered after the warm-up mark (a third of the way
 * in; see `BenchResult.steadyBytes`): what a long-running tunnel costs once ramped up and, for
 * ours, once V8 has compiled the hot code.
 */
export function steadyCpuPerGb(r: BenchResult): number {
  return r.steadyBytes > 0
    ? (r.client.steadyCpuSeconds + r.server.steadyCpuSeconds) / (r.steadyBytes / 1e9)
    : NaN;
}

/** Peak RSS of client + server, bytes. */
export function peakRss(r: BenchResult): number {
  return r.client.peakRssBytes + r.server.peakRssBytes;
}

/**
 * Peak anonymous RSS of client + server, bytes: their private memory, without the pages of the
 * executables (shared between processes and dropped by the kernel under pressure).
 */
export function peakPrivate(r: BenchResult): number {
  return r.client.peakAnonBytes + r.server.peakAnonBytes;
}

/**
 * The Go result of the same profile, direction and round as `r`, when there is one that
 * delivered.
 */
export function goPeer(results: readonly BenchResult[], r: BenchResult): BenchResult | undefined {
  return results.find((g) =>
    g.impl === "go" && g.profile === r.profile && g.direction === r.direction &&
    (g.round ?? 0) === (r.round ?? 0) && g.verified
  );
}

function ratio(ours: number, go: number): string {
  return Number.isFinite(ours / go) && go > 0 ? `${(ours / go).toFixed(2)}×` : "n/a";
}

/**
 * The results table.
 *
 * @example
 * ```ts ignore
 * console.log(benchTable(results));
 * ```
 */
export function benchTable(results: readonly BenchResult[]): string {
  const rows = results.map((r) => {
    const go = r.impl !== "go" && r.verified ? goPeer(results, r) : undefined;
    const relayShare = r.relay !== undefined && r.seconds > 0
      ? `${fixed((r.relay.cpuSeconds / r.seconds) * 100, 0)} %`
      : "n/a";
    return [
      r.profile,
      r.direction,
      (r.round ?? 0) > 0 ? `${r.impl} #${r.round! + 1}` : r.impl,
      fixed(r.goodputBps / 1e6, 1),
      r.linkBps > 0 ? `${fixed((r.goodputBps / r.linkBps) * 100, 0)} %` : "n/a",
      fixed(cpuPerGb(r), 1),
      fixed(steadyCpuPerGb(r), 1),
      fixed(peakRss(r) / 1048576, 0),
      fixed(peakPrivate(r) / 1048576, 0),
      r.retransPct === undefined ? "n/a" : `${fixed(r.retransPct, 1)} %`,
      fixed(r.tailSeconds, 1),
      r.hostDrops === undefined ? "n/a" : String(r.hostDrops),
      relayShare,
      go ? ratio(r.goodputBps, go.goodputBps) : "",
      go ? ratio(cpuPerGb(r), cpuPerGb(go)) : "",
      go ? ratio(steadyCpuPerGb(r), steadyCpuPerGb(go)) : "",
      go ? ratio(peakRss(r), peakRss(go)) : "",
      go ? ratio(peakPrivate(r), peakPrivate(go)) : "",
      r.verified
        ? "ok"
        : `FAILED${r.error ? `: ${r.error.replaceAll("|", "/").slice(0, 60)}` : ""}`,
    ];
  });
  return markdownTable(
    [
      "profile",
      "direction",
      "impl",
      "goodput Mbit/s",
      "of link",
      "CPU s/GB (c+s)",
      "warm CPU s/GB",
      "peak RSS MB (c+s)",
      "private MB",
      "resent",
      "tail s",
      "host drops",
      "relay CPU",
      "ours/Go goodput",
      "ours/Go CPU/GB",
      "ours/Go warm CPU/GB",
      "ours/Go RSS",
      "ours/Go private",
      "data",
    ],
    rows,
    ["l", "l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "l"],
  );
}

/** One target line: its verdict and the per-case figures. */
function verdict(name: string, checks: { label: string; value: string; ok: boolean }[]): string {
  if (checks.length === 0) return `- ${name}: not measured in this run`;
  const passed = checks.filter((c) => c.ok).length;
  const status = passed === checks.length ? "PASS" : "FAIL";
  return `- ${name}: ${status} (${passed}/${checks.length}) — ${
    checks.map((c) => `${c.label} ${c.value}${c.ok ? "" : " ✗"}`).join(", ")
  }`;
}

/** A result of ours and the Go result of the same case and round. */
type Pair = { r: BenchResult; go: BenchResult };

/**
 * One check per case (profile and direction, in order of first appearance): the median of
 * `value` over the case's rounds (nearest rank: the lower middle one for an even count), formatted by `format` (with the round count when there are
 * several) and judged by `ok`.
 */
function perCase<T>(
  items: readonly T[],
  result: (t: T) => BenchResult,
  value: (t: T) => number,
  format: (x: number) => string,
  ok: (x: number) => boolean,
): { label: string; value: string; ok: boolean }[] {
  const cases = new Map<string, number[]>();
  for (const t of items) {
    const r = result(t);
    const label = `${r.profile} ${r.direction}`;
    cases.set(label, [...(cases.get(label) ?? []), value(t)]);
  }
  return [...cases].map(([label, xs]) => {
    const x = percentile(xs, 50);
    const rounds = xs.length > 1 ? ` (median of ${xs.length})` : "";
    return { label, value: `${format(x)}${rounds}`, ok: ok(x) };
  });
}

/**
 * The targets of issue 4, checked on this run's results (ours vs Go of the same run, default
 * flags on both): goodput ≥ 1.5× Go on every lossy profile in both directions; ≥ 85 % of the
 * link rate on the clean profile (rate-limited, no loss); CPU per GB ≤ 0.6× Go; peak RSS ≤ Go.
 * Two reference lines follow, not targets of the issue: CPU per GB after warm-up and peak
 * private memory, each against Go. With several rounds per case (`--repeat`), each ratio is
 * taken within a round and the check uses its median over the rounds.
 *
 * @example
 * ```ts ignore
 * console.log(benchTargets(results));
 * ```
 */
export function benchTargets(results: readonly BenchResult[]): string {
  const ours = results.filter((r) => r.impl === "ours");
  const paired = ours.map((r) => ({ r, go: r.verified ? goPeer(results, r) : undefined }))
    .filter((p): p is Pair => p.go !== undefined);
  const ratio = (
    pairs: readonly Pair[],
    f: (r: BenchResult) => number,
    ok: (x: number) => boolean,
  ) => perCase(pairs, (p) => p.r, (p) => f(p.r) / f(p.go), (x) => `${x.toFixed(2)}×`, ok);
  const lines = [
    verdict(
      "goodput ≥ 1.5× Go on lossy profiles",
      ratio(paired.filter((p) => p.r.loss > 0), (r) => r.goodputBps, (x) => x >= 1.5),
    ),
    verdict(
      "≥ 85 % of the link on the clean profile",
      perCase(
        ours.filter((r) => r.loss === 0 && r.linkBps > 0),
        (r) => r,
        (r) => r.verified ? r.goodputBps / r.linkBps : 0,
        (x) => `${(x * 100).toFixed(0)} %`,
        (x) => x >= 0.85,
      ),
    ),
    verdict("CPU per GB ≤ 0.6× Go", ratio(paired, cpuPerGb, (x) => x <= 0.6)),
    verdict("peak RSS ≤ Go", ratio(paired, peakRss, (x) => x <= 1)),
    verdict(
      "(reference) warm CPU per GB, after the first third of the run, ≤ 0.6× Go",
      ratio(
        paired.filter((p) => p.r.steadyBytes > 0 && p.go.steadyBytes > 0),
        steadyCpuPerGb,
        (x) => x <= 0.6,
      ),
    ),
    verdict(
      "(reference) peak private memory (RssAnon) ≤ Go",
      ratio(
        paired.filter((p) => peakPrivate(p.r) > 0 && peakPrivate(p.go) > 0),
        peakPrivate,
        (x) => x <= 1,
      ),
    ),
  ];
  return lines.join("\n") + "\n";
}
