import assert from "node:assert/strict";
import { bestVariant, suggestSettings, type VariantSettings } from "../../lib/lab/suggest.ts";
import { LINK_PROFILES } from "../../lib/link/link.ts";
import { ceilingFor, run } from "./_runs.ts";

const DEFAULT_SETTINGS: VariantSettings = {
  mode: "fast",
  dataShards: 10,
  parityShards: 3,
  nocomp: false,
};
const settings = (over: Partial<VariantSettings> = {}) => ({
  defaults: { ...DEFAULT_SETTINGS, ...over },
});
const flagsOf = (s: { flags: string[] }[]) => s.map((x) => x.flags.join(" "));

Deno.test("bestVariant: highest mean of ours, failed runs count as 0, Go ignored", () => {
  const runs = [
    run({ variant: "defaults", goodputBps: 20e6 }),
    run({ variant: "defaults", direction: "upload", goodputBps: 10e6 }),
    run({ variant: "defaults", impl: "go", goodputBps: 90e6 }),
    run({ variant: "--mode fast3", goodputBps: 30e6 }),
    run({ variant: "--mode fast3", direction: "upload", goodputBps: 12e6 }),
    run({ variant: "--ds 0 --ps 0", goodputBps: 30e6 }),
    // corrupt data counts as nothing delivered: mean (30 + 0) / 2 = 15
    run({ variant: "--ds 0 --ps 0", direction: "upload", goodputBps: 80e6, verified: false }),
  ];
  assert.deepEqual(bestVariant(runs), {
    variant: "--mode fast3",
    meanBps: 21e6,
    baselineBps: 15e6,
  });
  // ties go to the earlier variant
  assert.equal(
    bestVariant([run({ variant: "a" }), run({ variant: "b" })])?.variant,
    "a",
  );
  assert.equal(bestVariant([run({ verified: false })]), undefined);
  assert.equal(bestVariant([run({ impl: "go" })]), undefined);
  assert.equal(bestVariant([]), undefined);
});

Deno.test("suggest: a window below the BDP gets windows of 1.5 × BDP in steps of 64", () => {
  const upload = run({
    direction: "upload",
    // client sndwnd 128 on 50 Mbit/s × 40 ms: 128 segments < 143 needed
    ceiling: ceilingFor(LINK_PROFILES["lossy-50m-40ms-2pct"], 128, 1024),
    goodputBps: 30e6,
  });
  const s = suggestSettings([run({ goodputBps: 30e6 }), upload], settings());
  assert.equal(s[0].flags.join(" "), "--sndwnd 256 --rcvwnd 256"); // ceil(143 × 1.5) → 256
  assert.equal(
    s[0].finding,
    "The window limits upload to 33.2 Mbit/s: 128 segments × 1298 B per 40 ms RTT, while the " +
      "link carries 37.0 Mbit/s (143 segments in flight)",
  );
});

Deno.test("suggest: queue overrun gets a send window of BDP + half the queue", () => {
  const r = run({
    goodputBps: 30e6,
    link: { sent: 10_000, lost: 200, queueDrops: 500 }, // 5 % tail drops
  });
  const s = suggestSettings([r], settings());
  // BDP 143 + floor(312500 / 1350) / 2 = 143 + 115.5 → 288 in steps of 32
  assert.deepEqual(flagsOf(s), ["--sndwnd 288", "--ds 10 --ps 1"]);
  assert.equal(
    s[0].finding,
    "The link's queue dropped 5.0 % of the download packets: 512 segments in flight exceed " +
      "the bandwidth-delay product (143) plus the queue (231)",
  );
  // under 1 % is noise
  const quiet = suggestSettings([
    run({ goodputBps: 30e6, link: { sent: 10_000, lost: 200, queueDrops: 99 } }),
  ], settings());
  assert.ok(!flagsOf(quiet).includes("--sndwnd 288"));
});

Deno.test("suggest: FEC in proportion to the loss", () => {
  const clean = ceilingFor(LINK_PROFILES["clean-100m-20ms"], 1024, 512);
  assert.deepEqual(
    flagsOf(suggestSettings([run({ ceiling: clean, goodputBps: 70e6 })], settings())),
    ["--ds 0 --ps 0"],
  );
  const noFec = ceilingFor(LINK_PROFILES["lossy-50m-40ms-2pct"], 1024, 512, [0, 0]);
  assert.deepEqual(
    flagsOf(
      suggestSettings(
        [run({ ceiling: noFec, goodputBps: 40e6 })],
        settings({ dataShards: 0, parityShards: 0 }),
      ),
    ),
    ["--ds 10 --ps 3"],
  );
  // 23 % parity for 2 % loss: 3 × loss is enough → round(10 × 0.06 / 0.94) = 1
  assert.deepEqual(flagsOf(suggestSettings([run({ goodputBps: 30e6 })], settings())), [
    "--ds 10 --ps 1",
  ]);
  // not to an adaptive sender (kcptun-ts's), which already sends one parity packet per group
  // there; fewer configured shards would only cap what it may add for bursts
  const adaptive = ceilingFor(LINK_PROFILES["lossy-50m-40ms-2pct"], 1024, 512, [10, 3], true);
  assert.deepEqual(
    flagsOf(suggestSettings([run({ ceiling: adaptive, goodputBps: 38e6 })], settings())),
    [],
  );
  // 30 % loss is more than 23 % parity: 2 × loss → ceil(10 × 0.6 / 0.4) = 15
  const heavy = ceilingFor({ rateBps: 10e6, delayMs: 10, loss: 0.3 }, 1024, 512);
  const s = suggestSettings([
    run({ ceiling: heavy, goodputBps: 5e6, link: undefined, retransPct: 40 }),
  ], settings());
  assert.deepEqual(flagsOf(s), ["--ds 10 --ps 15"]);
  assert.equal(s[0].finding, "FEC parity (23 %) cannot cover 30 % loss");
});

