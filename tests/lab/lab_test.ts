import assert from "node:assert/strict";
import { isPerfectLink, runLab } from "../../lib/lab/lab.ts";
import { parseLabArgs } from "../../lib/lab/args.ts";
import { makePattern } from "../../lib/lab/traffic.ts";
import { hasCommand } from "../../lib/lab/peer.ts";
import { LINK_PROFILES } from "../../lib/link/link.ts";
import type { LabProgress, LabRun } from "../../lib/lab/types.ts";
import { sha256 } from "../_helpers/bytes.ts";

const SIZE = 300_000;
const EXPECTED_SHA = sha256(makePattern(1).subarray(0, SIZE));
const HAS_GO = await hasCommand("kcptun-client") && await hasCommand("kcptun-server");
if (!HAS_GO) {
  console.log("Go kcptun (kcptun-client, kcptun-server) is not installed: --compare tests skipped");
}

function args(argv: string[]) {
  const a = parseLabArgs(argv);
  if ("help" in a) throw new Error("unexpected help");
  return a;
}

function assertDelivered(run: LabRun, size: number): void {
  assert.equal(run.error, undefined, run.error);
  assert.equal(run.verified, true);
  assert.equal(run.bytes, size);
  assert.equal(run.sentBytes, size);
  assert.equal(run.sha256, EXPECTED_SHA);
  assert.ok(run.seconds > 0 && run.goodputBps > 0);
  assert.equal(run.goodputBps, (run.bytes * 8) / run.seconds);
  assert.ok(run.cpu.seconds >= 0);
  assert.ok(run.cpu.parts.every((p) => p.seconds >= 0));
  assert.ok(run.outSegs !== undefined && run.outSegs > 0); // the sender sent segments
  assert.ok(run.retransSegs !== undefined && run.retransSegs >= 0);
  assert.equal(run.retransPct, (run.retransSegs / run.outSegs) * 100);
  assert.ok(run.fecRecovered !== undefined && run.fecRecovered >= 0);
  if (run.rtt !== undefined) {
    assert.ok(run.rtt.samples > 0 && run.rtt.p50 > 0 && run.rtt.p99 >= run.rtt.p50);
  }
}

Deno.test("lab: ours over the perfect loopback link, 300 kB each way, delivered by hash", async () => {
  const events: LabProgress[] = [];
  const report = await runLab(
    {
      ...args(["--profile", "loopback", "--bytes", "300kb", "--direction", "both"]),
      progressIntervalMs: 10,
    },
    (p) => events.push(p),
  );
  assert.equal(report.aborted, false);
  assert.deepEqual(report.notes, [
    "The link is perfect: the tunnel ends talk directly, without the link emulator.",
  ]);
  assert.deepEqual(report.runs.map((r) => [r.impl, r.direction]), [
    ["ours", "download"],
    ["ours", "upload"],
  ]);
  for (const run of report.runs) {
    assertDelivered(run, SIZE);
    assert.equal(run.variant, "defaults");
    assert.equal(run.link, undefined); // no emulator in between
    assert.equal(run.ceiling.limitedBy, "host");
    assert.deepEqual(run.cpu.parts.map((p) => p.name), ["lab process"]);
  }
  // our rate control sizes the send window, so the receiver's rcvwnd caps it: 1024 both ways
  // (our client's default, kcptun's is 512; the server's), not the client's sndwnd 128
  assert.equal(report.runs[0].ceiling.rateControl, true);
  assert.equal(report.runs[0].ceiling.windowSegments, 1024);
  assert.equal(report.runs[1].ceiling.windowSegments, 1024);
  const done = events.filter((e) => e.done);
  assert.deepEqual(done.map((e) => [e.index, e.total, e.bytes]), [[1, 2, SIZE], [2, 2, SIZE]]);
  for (const e of done) assert.equal(e.bps, (e.bytes * 8000) / e.elapsedMs); // whole-run rate
  assert.ok(events.every((e) => e.bytes >= 0 && e.bytes <= SIZE && e.elapsedMs >= 0));
  assert.equal(report.best?.variant, "defaults");
  assert.ok(report.best!.meanBps > 0);
});

