/**
 * `bench` — kcptun-ts against Go kcptun, side by side on the same emulated links: every profile
 * × direction × implementation with default flags, each tunnel end and the link relay in its
 * own process, measured through `/proc`.
 *
 * ```sh
 * deno run -A scripts/bench.ts            # the full matrix (about 6 minutes)
 * deno run -A scripts/bench.ts --quick    # 4 s per run (about 3 minutes)
 * deno run -A scripts/bench.ts --profile lossy-50m-40ms-2pct --direction upload --impl ours
 * deno run -A scripts/bench.ts --impl all  # also our sender against Go's receiver ("mixed")
 * ```
 *
 * Prints a Markdown table and the targets of issue 4 and writes them, with the raw results as
 * JSON and an SVG chart of goodput against loss, to `bench-results/` (which it keeps out of git
 * with its own `.gitignore`). A run that fails or whose tail (the sender's last write to the
 * receiver's end of stream) exceeds 5 s keeps both ends' per-second SNMP logs and the peers'
 * last output lines in `bench-results/logs-<time>/<n>-<case>/`, to tell a stall from a slow
 * link afterwards. A thin shell over `scripts/_bench/`. Exit codes: 0 when every
 * run delivered its data intact, 1 otherwise, 2 on a usage error.
 *
 * @module
 */

import { BENCH_USAGE, type BenchArgs, type BenchImpl, parseBenchArgs } from "./_bench/args.ts";
import { type BenchCase, type BenchResult, runBenchCase } from "./_bench/run.ts";
import { benchTable, benchTargets } from "./_bench/table.ts";
import { goodputChart } from "./_bench/chart.ts";
import { hasCommand } from "../lib/lab/peer.ts";

const encoder = new TextEncoder();

