import assert from "node:assert/strict";
import { hasCommand, spawnPeer } from "../../lib/lab/peer.ts";

Deno.test("peer: waits for the ready line, reports stats, stops with SIGTERM", async () => {
  const peer = await spawnPeer({
    command: "sh",
    args: ["-c", 'echo "starting"; echo "listening on 127.0.0.1:4242" >&2; exec sleep 30'],
    ready: /listening on \S+:\d+/,
  });
  assert.equal(peer.readyLine, "listening on 127.0.0.1:4242");
  assert.equal(peer.exited(), false);
  const stats = peer.stats();
  assert.ok(stats !== undefined && stats.cpuSeconds >= 0 && stats.peakRssBytes > 0);
  const log = await peer.stop();
  assert.ok(log.includes("starting") && log.includes("listening on"));
  assert.equal(peer.exited(), true);
  assert.equal(peer.stats(), undefined);
  assert.equal(await peer.stop(), log); // idempotent
});

Deno.test("peer: exiting before ready and never getting ready are errors with the output", async () => {
  await assert.rejects(
    spawnPeer({ command: "sh", args: ["-c", "echo bad flag >&2; exit 3"], ready: /ready/ }),
    { message: "sh exited: bad flag" },
  );
  await assert.rejects(
    spawnPeer({
      command: "sh",
      args: ["-c", "exec sleep 30"],
      ready: /ready/,
      readyTimeoutMs: 200,
    }),
    { message: "sh was not ready after 200 ms: (no output)" },
  );
});

Deno.test("peer: SIGKILL after the grace period when SIGTERM is ignored", async () => {
  const peer = await spawnPeer({
    command: "sh",
    args: ["-c", "trap '' TERM; echo up; while :; do sleep 1; done"],
    ready: /up/,
  });
  const t0 = performance.now();
  await peer.stop(300);
  assert.ok(performance.now() - t0 < 5000);
  assert.equal(peer.exited(), true);
});

Deno.test("peer: hasCommand", async () => {
  assert.equal(await hasCommand("sh"), true);
  assert.equal(await hasCommand("no-such-command-kcptun-lab"), false);
  assert.equal(await hasCommand("a; touch /tmp/kcptun-lab-injected"), false);
});
