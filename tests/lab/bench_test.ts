import assert from "node:assert/strict";
import {
  BENCH_PROFILES,
  BENCH_USAGE,
  DEFAULT_BENCH_SECONDS,
  parseBenchArgs,
} from "../../scripts/_bench/args.ts";
import { benchTable, benchTargets, cpuPerGb, goPeer, peakRss } from "../../scripts/_bench/table.ts";
import { goodputChart } from "../../scripts/_bench/chart.ts";
import { type BenchResult, keepsLogs, SLOW_TAIL_SECONDS } from "../../scripts/_bench/run.ts";

function result(over: Partial<BenchResult>): BenchResult {
  return {
    profile: "lossy-50m-40ms-2pct",
    loss: 0.02,
    linkBps: 50e6,
    direction: "download",
    impl: "ours",
    bytes: 50e6,
    seconds: 10,
    tailSeconds: 0.25,
    goodputBps: 40e6,
    steadyBytes: 30e6,
    verified: true,
    client: {
      cpuSeconds: 1,
      peakRssBytes: 60 * 1048576,
      peakAnonBytes: 30 * 1048576,
      steadyCpuSeconds: 0.5,
    },
    server: {
      cpuSeconds: 2,
      peakRssBytes: 70 * 1048576,
      peakAnonBytes: 40 * 1048576,
      steadyCpuSeconds: 1.5,
    },
    relay: { cpuSeconds: 1.5, peakRssBytes: 50 * 1048576, peakAnonBytes: 0, steadyCpuSeconds: 0 },
    retransPct: 12.34,
    hostDrops: 42,
    ...over,
  };
}

/** A Go run at 20 Mbit/s whose ends each used 1 s of CPU (0.5 s warm) and 10 MB (RSS, private). */
function goRun(): BenchResult {
  const end = {
    cpuSeconds: 1,
    peakRssBytes: 10 * 1048576,
    peakAnonBytes: 10 * 1048576,
    steadyCpuSeconds: 0.5,
  };
  return result({ impl: "go", goodputBps: 20e6, client: end, server: { ...end } });
}

Deno.test("bench args: defaults, --quick, filters and usage errors", () => {
  const d = parseBenchArgs([]);
  if ("help" in d) throw new Error("unexpected help");
  assert.deepEqual(d, {
    profiles: [...BENCH_PROFILES],
    directions: ["download", "upload"],
    impls: ["ours", "go"],
    seconds: DEFAULT_BENCH_SECONDS,
    outDir: "bench-results",
    seed: 1,
    repeat: 1,
  });
  assert.deepEqual(BENCH_PROFILES, [
    "loopback",
    "clean-100m-20ms",
    "lossy-50m-40ms-2pct",
    "jitter-10m-120ms-5pct",
    "bursty-20m-80ms-10pct",
  ]);
  const q = parseBenchArgs([
    "--quick",
    "--profile",
    "loopback",
    "--profile",
    "loss=1%",
    "--direction",
    "upload",
    "--impl",
    "go",
    "--out",
    "/tmp/x",
    "--seed",
    "9",
    "--repeat",
    "3",
  ]);
  assert.deepEqual(q, {
    profiles: ["loopback", "loss=1%"],
    directions: ["upload"],
    impls: ["go"],
    seconds: 4,
    outDir: "/tmp/x",
    seed: 9,
    repeat: 3,
  });
  assert.deepEqual(parseBenchArgs(["-h"]), { help: BENCH_USAGE });
  // the help text is a template: every placeholder is filled in
  assert.ok(!BENCH_USAGE.includes("${"), BENCH_USAGE);
  assert.match(BENCH_USAGE, /--repeat N .*\(1\.\.20\)/);
  const impls = (v: string) => {
    const a = parseBenchArgs(["--impl", v]);
    return "help" in a ? [] : a.impls;
  };
  assert.deepEqual(impls("mixed"), ["mixed"]);
  assert.deepEqual(impls("all"), ["ours", "go", "mixed"]);
  for (
    const [argv, message] of [
      [["--quick", "--seconds", "3"], "Options --quick and --seconds cannot both be given"],
      [["--seconds", "0"], 'Option --seconds must be a number 0.5..600, got "0"'],
      [
        ["--direction", "sideways"],
        'Option --direction must be download, upload or both, got "sideways"',
      ],
      [["--impl", "rust"], 'Option --impl must be ours, go, mixed, both or all, got "rust"'],
      [["--seed", "x"], 'Option --seed must be an integer 0..4294967295, got "x"'],
      [["--repeat", "0"], 'Option --repeat must be an integer 1..20, got "0"'],
      [["--repeat", "21"], 'Option --repeat must be an integer 1..20, got "21"'],
      [["--repeat", "2.5"], 'Option --repeat must be an integer 1..20, got "2.5"'],
      [
        ["--profile", "nowhere"],
        /^Option --profile: Cannot parse link profile: unknown profile "nowhere"/,
      ],
      [["--bogus"], /bogus/],
    ] as const
  ) {
    assert.throws(
      () => parseBenchArgs([...argv]),
      { name: "SyntaxError", message },
      argv.join(" "),
    );
  }
});