function write(stream: { writeSync(b: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  for (let off = 0; off < bytes.length;) off += stream.writeSync(bytes.subarray(off));
}

async function versionOf(command: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return text.trim().split("\n")[0];
  } catch {
    return "unknown";
  }
}

function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-` +
    `${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** Runs the benchmark; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let args: BenchArgs | { help: string };
  try {
    args = parseBenchArgs(argv);
  } catch (e) {
    write(Deno.stderr, `bench: ${e instanceof Error ? e.message : String(e)}\n\n${BENCH_USAGE}\n`);
    return 2;
  }
  if ("help" in args) {
    write(Deno.stdout, args.help + "\n");
    return 0;
  }
  let impls: BenchImpl[] = args.impls;
  if (
    impls.some((i) => i !== "ours") &&
    !(await hasCommand("kcptun-client") && await hasCommand("kcptun-server"))
  ) {
    write(
      Deno.stderr,
      "bench: Go kcptun (kcptun-client, kcptun-server) is not installed; running ours only\n",
    );
    impls = impls.filter((i) => i === "ours");
    if (impls.length === 0) return 1;
  }
  Deno.mkdirSync(args.outDir, { recursive: true });
  try {
    Deno.writeTextFileSync(`${args.outDir}/.gitignore`, "*\n", { createNew: true });
  } catch {
    // already there
  }
  const started = new Date();
  const logs = `${args.outDir}/logs-${stamp(started)}`;
  const cases: BenchCase[] = [];
  for (const profile of args.profiles) {
    for (const direction of args.directions) {
      for (let round = 0; round < args.repeat; round++) {
        for (const impl of impls) {
          const name = `${cases.length + 1}-${profile}-${direction}-${impl}`.replaceAll("/", "_");
          cases.push({
            profile,
            direction,
            impl,
            seconds: args.seconds,
            seed: args.seed,
            round,
            logsDir: `${logs}/${name}`,
          });
        }
      }
    }
  }

  let stopping = false;
  const onSignal = () => {
    Deno.removeSignalListener("SIGINT", onSignal);
    stopping = true;
    write(Deno.stderr, "\nbench: stopping after this run\n");
  };
  Deno.addSignalListener("SIGINT", onSignal);
  const tty = Deno.stderr.isTerminal();
  const results: BenchResult[] = [];
  try {
    for (let i = 0; i < cases.length && !stopping; i++) {
      const c = cases[i];
      const round = args.repeat > 1 ? ` #${c.round + 1}` : "";
      const head = `[${i + 1}/${cases.length}] ${c.profile} ${c.direction} ${c.impl}${round}`;
      write(Deno.stderr, head + (tty ? "" : "\n"));
      const r = await runBenchCase(c, (bytes, seconds) => {
        if (!tty) return;
        write(
          Deno.stderr,
          `\r${head}  ${seconds.toFixed(0)} s  ${(bytes / 1e6).toFixed(1)} MB  ` +
            `${((bytes * 8) / seconds / 1e6).toFixed(1)} Mbit/s   `,
        );
      });
      write(
        Deno.stderr,
        `${tty ? "\r" + head : "  "}  ${(r.goodputBps / 1e6).toFixed(1)} Mbit/s` +
          `${r.verified ? "" : `  FAILED: ${r.error ?? "data differs"}`}` +
          `${
            r.logs === undefined ? "" : `  (tail ${r.tailSeconds.toFixed(1)} s; logs in ${r.logs})`
          }\n`,
      );
      results.push(r);
    }
  } finally {
    if (!stopping) Deno.removeSignalListener("SIGINT", onSignal);
  }

  const kcptun = impls.some((i) => i !== "ours")
    ? await versionOf("kcptun-client", ["-v"])
    : "not run";
  let load = "unknown";
  try {
    load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    // not Linux
  }
  const header = [
    `# kcptun-ts vs Go kcptun — ${started.toISOString()}`,
    "",
    `Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), Go peer: ${kcptun} (Debian kcptun ` +
    `20210922), ${navigator.hardwareConcurrency} CPUs. Default flags on both sides (ours smux ` +
    `v2, Go smux v1), ${args.seconds} s of random data per run, link seed ${args.seed}` +
    `${
      args.repeat > 1 ? `, ${args.repeat} rounds per case (targets: median of the rounds)` : ""
    }. ` +
    `Load average at the end: ${load} (other work on the host skews the figures).`,
    "Client, server and relay are separate processes; the traffic (and its sha-256) runs in " +
    "the bench process. CPU s/GB = client + server CPU during the transfer per GB delivered; " +
    "warm CPU s/GB = the same from a third of the way in (past ramp-up and V8's compiling); " +
    "peak RSS = VmHWM of client + server; private MB = their peak RssAnon (RSS without the " +
    "file-backed pages of the executables, which processes share); resent = RetransSegs / OutSegs of the sending end " +
    "(its --snmplog); tail s = the sender's last write to the receiver's end of stream (data " +
    "the tunnel had accepted but not yet delivered); host drops = datagrams the kernel dropped from full UDP receive buffers " +
    "during the transfer (losses outside the emulated link; every socket — ours, Go's and the " +
    "relay's — has kcptun's 4 MiB --sockbuf); relay CPU = the link " +
    "emulator's share of one core (near 100 % means the emulator, not the tunnel, limited the " +
    "run). loopback has no relay.",
    "",
  ].join("\n");
  const table = benchTable(results);
  const targets = benchTargets(results);
  const markdown = `${header}\n${table}\n## Targets (issue 4)\n\n${targets}`;
  write(Deno.stdout, "\n" + markdown);

  const base = `${args.outDir}/bench-${stamp(started)}`;
  Deno.writeTextFileSync(`${base}.md`, markdown);
  Deno.writeTextFileSync(`${base}.json`, JSON.stringify({ args, results }, null, 2) + "\n");
  const svg = `${args.outDir}/goodput-vs-loss-${stamp(started)}.svg`;
  Deno.writeTextFileSync(svg, goodputChart(results.filter((r) => (r.round ?? 0) === 0)));
  write(Deno.stdout, `\nWrote ${base}.md, ${base}.json and ${svg}\n`);
  return results.every((r) => r.verified) ? 0 : 1;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
