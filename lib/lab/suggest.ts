/**
 * What the lab tells the user: which of the settings it ran did best on their link, and what to
 * try next, each with the finding behind it (window below the bandwidth-delay product, a queue
 * overrun, FEC parity out of proportion to the loss, slow loss recovery, a CPU-bound host).
 * Pure: works on finished {@linkcode LabRun}s.
 *
 * @module
 */

import type { Ceiling } from "./ceiling.ts";
import type { BestVariant, LabRun, Suggestion } from "./types.ts";

/** The tunnel settings of one variant that the rules look at. */
export interface VariantSettings {
  /** `--mode`. */
  mode: string;
  /** `--datashard`. */
  dataShards: number;
  /** `--parityshard`. */
  parityShards: number;
  /** `--nocomp`. */
  nocomp: boolean;
}

/** Share of a core above which a run counts as CPU-bound. */
const CPU_BOUND_SHARE = 0.9;
/** Share of the link's packets tail-dropped above which the window overruns the queue. */
const QUEUE_DROP_SHARE = 0.01;
/** Windows are suggested in steps of this many segments. */
const WINDOW_STEP = 64;

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * The variant of ours with the highest mean goodput over its directions (verified runs only).
 * Ties go to the earlier variant. Undefined when no run of ours delivered data.
 *
 * @example
 * ```ts ignore
 * const best = bestVariant(report.runs);
 * console.log(best?.variant, best?.meanBps);
 * ```
 */
export function bestVariant(runs: readonly LabRun[]): BestVariant | undefined {
  const byVariant = new Map<string, number[]>();
  for (const run of runs) {
    if (run.impl !== "ours") continue;
    const list = byVariant.get(run.variant) ?? [];
    list.push(run.verified ? run.goodputBps : 0);
    byVariant.set(run.variant, list);
  }
  let best: BestVariant | undefined;
  let baselineBps = NaN;
  for (const [variant, values] of byVariant) {
    const meanBps = mean(values);
    if (Number.isNaN(baselineBps)) baselineBps = meanBps;
    if (meanBps > 0 && (best === undefined || meanBps > best.meanBps)) {
      best = { variant, meanBps, baselineBps: 0 };
    }
  }
  if (best !== undefined) best.baselineBps = baselineBps;
  return best;
}

function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/** A send window that fills the link without overrunning its queue: BDP + half the queue. */
function fittingWindow(c: Ceiling): number {
  const queueSegments = Math.floor(c.queueBytes / c.mtu);
  return Math.max(WINDOW_STEP, roundUp(c.bdpSegments + queueSegments / 2, 32));
}