Deno.test("bench table: ratios on the rows of ours, failures and missing relays", () => {
  const ours = result({});
  const go = goRun();
  assert.equal(cpuPerGb(ours), 60); // 3 s for 0.05 GB
  assert.equal(peakRss(ours), 130 * 1048576);
  const loop = result({
    profile: "loopback",
    loss: 0,
    linkBps: 0,
    relay: undefined,
    retransPct: undefined,
    hostDrops: undefined,
    tailSeconds: NaN,
    verified: false,
    error: "Stalled | really",
  });
  assert.equal(
    benchTable([ours, go, loop]),
    "| profile             | direction | impl | goodput Mbit/s | of link | CPU s/GB (c+s) | warm CPU s/GB | peak RSS MB (c+s) | private MB | resent | tail s | host drops | relay CPU | ours/Go goodput | ours/Go CPU/GB | ours/Go warm CPU/GB | ours/Go RSS | ours/Go private | data                     |\n" +
      "|---------------------|-----------|------|---------------:|--------:|---------------:|--------------:|------------------:|-----------:|-------:|-------:|-----------:|----------:|----------------:|---------------:|--------------------:|------------:|----------------:|--------------------------|\n" +
      "| lossy-50m-40ms-2pct | download  | ours |           40.0 |    80 % |           60.0 |          66.7 |               130 |         70 | 12.3 % |    0.3 |         42 |      15 % |           2.00× |          1.50× |               2.00× |       6.50× |           3.50× | ok                       |\n" +
      "| lossy-50m-40ms-2pct | download  | go   |           20.0 |    40 % |           40.0 |          33.3 |                20 |         20 | 12.3 % |    0.3 |         42 |      15 % |                 |                |                     |             |                 | ok                       |\n" +
      "| loopback            | download  | ours |           40.0 |     n/a |           60.0 |          66.7 |               130 |         70 |    n/a |    n/a |        n/a |       n/a |                 |                |                     |             |                 | FAILED: Stalled / really |\n",
  );
});

Deno.test("bench table: a mixed row (our sender, Go's receiver) gets its ratios to Go too", () => {
  const go = goRun();
  const mixed = result({ impl: "mixed", goodputBps: 30e6 });
  const row = benchTable([go, mixed]).split("\n").find((l) => l.includes("| mixed |"));
  const cells = row?.split("|").map((c) => c.trim());
  // goodput 30/20, CPU per the same 0.05 GB 3 s/2 s, warm CPU per the same 0.03 GB 2 s/1 s,
  // RSS 130/20 MB, private 70/20 MB
  assert.deepEqual(cells?.slice(14, 19), ["1.50×", "1.50×", "2.00×", "6.50×", "3.50×"]);
});

Deno.test("bench targets: each target checked on the pairs of the same run", () => {
  const rows = [
    result({ goodputBps: 36e6 }),
    result({
      impl: "go",
      goodputBps: 20e6,
      client: {
        cpuSeconds: 3,
        peakRssBytes: 200 * 1048576,
        peakAnonBytes: 60 * 1048576,
        steadyCpuSeconds: 2,
      },
      server: { cpuSeconds: 3, peakRssBytes: 1, peakAnonBytes: 10 * 1048576, steadyCpuSeconds: 2 },
    }),
    result({ direction: "upload", goodputBps: 20e6 }),
    result({ direction: "upload", impl: "go", goodputBps: 20e6 }),
    // mixed rows are shown in the table but the targets compare ours with Go only
    result({ impl: "mixed", goodputBps: 1e6 }),
    result({ profile: "clean-100m-20ms", loss: 0, linkBps: 100e6, goodputBps: 90e6 }),
    result({
      profile: "clean-100m-20ms",
      loss: 0,
      linkBps: 100e6,
      goodputBps: 60e6,
      direction: "upload",
    }),
  ];
  assert.equal(
    benchTargets(rows),
    "- goodput ≥ 1.5× Go on lossy profiles: FAIL (1/2) — lossy-50m-40ms-2pct download 1.80×, lossy-50m-40ms-2pct upload 1.00× ✗\n" +
      "- ≥ 85 % of the link on the clean profile: FAIL (1/2) — clean-100m-20ms download 90 %, clean-100m-20ms upload 60 % ✗\n" +
      "- CPU per GB ≤ 0.6× Go: FAIL (1/2) — lossy-50m-40ms-2pct download 0.50×, lossy-50m-40ms-2pct upload 1.00× ✗\n" +
      "- peak RSS ≤ Go: PASS (2/2) — lossy-50m-40ms-2pct download 0.65×, lossy-50m-40ms-2pct upload 1.00×\n" +
      "- (reference) warm CPU per GB, after the first third of the run, ≤ 0.6× Go: FAIL (1/2) — lossy-50m-40ms-2pct download 0.50×, lossy-50m-40ms-2pct upload 1.00× ✗\n" +
      "- (reference) peak private memory (RssAnon) ≤ Go: PASS (2/2) — lossy-50m-40ms-2pct download 1.00×, lossy-50m-40ms-2pct upload 1.00×\n",
  );
  assert.equal(
    benchTargets([result({})]),
    "- goodput ≥ 1.5× Go on lossy profiles: not measured in this run\n" +
      "- ≥ 85 % of the link on the clean profile: not measured in this run\n" +
      "- CPU per GB ≤ 0.6× Go: not measured in this run\n" +
      "- peak RSS ≤ Go: not measured in this run\n" +
      "- (reference) warm CPU per GB, after the first third of the run, ≤ 0.6× Go: not measured in this run\n" +
      "- (reference) peak private memory (RssAnon) ≤ Go: not measured in this run\n",
  );
});

