import assert from "node:assert/strict";
import {
  describeLink,
  explainCeiling,
  formatLabReport,
  formatPercent,
  formatProgress,
  formatRate,
} from "../../lib/lab/report.ts";
import { LINK_PROFILES } from "../../lib/link/link.ts";
import type { LabReport } from "../../lib/lab/types.ts";
import { ceilingFor, run } from "./_runs.ts";

const LOSSY = LINK_PROFILES["lossy-50m-40ms-2pct"];

function sampleReport(): LabReport {
  return {
    profileLabel: "lossy-50m-40ms-2pct",
    up: LOSSY,
    down: LOSSY,
    seed: 1,
    seconds: 4,
    runs: [
      run({ rtt: { p50: 52, p99: 71.4, samples: 40 }, hostDrops: 17 }),
      run({
        impl: "go",
        goodputBps: 16e6,
        retransPct: 24.3,
        fecRecovered: 2021,
        cpu: {
          seconds: 1.5,
          parts: [
            { name: "kcptun-client", seconds: 0.5 },
            { name: "kcptun-server", seconds: 0.6 },
            { name: "lab process", seconds: 0.4 },
          ],
        },
      }),
      run({
        direction: "upload",
        ceiling: ceilingFor(LOSSY, 128, 1024),
        goodputBps: 13.9e6,
        verified: false,
        error: "Stalled: nothing delivered for 20 s",
      }),
      run({ variant: "--mode fast3", goodputBps: 30e6 }),
    ],
    best: { variant: "--mode fast3", meanBps: 30e6, baselineBps: 10e6 },
    suggestions: [
      {
        finding: "The link loses nothing",
        advice: "Turn FEC off",
        flags: ["--ds", "0", "--ps", "0"],
      },
      { finding: "x", advice: "y", flags: [] },
    ],
    notes: ["Stopped early: 4 of 6 runs ran, the last one cut short."],
    aborted: true,
  };
}

Deno.test("report: the whole text of a report with ours, go, a failure, two variants", () => {
  const expected = [
    "Link lossy-50m-40ms-2pct: 50.0 Mbit/s, 20 ms one way, 2.0 % loss, each way. Seed 1, 4 s per run.",
    "",
    "| settings     | impl | direction |     goodput |              ceiling | of ceiling | RTT p50 / p99 | resent | host drops | FEC rebuilt | CPU s/GB | data   |",
    "|--------------|------|-----------|------------:|---------------------:|-----------:|--------------:|-------:|-----------:|------------:|---------:|--------|",
    "| defaults     | ours | download  | 20.0 Mbit/s |   37.0 Mbit/s (link) |       54 % |    52 / 71 ms |  1.0 % |         17 |         150 |      100 | ok     |",
    "| defaults     | go   | download  | 16.0 Mbit/s |   37.0 Mbit/s (link) |       43 % |           n/a |   24 % |        n/a |        2021 |      150 | ok     |",
    "| defaults     | ours | upload    | 13.9 Mbit/s | 33.2 Mbit/s (window) |       42 % |           n/a |  1.0 % |        n/a |         150 |      100 | FAILED |",
    "| --mode fast3 | ours | download  | 30.0 Mbit/s |   37.0 Mbit/s (link) |       81 % |           n/a |  1.0 % |        n/a |         150 |      100 | ok     |",
    "",
    "Ceilings:",
    "  defaults, download, ours: link 50.0 Mbit/s × 74 % for data (mss 1298 of 1350 B, FEC on, 2.0 % loss) = 37.0 Mbit/s; window 512 × 1298 B / 40 ms RTT = 133 Mbit/s → limited by the link",
    "  defaults, download, go: link 50.0 Mbit/s × 74 % for data (mss 1298 of 1350 B, FEC on, 2.0 % loss) = 37.0 Mbit/s; window 512 × 1298 B / 40 ms RTT = 133 Mbit/s → limited by the link",
    "  defaults, upload, ours: link 50.0 Mbit/s × 74 % for data (mss 1298 of 1350 B, FEC on, 2.0 % loss) = 37.0 Mbit/s; window 128 × 1298 B / 40 ms RTT = 33.2 Mbit/s → limited by the window",
    "  --mode fast3, download, ours: link 50.0 Mbit/s × 74 % for data (mss 1298 of 1350 B, FEC on, 2.0 % loss) = 37.0 Mbit/s; window 512 × 1298 B / 40 ms RTT = 133 Mbit/s → limited by the link",
    "",
    "ours upload (defaults) failed: Stalled: nothing delivered for 20 s",
    "",
    "CPU s/GB counts every process of the run, per GB delivered: for ours the lab process (both tunnel ends, the emulated link, the traffic and its hashing, in one thread); for go kcptun-client + kcptun-server + the lab process (link, traffic).",
    "RTT is KCP's smoothed RTT on the sending end (n/a where the tunnel does not expose it). Host drops are datagrams the kernel dropped from full UDP receive buffers during the run: losses outside the emulated link.",
    "",
    "Ours / Go:",
    "  download (defaults): goodput 1.25×, CPU per GB 0.67×",
    "",
    "Best settings on this link: --mode fast3 (30.0 Mbit/s mean, 3.00× the first settings).",
    "",
    "Suggestions:",
    "  1. The link loses nothing.",
    "     Turn FEC off.",
    '     Try: --try "--ds 0 --ps 0"',
    "  2. x.",
    "     y.",
    "",
    "Note: Stopped early: 4 of 6 runs ran, the last one cut short.",
  ].join("\n") + "\n";
  assert.equal(formatLabReport(sampleReport()), expected);
});

