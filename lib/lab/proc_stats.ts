/**
 * CPU time and peak memory of processes, read from Linux's `/proc`, and of this process from
 * `Deno.cpuUsage()`. The lab and the benchmark script use them to charge every process of a run
 * (tunnel ends, link emulator, traffic) for what it used. Deno adapter.
 *
 * @module
 */

import process from "node:process";

/** Clock ticks per second of `/proc/<pid>/stat` times: Linux's USER_HZ, 100 on every arch Deno runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** Resource use of one process so far. */
export interface ProcStats {
  /** User plus system CPU time, seconds. */
  cpuSeconds: number;
  /** Peak resident set size (`VmHWM`), bytes; 0 when the kernel does not report it. */
  peakRssBytes: number;
  /**
   * Resident anonymous memory now (`RssAnon`), bytes: what the process allocated for itself.
   * Unlike RSS it leaves out the file-backed pages of its executable and libraries, which every
   * process running the same binary shares (for our tunnel under Deno 2.9, about 45 MB of its
   * 96 MB executable). 0 when the kernel does not report it.
   */
  anonRssBytes: number;
}

/**
 * Parses the text of `/proc/<pid>/stat` into user + system CPU seconds, or undefined when it is
 * not in that format. The command name (field 2) may hold spaces and parentheses, so fields are
 * counted from the last `)`.
 *
 * @example
 * ```ts
 * import { parseProcStatCpu } from "./proc_stats.ts";
 * import assert from "node:assert/strict";
 *
 * const stat = "42 (kcptun server) S 1 42 42 0 -1 4194560 900 0 0 0 250 125 0 0 20 0 9 0";
 * assert.equal(parseProcStatCpu(stat), 3.75);
 * ```
 */
export function parseProcStatCpu(text: string): number | undefined {
  const t = parseProcStatTimes(text);
  return t === undefined ? undefined : t.user + t.system;
}

/**
 * Parses the text of `/proc/<pid>/stat` into user and system CPU seconds, or undefined when it
 * is not in that format.
 *
 * @example
 * ```ts
 * import { parseProcStatTimes } from "./proc_stats.ts";
 * import assert from "node:assert/strict";
 *
 * const stat = "42 (kcptun server) S 1 42 42 0 -1 4194560 900 0 0 0 250 125 0 0 20 0 9 0";
 * assert.deepEqual(parseProcStatTimes(stat), { user: 2.5, system: 1.25 });
 * ```
 */
export function parseProcStatTimes(text: string): { user: number; system: number } | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  // after ") ": state(3) ppid(4) ... utime(14) stime(15) → indexes 11 and 12
  const fields = text.slice(close + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || fields.length < 13) return undefined;
  return { user: utime / CLOCK_TICKS_PER_SECOND, system: stime / CLOCK_TICKS_PER_SECOND };
}

/**
 * Parses `VmHWM` (kB) out of the text of `/proc/<pid>/status` into bytes; 0 when absent.
 *
 * @example
 * ```ts
 * import { parseProcStatusPeakRss } from "./proc_stats.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseProcStatusPeakRss("Name:\tdeno\nVmHWM:\t   51200 kB\n"), 51200 * 1024);
 * ```
 */
export function parseProcStatusPeakRss(text: string): number {
  return statusKb(text, "VmHWM") * 1024;
}

/**
 * Parses `RssAnon` (kB) out of the text of `/proc/<pid>/status` into bytes; 0 when absent.
 *
 * @example
 * ```ts
 * import { parseProcStatusAnonRss } from "./proc_stats.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseProcStatusAnonRss("VmRSS:\t 9000 kB\nRssAnon:\t 2048 kB\n"), 2048 * 1024);
 * ```
 */
export function parseProcStatusAnonRss(text: string): number {
  return statusKb(text, "RssAnon") * 1024;
}

/** The kB value of `field` in the text of `/proc/<pid>/status`; 0 when absent. */
function statusKb(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, "m").exec(text);
  return m === null ? 0 : Number(m[1]);
}

/**
 * CPU, peak RSS and anonymous RSS of process `pid` (use `"self"` for this one), or undefined
 * when the process is gone or `/proc` is not available (not Linux).
 */
export function readProcStats(pid: number | "self"): ProcStats | undefined {
  try {
    const cpuSeconds = parseProcStatCpu(Deno.readTextFileSync(`/proc/${pid}/stat`));
    if (cpuSeconds === undefined) return undefined;
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return {
      cpuSeconds,
      peakRssBytes: parseProcStatusPeakRss(status),
      anonRssBytes: parseProcStatusAnonRss(status),
    };
  } catch {
    return undefined;
  }
}

type CpuUsage = () => { user: number; system: number };

/** `Deno.cpuUsage` where this Deno has it (its types may not declare it), else Node's. */
const cpuUsage: CpuUsage = (() => {
  const own = (Deno as unknown as { cpuUsage?: CpuUsage }).cpuUsage;
  return typeof own === "function" ? () => own() : () => process.cpuUsage();
})();

/** User plus system CPU seconds this process has used (µs resolution). */
export function selfCpuSeconds(): number {
  const usage = cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * Parses `RcvbufErrors` of the `Udp:` lines of `/proc/net/snmp`: datagrams the kernel dropped
 * because a socket's receive buffer was full. Undefined when the text has no such field.
 *
 * @example
 * ```ts
 * import { parseUdpReceiveErrors } from "./proc_stats.ts";
 * import assert from "node:assert/strict";
 *
 * const snmp = "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors\nUdp: 10 0 3 12 3\n";
 * assert.equal(parseUdpReceiveErrors(snmp), 3);
 * ```
 */
export function parseUdpReceiveErrors(text: string): number | undefined {
  const lines = text.split("\n").filter((l) => l.startsWith("Udp:"));
  if (lines.length < 2) return undefined;
  const names = lines[0].trim().split(/\s+/);
  const values = lines[1].trim().split(/\s+/);
  const i = names.indexOf("RcvbufErrors");
  if (i < 1 || i >= values.length) return undefined;
  const value = Number(values[i]);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Datagrams the whole host has dropped for full UDP receive buffers so far (Linux), or
 * undefined. The difference over a run shows drops outside the emulated link: a tunnel end or
 * the relay not reading its socket fast enough (Deno cannot enlarge its UDP buffers beyond
 * the kernel's default, Go kcptun sets 4 MiB with `--sockbuf`).
 */
export function readUdpReceiveErrors(): number | undefined {
  try {
    return parseUdpReceiveErrors(Deno.readTextFileSync("/proc/net/snmp"));
  } catch {
    return undefined;
  }
}