Deno.test("lab: through the link emulator with 5 % loss; the link and FEC counters move", async () => {
  const report = await runLab(args([
    "--profile",
    "loss=5%,delay=2ms",
    "--bytes",
    "300kb",
    "--seed",
    "1",
  ]));
  assert.equal(report.notes.length, 0);
  const [run] = report.runs;
  assertDelivered(run, SIZE);
  assert.ok(run.link !== undefined);
  assert.ok(run.link.sent > SIZE / 1350); // at least one datagram per segment
  assert.ok(run.link.lost > 0);
  assert.equal(run.link.queueDrops, 0); // no bottleneck
  assert.ok(run.fecRecovered! + run.retransSegs! > 0); // losses were repaired
  assert.equal(run.ceiling.loss, 0.05);
  assert.equal(run.ceiling.rttMs, 4);
});

Deno.test({
  name: "lab: --compare runs Go kcptun on the same link, charged per process",
  ignore: !HAS_GO,
  fn: async () => {
    const report = await runLab(args(["--profile", "loopback", "--bytes", "300kb", "--compare"]));
    assert.deepEqual(report.runs.map((r) => r.impl), ["ours", "go"]);
    for (const run of report.runs) assertDelivered(run, SIZE);
    const go = report.runs[1];
    assert.equal(go.ceiling.rateControl, false); // Go kcptun keeps kcp-go's fixed windows
    assert.deepEqual(go.cpu.parts.map((p) => p.name), [
      "kcptun-client",
      "kcptun-server",
      "lab process",
    ]);
    assert.equal(go.rtt, undefined); // Go does not expose KCP's RTT
  },
});

Deno.test("lab: --compare without Go says so and runs ours; a Go that fails is reported", async () => {
  const missing = await runLab({
    ...args(["--profile", "loopback", "--bytes", "100kb", "--compare"]),
    go: { client: "no-such-kcptun-client", server: "no-such-kcptun-server" },
  });
  assert.deepEqual(missing.runs.map((r) => r.impl), ["ours"]);
  assert.match(
    missing.notes[0],
    /^Go kcptun is not installed \(no-such-kcptun-client, no-such-kcptun-server not on PATH\): --compare skipped/,
  );
  // `false` exists and exits at once: the run fails with the reason, the lab goes on
  const broken = await runLab({
    ...args(["--profile", "loopback", "--bytes", "100kb", "--compare"]),
    go: { client: "false", server: "false" },
  });
  assert.deepEqual(broken.runs.map((r) => [r.impl, r.verified]), [["ours", true], ["go", false]]);
  assert.equal(broken.runs[1].error, "false exited: (no output)");
});

Deno.test("lab: an aborted lab runs nothing more; bad options are RangeErrors", async () => {
  const stop = new AbortController();
  stop.abort();
  const report = await runLab({ ...args(["--profile", "loopback"]), signal: stop.signal });
  assert.equal(report.aborted, true);
  assert.deepEqual(report.runs, []);
  assert.equal(report.notes.at(-1), "Stopped early: 0 of 1 runs ran, the last one cut short.");
  const base = args(["--profile", "loopback"]);
  await assert.rejects(runLab({ ...base, bytes: 5 }), {
    name: "RangeError",
    message: "Exactly one of seconds and bytes must be given, got 10 and 5",
  });
  await assert.rejects(runLab({ ...base, variants: [] }), {
    name: "RangeError",
    message: "At least one variant must be given",
  });
});

Deno.test("isPerfectLink", () => {
  assert.equal(isPerfectLink({}), true);
  assert.equal(isPerfectLink(LINK_PROFILES.loopback), true);
  assert.equal(isPerfectLink({ loss: 0, delayMs: 0 }), true);
  for (const name of Object.keys(LINK_PROFILES).filter((n) => n !== "loopback")) {
    assert.equal(isPerfectLink(LINK_PROFILES[name]), false, name);
  }
  assert.equal(isPerfectLink({ burst: { pGoodToBad: 0.1, pBadToGood: 0.5 } }), false);
});