Deno.test("report: one variant asks for --try; no Go, no ratio; bytes instead of seconds", () => {
  const text = formatLabReport({
    ...sampleReport(),
    seconds: undefined,
    bytes: 300_000,
    runs: [run()],
    best: { variant: "defaults", meanBps: 20e6, baselineBps: 20e6 },
    suggestions: [],
    notes: [],
    aborted: false,
  });
  assert.ok(text.includes("Seed 1, 300 kB per run."));
  assert.ok(text.includes(
    'Only one setting ran (defaults, 20.0 Mbit/s mean); add --try "FLAGS" to compare others.',
  ));
  assert.ok(!text.includes("Ours / Go"));
  assert.ok(!text.includes("Suggestions"));
  assert.ok(text.includes("in one thread)."));
});

Deno.test("report: asymmetric links are described per direction", () => {
  const text = formatLabReport({ ...sampleReport(), up: {}, runs: [], best: undefined });
  assert.ok(text.startsWith(
    "Link lossy-50m-40ms-2pct: up no rate limit, no delay, no loss; down 50.0 Mbit/s, 20 ms " +
      "one way, 2.0 % loss. Seed 1, 4 s per run.\n",
  ));
});

Deno.test("report: rates, percentages, links and ceilings in words", () => {
  assert.equal(formatRate(830_400), "830 kbit/s");
  assert.equal(formatRate(41_520_000), "41.5 Mbit/s");
  assert.equal(formatRate(150e6), "150 Mbit/s");
  assert.equal(formatRate(1.25e9), "1.25 Gbit/s");
  assert.equal(formatRate(Infinity), "unlimited");
  assert.equal(formatPercent(0.0234), "2.3 %");
  assert.equal(formatPercent(0.5), "50 %");
  assert.equal(
    describeLink(LINK_PROFILES["bursty-20m-80ms-10pct"]),
    "20.0 Mbit/s, 40 ms one way, 10 % loss in bursts (mean bad spell 3.3 packets)",
  );
  assert.equal(
    describeLink(LINK_PROFILES["chaos-10m-60ms"]),
    "10.0 Mbit/s, 30 ms ± 5 ms one way, 5.0 % loss, 5.0 % reordered, 2.0 % duplicated",
  );
  assert.equal(
    describeLink({ rateBps: 1e6, queueBytes: 65536 }),
    "1.0 Mbit/s, no delay, no loss, queue 66 kB",
  );
  assert.equal(
    explainCeiling(ceilingFor({}, 1024, 512)),
    "link unlimited; window 512 segments (no delay: no limit) → limited by the host (CPU, sockets)",
  );
  assert.equal(
    explainCeiling(ceilingFor(LINK_PROFILES["clean-100m-20ms"], 128, 1024, [0, 0])),
    "link 100 Mbit/s × 97 % for data (mss 1306 of 1350 B, FEC off, 0.0 % loss) = 96.7 Mbit/s; " +
      "window 128 × 1306 B / 20 ms RTT = 66.9 Mbit/s → limited by the window",
  );
});

Deno.test("report: a kcptun-ts ceiling names rate control and adaptive FEC", () => {
  assert.equal(
    explainCeiling(ceilingFor(LINK_PROFILES["clean-100m-20ms"], 128, 1024, [10, 3], true)),
    "link 100 Mbit/s × 97 % for data (mss 1298 of 1342 B, no parity in a bulk transfer (adaptive), " +
      "0.0 % loss) = 96.7 Mbit/s; window 1024 (rcvwnd; rate control sizes the send window) × " +
      "1298 B / 20 ms RTT = 532 Mbit/s → limited by the link",
  );
});

Deno.test("report: progress lines with and without RTT, resends and a ceiling", () => {
  const base = {
    index: 3,
    total: 4,
    variant: "--mode fast3",
    impl: "go" as const,
    direction: "upload" as const,
    elapsedMs: 12_345,
    bytes: 1_234_567_890,
    bps: 980e6,
    ceilingBps: Infinity,
    done: true,
  };
  assert.equal(
    formatProgress(base),
    "[3/4] go upload (--mode fast3)  12.3 s  1.23 GB  980 Mbit/s  done",
  );
  assert.equal(
    formatProgress({
      ...base,
      ceilingBps: 1960e6,
      srttMs: 1.4,
      retransPct: 0.04,
      done: false,
      bytes: 999,
    }),
    "[3/4] go upload (--mode fast3)  12.3 s  999 B  980 Mbit/s  50 % of ceiling  srtt 1 ms  resent 0.0 %",
  );
});
