/**
 * Text of the lab: the progress line shown while a run streams and the final report (a
 * Markdown table of every run, how each ceiling was reached, ours-versus-Go ratios, the best
 * settings and suggestions). Pure: returns strings, prints nothing.
 *
 * @module
 */

import type { LinkProfile } from "../link/link.ts";
import { type Ceiling, meanLoss } from "./ceiling.ts";
import { markdownTable } from "./table.ts";
import type { LabProgress, LabReport, LabRun } from "./types.ts";

/**
 * A rate in bit/s as text: `830 kbit/s`, `41.5 Mbit/s`, `1.25 Gbit/s`, `unlimited` for Infinity.
 *
 * @example
 * ```ts
 * import { formatRate } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatRate(41_520_000), "41.5 Mbit/s");
 * assert.equal(formatRate(Infinity), "unlimited");
 * ```
 */
export function formatRate(bps: number): string {
  if (bps === Infinity) return "unlimited";
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(2)} Gbit/s`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(bps >= 1e8 ? 0 : 1)} Mbit/s`;
  return `${(bps / 1e3).toFixed(0)} kbit/s`;
}

/** A share 0..1 as a percentage: one decimal below 10 %, none above. */
export function formatPercent(share: number): string {
  const p = share * 100;
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)} %`;
}

/** Three significant digits, at most two decimals: 0.123, 1.23, 12.3, 123, 1234. */
function sig3(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function bytesText(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}

/**
 * One direction of a link in words, e.g. `50 Mbit/s, 20 ms one way, 2.0 % loss`.
 *
 * @example
 * ```ts
 * import { describeLink } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   describeLink({ rateBps: 10_000_000, delayMs: 60, jitterMs: 20, loss: 0.05 }),
 *   "10.0 Mbit/s, 60 ms ± 20 ms one way, 5.0 % loss",
 * );
 * assert.equal(describeLink({}), "no rate limit, no delay, no loss");
 * ```
 */
export function describeLink(p: LinkProfile): string {
  const parts: string[] = [];
  parts.push(p.rateBps ? formatRate(p.rateBps) : "no rate limit");
  if (p.delayMs || p.jitterMs) {
    parts.push(`${p.delayMs ?? 0} ms${p.jitterMs ? ` ± ${p.jitterMs} ms` : ""} one way`);
  } else {
    parts.push("no delay");
  }
  const loss = meanLoss(p);
  if (p.burst !== undefined && loss > 0) {
    const burst = p.burst.pBadToGood > 0 ? (1 / p.burst.pBadToGood).toFixed(1) : "endless";
    parts.push(`${formatPercent(loss)} loss in bursts (mean bad spell ${burst} packets)`);
  } else {
    parts.push(loss > 0 ? `${formatPercent(loss)} loss` : "no loss");
  }
  if (p.reorder) parts.push(`${formatPercent(p.reorder)} reordered`);
  if (p.duplicate) parts.push(`${formatPercent(p.duplicate)} duplicated`);
  if (p.queueBytes !== undefined) parts.push(`queue ${bytesText(p.queueBytes)}`);
  return parts.join(", ");
}

/**
 * The progress line of a run (no line break; the caller redraws it with `\r` on a terminal).
 *
 * @example
 * ```ts
 * import { formatProgress } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatProgress({
 *     index: 1, total: 2, variant: "defaults", impl: "ours", direction: "download",
 *     elapsedMs: 4000, bytes: 23_500_000, bps: 38_200_000, ceilingBps: 36_980_000,
 *     srttMs: 48, retransPct: 2.9, done: false,
 *   }),
 *   "[1/2] ours download (defaults)  4.0 s  23.5 MB  38.2 Mbit/s  103 % of ceiling  " +
 *     "srtt 48 ms  resent 2.9 %",
 * );
 * ```
 */
export function formatProgress(p: LabProgress): string {
  let line = `[${p.index}/${p.total}] ${p.impl} ${p.direction} (${p.variant})  ` +
    `${(p.elapsedMs / 1000).toFixed(1)} s  ${bytesText(p.bytes)}  ${formatRate(p.bps)}`;
  if (p.ceilingBps !== Infinity) line += `  ${formatPercent(p.bps / p.ceilingBps)} of ceiling`;
  if (p.srttMs !== undefined) line += `  srtt ${p.srttMs.toFixed(0)} ms`;
  if (p.retransPct !== undefined) line += `  resent ${formatPercent(p.retransPct / 100)}`;
  if (p.done) line += "  done";
  return line;
}

/** How a ceiling was reached, in one line. */
export function explainCeiling(c: Ceiling): string {
  const segments = c.rateControl
    ? `${c.windowSegments} (rcvwnd; rate control sizes the send window)`
    : String(c.windowSegments);
  const window = c.windowBps === Infinity
    ? `window ${segments} segments (no delay: no limit)`
    : `window ${segments} × ${c.mss} B / ${c.rttMs} ms RTT = ${formatRate(c.windowBps)}`;
  if (c.linkBps === Infinity) {
    return `link unlimited; ${window} → limited by the host (CPU, sockets)`;
  }
  const fec = c.fec
    ? "FEC on"
    : c.adaptiveFec
    ? "no parity in a bulk transfer (adaptive)"
    : "FEC off";
  const link = `link ${formatRate(c.linkBps)} × ${formatPercent(c.payloadShare)} for data ` +
    `(mss ${c.mss} of ${c.datagram} B, ${fec}, ${formatPercent(c.loss)} loss) = ` +
    formatRate(c.protocolBps);
  return `${link}; ${window} → limited by the ${c.limitedBy}`;
}

function rowOf(run: LabRun): string[] {
  const ceiling = run.ceiling.ceilingBps;
  const gb = run.bytes / 1e9;
  return [
    run.variant,
    run.impl,
    run.direction,
    formatRate(run.goodputBps),
    ceiling === Infinity ? "host" : `${formatRate(ceiling)} (${run.ceiling.limitedBy})`,
    ceiling === Infinity ? "n/a" : formatPercent(run.goodputBps / ceiling),
    run.rtt === undefined ? "n/a" : `${run.rtt.p50.toFixed(0)} / ${run.rtt.p99.toFixed(0)} ms`,
    run.retransPct === undefined ? "n/a" : formatPercent(run.retransPct / 100),
    run.hostDrops === undefined ? "n/a" : String(run.hostDrops),
    run.fecRecovered === undefined ? "n/a" : String(run.fecRecovered),
    gb > 0 ? sig3(run.cpu.seconds / gb) : "n/a",
    run.verified ? "ok" : run.error !== undefined ? "FAILED" : "CORRUPT",
  ];
}

/** Ratio text `0.84×`. */
function ratio(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(2)}×` : "n/a";
}