Deno.test("bench chart: a well-formed SVG with one series per impl × direction", () => {
  const svg = goodputChart([
    result({}),
    result({ impl: "go", goodputBps: 20e6 }),
    result({ profile: "bursty-20m-80ms-10pct", loss: 0.1, linkBps: 20e6, goodputBps: 12e6 }),
    result({
      profile: "bursty-20m-80ms-10pct",
      loss: 0.1,
      linkBps: 20e6,
      goodputBps: 5e6,
      impl: "go",
    }),
    result({ direction: "upload", goodputBps: 30e6, verified: false }),
    result({ profile: "loopback", loss: 0, linkBps: 0, goodputBps: 300e6 }),
  ]);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="760" height="440"'));
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  assert.equal(svg.match(/<path /g)?.length, 3); // ours download, go download, ours upload
  assert.equal(svg.match(/<circle /g)?.length, 4);
  assert.equal(svg.match(/<rect x=/g)?.length, 1); // the upload marker
  assert.ok(svg.includes('fill="white" stroke="#1f77b4"')); // a failed run is hollow
  assert.ok(svg.includes("1 run(s) on unlimited links not shown"));
  assert.ok(svg.includes(">lossy-50m-40ms-2pct link</text>"));
  assert.ok(svg.includes(">bursty-20m-80ms-10pct link</text>"));
  assert.ok(
    svg.includes(">kcptun-ts download</text>") && svg.includes(">Go kcptun download</text>"),
  );
  // y axis up to 50 Mbit/s in steps of 10, x axis to 10 % in steps of 2
  assert.ok(
    svg.includes('text-anchor="end">50</text>') && !svg.includes('text-anchor="end">60</text>'),
  );
  assert.ok(svg.includes('text-anchor="middle">10</text>'));
  // every tag is closed or self-closing
  const opened = (svg.match(/<(svg|text|circle|rect)[ >]/g) ?? []).length;
  const closed = (svg.match(/<\/(svg|text|circle|rect)>|\/>/g) ?? []).length;
  assert.ok(closed >= opened);
  assert.ok(!svg.includes("NaN"));
  assert.ok(!goodputChart([]).includes("NaN"));
});

Deno.test("bench logs: kept for a failed run or a slow tail only", () => {
  assert.equal(SLOW_TAIL_SECONDS, 5);
  assert.equal(keepsLogs(result({ tailSeconds: 0.7 })), false);
  assert.equal(keepsLogs(result({ tailSeconds: 5 })), false);
  assert.equal(keepsLogs(result({ tailSeconds: 17.6 })), true);
  assert.equal(keepsLogs(result({ verified: false, error: "Stalled" })), true);
  // nothing sent (tail unknown) but verified: a perfect empty run, nothing to keep
  assert.equal(keepsLogs(result({ tailSeconds: NaN })), false);
});

Deno.test("bench rounds: each ratio within its round, targets on the median over the rounds", () => {
  // three rounds of the 2 % download; round 1's Go run is much slower than the others
  const go = [20e6, 10e6, 25e6].map((goodputBps, round) =>
    result({ impl: "go", round, goodputBps })
  );
  const ours = [40e6, 36e6, 30e6].map((goodputBps, round) => result({ round, goodputBps }));
  const rows = [ours[0], go[0], ours[1], go[1], ours[2], go[2]];
  // a run is paired with the Go run of its own round only
  assert.equal(goPeer(rows, ours[1]), go[1]);
  assert.equal(goPeer([ours[1], go[0], go[2]], ours[1]), undefined);
  // per-round ratios 2.0, 3.6, 1.2: the median is 2.0; the ratio of the medians would be 1.8
  const targets = benchTargets(rows).split("\n");
  assert.equal(
    targets[0],
    "- goodput ≥ 1.5× Go on lossy profiles: PASS (1/1) — lossy-50m-40ms-2pct download 2.00× " +
      "(median of 3)",
  );
  // the table keeps one row per run and names the later rounds
  const impls = benchTable(rows).split("\n").slice(2, -1).map((l) => l.split("|")[3].trim());
  assert.deepEqual(impls, ["ours", "go", "ours #2", "go #2", "ours #3", "go #3"]);
});
