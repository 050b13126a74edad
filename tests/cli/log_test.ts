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
    log.debug("lazy {value}", () => {
      formatted++;
      return { value: 1 };
    });
    assert.equal(formatted, 0);
    log.info("eager {value}", () => {
      formatted++;
      return { value: 2 };
    });
    assert.equal(formatted, 1);
    await dispose();
    assert.match(await Deno.readTextFile(file), /^[^\n]* \[INF\] kcptun\.kcp: eager 2\n$/);
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

// 2026-11-22 02:11:13.004 in local time, whatever the machine's zone.
const PINNED = new Date(2026, 10, 22, 2, 11, 13, 4).getTime();

Deno.test("exact line format: local timestamp, level tag, dotted category", async () => {
  await withLogFile(async (file) => {
    const dispose = await setupLogging({ file, level: "debug", clock: () => PINNED });
    logger("client").debug("d");
    logger("client").info("i");
    logger("smux", "session").warn("w");
    logger("client").warning("w2");
    logger().error("e");
    await dispose();
    assert.equal(
      await Deno.readTextFile(file),
      "2026-11-22 02:11:13.004 [DBG] kcptun.client: d\n" +
        "2026-11-22 02:11:13.004 [INF] kcptun.client: i\n" +
        "2026-11-22 02:11:13.004 [WRN] kcptun.smux.session: w\n" +
        "2026-11-22 02:11:13.004 [WRN] kcptun.client: w2\n" +
        "2026-11-22 02:11:13.004 [ERR] kcptun: e\n",
    );
  });
});

Deno.test("placeholders: strings bare, other values inspected, braces escaped", async () => {
  await withLogFile(async (file) => {
    const dispose = await setupLogging({ file, clock: () => PINNED });
    const log = logger("t");
    log.info("{s}|{n}|{b}|{o}|{a}|{u}|{missing}|{{lit}}", {
      s: "text",
      n: 42,
      b: true,
      o: { k: "v" },
      a: [1, 2],
      u: undefined,
    });
    log.info("no props keeps {this} and {{ as written");
    await dispose();
    const lines = (await Deno.readTextFile(file)).split("\n");
    assert.equal(
      lines[0].slice(lines[0].indexOf(": ") + 2),
      'text|42|true|{ k: "v" }|[ 1, 2 ]|undefined|{missing}|{lit}',
    );
    assert.equal(
      lines[1].slice(lines[1].indexOf(": ") + 2),
      "no props keeps {this} and {{ as written",
    );
  });
});

Deno.test("control characters are escaped: one record is one line", async () => {
  await withLogFile(async (file) => {
    const dispose = await setupLogging({ file, clock: () => PINNED });
    logger("t").info("a\nforged [ERR] line {v}", { v: "x\r\x1b[31my\tz" });
    await dispose();
    assert.equal(
      await Deno.readTextFile(file),
      "2026-11-22 02:11:13.004 [INF] kcptun.t: a\\nforged [ERR] line x\\r\\x1b[31my\tz\n",
    );
  });
});

Deno.test("quiet also silences sub-categories of stream, and loggers made before setup follow it", async () => {
  const early = logger(STREAM_CATEGORY, "detail");
  const other = logger("streamish");
  await withLogFile(async (file) => {
    const dispose = await setupLogging({ file, quiet: true });
    assert.equal(early.isEnabledFor("error"), false);
    early.error("hidden");
    other.info("shown");
    await dispose();
    const text = await Deno.readTextFile(file);
    assert.doesNotMatch(text, /hidden/);
    assert.match(text, /kcptun\.streamish: shown/);
  });
});

Deno.test("a failing sink or props callback never throws into the caller", async () => {
  await withLogFile(async (file) => {
    const dispose = await setupLogging({ file, clock: () => PINNED });
    logger("t").info("v={v}", () => {
      throw new Error("boom");
    });
    await dispose();
    assert.match(
      await Deno.readTextFile(file),
      /kcptun\.t: v=\{v\} \(properties failed: Error: boom/,
    );
  });
});

Deno.test({
  name: "a sink whose writes fail (/dev/full) drops the record without throwing",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dispose = await setupLogging({ file: "/dev/full" });
    try {
      assert.doesNotThrow(() => logger("t").error("disk full"));
    } finally {
      await dispose();
    }
  },
});

Deno.test("an unknown level is a RangeError naming it", async () => {
  await assert.rejects(
    () => setupLogging({ level: "verbose" as "info" }),
    new RangeError('Log level must be one of debug, info, warning, error, got "verbose"'),
  );
});