/**
 * The final report of a lab as text (Markdown-friendly).
 *
 * @example
 * ```ts ignore
 * const report = await runLab(options);
 * console.log(formatLabReport(report));
 * ```
 */
export function formatLabReport(report: LabReport): string {
  const out: string[] = [];
  const same = describeLink(report.up) === describeLink(report.down);
  const amount = report.bytes !== undefined
    ? `${bytesText(report.bytes)} per run`
    : `${report.seconds} s per run`;
  out.push(
    `Link ${report.profileLabel}: ${
      same
        ? `${describeLink(report.up)}, each way`
        : `up ${describeLink(report.up)}; down ${describeLink(report.down)}`
    }. Seed ${report.seed}, ${amount}.`,
    "",
  );
  if (report.runs.length > 0) {
    out.push(
      markdownTable(
        [
          "settings",
          "impl",
          "direction",
          "goodput",
          "ceiling",
          "of ceiling",
          "RTT p50 / p99",
          "resent",
          "host drops",
          "FEC rebuilt",
          "CPU s/GB",
          "data",
        ],
        report.runs.map(rowOf),
        ["l", "l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "l"],
      ),
    );
  }

  const ceilings = new Map<string, Ceiling>();
  for (const run of report.runs) {
    ceilings.set(`${run.variant}, ${run.direction}, ${run.impl}`, run.ceiling);
  }
  if (ceilings.size > 0) {
    out.push("Ceilings:");
    for (const [key, c] of ceilings) out.push(`  ${key}: ${explainCeiling(c)}`);
    out.push("");
  }

  const failed = report.runs.filter((r) => r.error !== undefined);
  for (const r of failed) out.push(`${r.impl} ${r.direction} (${r.variant}) failed: ${r.error}`);
  if (failed.length > 0) out.push("");

  const impls = new Set(report.runs.map((r) => r.impl));
  out.push(
    "CPU s/GB counts every process of the run, per GB delivered: for ours the lab process " +
      "(both tunnel ends, the emulated link, the traffic and its hashing, in one thread)" +
      (impls.has("go")
        ? "; for go kcptun-client + kcptun-server + the lab process (link, traffic)."
        : "."),
  );
  out.push(
    "RTT is KCP's smoothed RTT on the sending end (n/a where the tunnel does not expose it). " +
      "Host drops are datagrams the kernel dropped from full UDP receive buffers during the " +
      "run: losses outside the emulated link.",
  );
  out.push("");

  if (impls.has("go")) {
    const lines: string[] = [];
    for (const run of report.runs) {
      if (run.impl !== "ours") continue;
      const go = report.runs.find((r) =>
        r.impl === "go" && r.variant === run.variant && r.direction === run.direction
      );
      if (go === undefined || !run.verified || !go.verified) continue;
      const cpuOurs = run.cpu.seconds / run.bytes;
      const cpuGo = go.cpu.seconds / go.bytes;
      lines.push(
        `  ${run.direction} (${run.variant}): goodput ${ratio(run.goodputBps / go.goodputBps)}, ` +
          `CPU per GB ${ratio(cpuOurs / cpuGo)}`,
      );
    }
    if (lines.length > 0) out.push("Ours / Go:", ...lines, "");
  }

  if (report.best !== undefined) {
    const variants = new Set(report.runs.filter((r) => r.impl === "ours").map((r) => r.variant));
    const b = report.best;
    if (variants.size > 1) {
      out.push(
        `Best settings on this link: ${b.variant} (${formatRate(b.meanBps)} mean, ` +
          `${ratio(b.meanBps / b.baselineBps)} the first settings).`,
      );
    } else {
      out.push(
        `Only one setting ran (${b.variant}, ${formatRate(b.meanBps)} mean); ` +
          `add --try "FLAGS" to compare others.`,
      );
    }
    out.push("");
  }

  if (report.suggestions.length > 0) {
    out.push("Suggestions:");
    report.suggestions.forEach((s, i) => {
      out.push(`  ${i + 1}. ${s.finding}.`, `     ${s.advice}.`);
      if (s.flags.length > 0) out.push(`     Try: --try "${s.flags.join(" ")}"`);
    });
    out.push("");
  }
  for (const note of report.notes) out.push(`Note: ${note}`);
  return out.join("\n").replace(/\n+$/, "") + "\n";
}