function pct(share: number): string {
  const p = share * 100;
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)} %`;
}

function mbit(bps: number): string {
  return `${(bps / 1e6).toFixed(1)} Mbit/s`;
}

/**
 * Suggestions for the runs of ours with the best settings (or the first settings when none
 * delivered data). Suggestions whose flags a run already used are left out.
 *
 * @param runs Every run of the lab.
 * @param settings The settings of each variant, by label.
 *
 * @example
 * ```ts ignore
 * for (const s of suggestSettings(report.runs, settings)) console.log(s.finding, s.advice);
 * ```
 */
export function suggestSettings(
  runs: readonly LabRun[],
  settings: Readonly<Record<string, VariantSettings>>,
): Suggestion[] {
  const ours = runs.filter((r) => r.impl === "ours");
  if (ours.length === 0) return [];
  const variant = bestVariant(runs)?.variant ?? ours[0].variant;
  const mine = ours.filter((r) => r.variant === variant);
  const set = settings[variant];
  const out: Suggestion[] = [];

  // 1. the window is below the bandwidth-delay product
  const small = mine.filter((r) => r.ceiling.limitedBy === "window");
  if (small.length > 0) {
    const need = Math.max(...small.map((r) => r.ceiling.bdpSegments));
    const window = roundUp(need * 1.5, WINDOW_STEP);
    const r = small[0];
    out.push({
      finding: `The window limits ${
        small.map((s) => s.direction).join(" and ")
      } to ${
        mbit(r.ceiling.windowBps)
      }: ${r.ceiling.windowSegments} segments × ${r.ceiling.mss} B per ${r.ceiling.rttMs} ms ` +
        `RTT, while the link carries ${mbit(r.ceiling.protocolBps)} ` +
        `(${need} segments in flight)`,
      advice: `Raise both windows above the bandwidth-delay product, with room for queueing ` +
        `and resends`,
      flags: ["--sndwnd", String(window), "--rcvwnd", String(window)],
    });
  }

  // 2. the window overruns the bottleneck queue (congestion control is off in every --mode)
  const overrun = mine.filter((r) =>
    r.link !== undefined && r.link.sent > 0 && r.link.queueDrops / r.link.sent > QUEUE_DROP_SHARE
  );
  // (rate control paces by the measured rate and ignores --sndwnd: nothing to suggest there)
  if (overrun.length > 0 && small.length === 0 && !overrun[0].ceiling.rateControl) {
    const r = overrun[0];
    const queueSegments = Math.floor(r.ceiling.queueBytes / r.ceiling.mtu);
    const fits = fittingWindow(r.ceiling);
    if (fits < r.ceiling.windowSegments) {
      out.push({
        finding: `The link's queue dropped ${pct(r.link!.queueDrops / r.link!.sent)} of the ` +
          `${r.direction} packets: ${r.ceiling.windowSegments} segments in flight exceed the ` +
          `bandwidth-delay product (${r.ceiling.bdpSegments}) plus the queue (${queueSegments})`,
        advice: "A send window that fits the link avoids the overrun and its resends",
        flags: ["--sndwnd", String(fits)],
      });
    }
  }

  // 3. FEC in proportion to the loss
  if (set !== undefined) {
    const r = mine[0];
    const loss = r.ceiling.loss;
    const fecOn = r.ceiling.fec;
    const share = fecOn ? set.parityShards / (set.dataShards + set.parityShards) : 0;
    if (loss === 0 && fecOn && r.ceiling.limitedBy === "link") {
      out.push({
        finding: `The link loses nothing, yet FEC parity takes ${pct(share)} of it`,
        advice: "Turn FEC off to give that bandwidth to data",
        flags: ["--ds", "0", "--ps", "0"],
      });
    } else if (loss > 0 && !r.ceiling.fecConfigured) {
      out.push({
        finding: `The link loses ${pct(loss)} of packets and FEC is off`,
        advice: "FEC rebuilds lost packets without waiting a round trip for a resend",
        flags: ["--ds", "10", "--ps", "3"],
      });
    } else if (
      loss > 0 && fecOn && share > 4 * loss && r.ceiling.limitedBy === "link" &&
      !r.ceiling.adaptiveFec
    ) {
      // (an adaptive sender already sends only the parity the loss needs, none in a bulk
      // transfer: fewer configured shards would only cap what it may add for bursts)
      const ps = Math.max(1, Math.round((set.dataShards * 3 * loss) / (1 - 3 * loss)));
      if (ps < set.parityShards) {
        out.push({
          finding: `FEC parity takes ${pct(share)} of the link to cover ${pct(loss)} loss`,
          advice: "Less parity leaves more of the link to data (about 3× the loss is enough " +
            "for independent loss; keep more for bursts)",
          flags: ["--ds", String(set.dataShards), "--ps", String(ps)],
        });
      }
    } else if (loss > 0 && fecOn && share < 1.5 * loss) {
      const ps = Math.ceil((set.dataShards * 2 * loss) / (1 - 2 * loss));
      out.push({
        finding: `FEC parity (${pct(share)}) cannot cover ${pct(loss)} loss`,
        advice: "More parity rebuilds more packets without resends",
        flags: ["--ds", String(set.dataShards), "--ps", String(ps)],
      });
    }

    // 4. slow loss recovery
    const slow = mine.filter((x) =>
      x.ceiling.loss > 0 && x.verified && x.goodputBps < 0.6 * x.ceiling.ceilingBps
    );
    if (slow.length > 0 && set.mode !== "fast2" && set.mode !== "fast3") {
      out.push({
        finding: `${slow.map((x) => x.direction).join(" and ")} reached only ${
          pct(slow[0].goodputBps / slow[0].ceiling.ceilingBps)
        } of the ceiling on a lossy link with --mode ${set.mode}`,
        advice: "--mode fast3 flushes every 10 ms and resends sooner (nodelay), so losses " +
          "cost less time",
        flags: ["--mode", "fast3"],
      });
    }

    // 5. resends far above the link's loss
    for (const x of mine) {
      if (x.retransPct === undefined || !x.verified) continue;
      const dropShare = x.link !== undefined && x.link.sent > 0
        ? (x.link.queueDrops + x.link.lost) / x.link.sent
        : x.ceiling.loss;
      if (x.retransPct / 100 <= 2 * dropShare + 0.05) continue;
      const host = x.hostDrops ?? 0;
      const fits = x.ceiling.bdpSegments > 0 && !x.ceiling.rateControl
        ? fittingWindow(x.ceiling)
        : 0;
      out.push({
        finding: `${x.direction}: ${pct(x.retransPct / 100)} of segments were resent while ` +
          `the link dropped ${pct(dropShare)}` +
          (host > 0 ? ` and the host's full UDP receive buffers dropped ${host} datagrams` : ""),
        advice: (host > 0
          ? "Bursts overflow the sockets' receive buffers (Deno cannot enlarge them, " +
            "--sockbuf is ignored)"
          : "The extra resends are spurious (an RTO below the RTT under load) or caused by " +
            "drops outside the link (netstat -su)") +
          (x.ceiling.rateControl
            ? "; kcptun-ts paces by the measured rate, so --sndwnd does not change it"
            : "; a smaller send window sends smaller bursts"),
        flags: fits > 0 && fits < x.ceiling.windowSegments ? ["--sndwnd", String(fits)] : [],
      });
      break;
    }

    // 6. a CPU-bound host
    const busy = mine.filter((x) =>
      x.ceiling.limitedBy === "host" ||
      (x.seconds > 0 && x.cpu.seconds / x.seconds >= CPU_BOUND_SHARE)
    );
    if (busy.length > 0) {
      const x = busy[0];
      out.push({
        finding: `${busy.map((b) => b.direction).join(" and ")} ran CPU-bound (${
          pct(x.seconds > 0 ? x.cpu.seconds / x.seconds : 0)
        } of a core for ${x.cpu.parts.map((p) => p.name).join(", ")})`,
        advice: "Here both tunnel ends, the link and the traffic share one thread; on two " +
          "machines each end has its own core (scripts/bench.ts measures them apart)" +
          (set.nocomp
            ? ""
            : ". Compressed or encrypted payloads do not shrink: --nocomp saves the work"),
        flags: set.nocomp ? [] : ["--nocomp"],
      });
    }
  }

  // drop repeats and what a run already tried
  const tried = new Set(runs.map((r) => r.variant));
  const seen = new Set<string>();
  return out.filter((s) => {
    const key = s.flags.join(" ");
    if (key !== "" && seen.has(key)) return false;
    seen.add(key);
    return true;
  }).filter((s) =>
    s.flags.length === 0 ||
    ![...tried].some((label) =>
      label === s.flags.join(" ") || label.endsWith(" " + s.flags.join(" "))
    )
  );
}