Deno.test("suggest: slow recovery on a lossy link suggests --mode fast3 unless already fast", () => {
  const slow = run({ goodputBps: 10e6 }); // 27 % of 37 Mbit/s
  const s = suggestSettings([slow], settings());
  assert.deepEqual(flagsOf(s), ["--ds 10 --ps 1", "--mode fast3"]);
  assert.equal(
    s[1].finding,
    "download reached only 27 % of the ceiling on a lossy link with --mode fast",
  );
  assert.deepEqual(flagsOf(suggestSettings([slow], settings({ mode: "fast2" }))), [
    "--ds 10 --ps 1",
  ]);
});

Deno.test("suggest: resends far above the link's drops get a window that fits the link", () => {
  const s = suggestSettings([run({ goodputBps: 30e6, retransPct: 32 })], settings());
  assert.deepEqual(flagsOf(s), ["--ds 10 --ps 1", "--sndwnd 288"]);
  assert.equal(
    s[1].finding,
    "download: 32 % of segments were resent while the link dropped 2.0 %",
  );
  assert.match(s[1].advice, /^The extra resends are spurious/);
  const host = suggestSettings(
    [run({ goodputBps: 30e6, retransPct: 32, hostDrops: 4321 })],
    settings(),
  );
  assert.equal(
    host[1].finding,
    "download: 32 % of segments were resent while the link dropped 2.0 % and the host's full " +
      "UDP receive buffers dropped 4321 datagrams",
  );
  assert.equal(
    host[1].advice,
    "Bursts overflow the sockets' receive buffers (Deno cannot enlarge them, --sockbuf is " +
      "ignored); a smaller send window sends smaller bursts",
  );
  // within 2 × drops + 5 points: fine
  assert.deepEqual(
    flagsOf(suggestSettings([run({ goodputBps: 30e6, retransPct: 8 })], settings())),
    ["--ds 10 --ps 1"],
  );
  // the same flags from two findings are suggested once
  const both = suggestSettings([
    run({ goodputBps: 30e6, retransPct: 32, link: { sent: 10_000, lost: 200, queueDrops: 500 } }),
  ], settings());
  assert.deepEqual(flagsOf(both), ["--sndwnd 288", "--ds 10 --ps 1"]);
});

Deno.test("suggest: a CPU-bound run suggests --nocomp unless it is already set", () => {
  const loop = ceilingFor({}, 1024, 512);
  const busy = run({
    ceiling: loop,
    link: undefined,
    goodputBps: 50e6,
    cpu: { seconds: 3.9, parts: [{ name: "lab process", seconds: 3.9 }] },
  });
  const s = suggestSettings([busy], settings());
  assert.deepEqual(flagsOf(s), ["--nocomp"]);
  assert.equal(s[0].finding, "download ran CPU-bound (98 % of a core for lab process)");
  assert.deepEqual(flagsOf(suggestSettings([busy], settings({ nocomp: true }))), [""]);
  // a link-bound run at 95 % of a core is CPU-bound too
  const hot = run({
    goodputBps: 30e6,
    cpu: { seconds: 3.8, parts: [{ name: "lab process", seconds: 3.8 }] },
  });
  assert.ok(flagsOf(suggestSettings([hot], settings())).includes("--nocomp"));
});

Deno.test("suggest: flags a variant already ran are not suggested again; no runs, no advice", () => {
  const runs = [
    run({ goodputBps: 10e6 }),
    run({ variant: "--mode fast3", goodputBps: 12e6 }),
  ];
  const s = suggestSettings(runs, {
    "defaults": DEFAULT_SETTINGS,
    "--mode fast3": { ...DEFAULT_SETTINGS, mode: "fast3" },
  });
  assert.deepEqual(flagsOf(s), ["--ds 10 --ps 1"]);
  assert.deepEqual(suggestSettings([], {}), []);
  assert.deepEqual(suggestSettings([run({ impl: "go" })], settings()), []);
});

Deno.test("suggest: with rate control no --sndwnd advice (the window follows the BDP)", () => {
  const paced = ceilingFor(LINK_PROFILES["lossy-50m-40ms-2pct"], 1024, 512, [10, 3], true);
  const s = suggestSettings([
    run({
      ceiling: paced,
      goodputBps: 30e6,
      retransPct: 32,
      hostDrops: 10,
      link: { sent: 10_000, lost: 200, queueDrops: 500 },
    }),
  ], settings());
  // (and no --ps advice: its FEC is adaptive)
  assert.deepEqual(flagsOf(s), [""]);
  assert.match(
    s[0].advice,
    /kcptun-ts paces by the measured rate, so --sndwnd does not change it$/,
  );
});
