// Tests for lib/log.ts (kept beside the CLI tests, its only caller besides the tunnel).
import assert from "node:assert/strict";
import { logger, setupLogging, STREAM_CATEGORY } from "../../lib/log.ts";

async function withLogFile(
  body: (file: string) => Promise<void>,
): Promise<void> {
  const file = await Deno.makeTempFile({ suffix: ".log" });
  try {
    await body(file);
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("logs go to the file, appended, one formatted line per record", async () => {
  await withLogFile(async (file) => {
    await Deno.writeTextFile(file, "previous line\n");
    const dispose = await setupLogging({ file });
    logger("client").info("listening on {addr}", { addr: "127.0.0.1:12948" });
    logger("client").warn("slow");
    await dispose();
    const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
    assert.equal(lines.length, 3);
    assert.equal(lines[0], "previous line");
    assert.match(
      lines[1],
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[INF\] kcptun\.client: listening on 127\.0\.0\.1:12948$/,
    );
    assert.match(lines[2], / \[WRN\] kcptun\.client: slow$/);
  });
});

Deno.test("quiet suppresses only the stream category", async () => {
  await withLogFile(async (file) => {
    const dispose = await setupLogging({ file, quiet: true });
    logger(STREAM_CATEGORY).info("stream opened");
    logger(STREAM_CATEGORY).warn("stream error");
    logger("server").info("accepted");
    await dispose();
    const text = await Deno.readTextFile(file);
    assert.doesNotMatch(text, /stream opened|stream error/);
    assert.match(text, /kcptun\.server: accepted/);
  });
  await withLogFile(async (file) => {
    const dispose = await setupLogging({ file, quiet: false });
    logger(STREAM_CATEGORY).info("stream opened");
    await dispose();
    assert.match(await Deno.readTextFile(file), /\[INF\] kcptun\.stream: stream opened/);
  });
});

Deno.test("level filters records, and disabled levels never format", async () => {
  await withLogFile(async (file) => {
    const dispose = await setupLogging({ file });
    let formatted = 0;
    const log = logger("kcp");
    assert.equal(log.isEnabledFor("debug"), false);
    assert.equal(log.isEnabledFor("info"), true);
    log.debug((l) => {
      formatted++;
      return l`expensive ${"x"}`;
    });
    log.debug("lazy {value}", () => {
      formatted++;
      return { value: 1 };
    });
    assert.equal(formatted, 0);
    await dispose();
    assert.equal(await Deno.readTextFile(file), "");
  });
  await withLogFile(async (file) => {
    const dispose = await setupLogging({ file, level: "debug" });
    logger("kcp").debug("rto {rto}", { rto: 200 });
    await dispose();
    assert.match(await Deno.readTextFile(file), /\[DBG\] kcptun\.kcp: rto 200/);
  });
  await withLogFile(async (file) => {
    const dispose = await setupLogging({ file, level: "error" });
    logger("kcp").warn("dropped");
    logger("kcp").error("failed");
    await dispose();
    const text = await Deno.readTextFile(file);
    assert.doesNotMatch(text, /dropped/);
    assert.match(text, /\[ERR\] kcptun\.kcp: failed/);
  });
});

Deno.test("after dispose nothing is written; dispose twice is harmless", async () => {
  await withLogFile(async (file) => {
    const dispose = await setupLogging({ file });
    logger("x").info("one");
    await dispose();
    await dispose();
    logger("x").info("two");
    const text = await Deno.readTextFile(file);
    assert.match(text, /one/);
    assert.doesNotMatch(text, /two/);
  });
});

Deno.test("a second setup replaces the first", async () => {
  await withLogFile(async (first) => {
    await withLogFile(async (second) => {
      const disposeFirst = await setupLogging({ file: first });
      const disposeSecond = await setupLogging({ file: second });
      logger("x").info("hello");
      await disposeFirst(); // stale: closes its file, leaves the second setup active
      logger("x").info("still here");
      await disposeSecond();
      assert.equal(await Deno.readTextFile(first), "");
      assert.match(await Deno.readTextFile(second), /hello\n.*still here\n$/);
    });
  });
});

Deno.test("an unopenable log file throws an Error naming it", async () => {
  await assert.rejects(
    () => setupLogging({ file: "/nonexistent-kcptun-ts-dir/x.log" }),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /^Cannot open log file "\/nonexistent-kcptun-ts-dir\/x\.log": /);
      return true;
    },
  );
});

Deno.test("logger() puts categories under kcptun", () => {
  assert.deepEqual(logger().category, ["kcptun"]);
  assert.deepEqual(logger("smux", "session").category, ["kcptun", "smux", "session"]);
});
