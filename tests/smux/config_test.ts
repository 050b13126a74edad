import assert from "node:assert/strict";
import { resolveSmuxConfig, SMUX_DEFAULTS } from "../../lib/smux/config.ts";

Deno.test("resolveSmuxConfig: defaults are smux's DefaultConfig with kcptun's buffers", () => {
  assert.deepEqual(resolveSmuxConfig(), {
    version: 1,
    keepAliveInterval: 10000,
    keepAliveTimeout: 30000,
    maxFrameSize: 32768,
    maxReceiveBuffer: 4194304,
    maxStreamBuffer: 2097152,
  });
  assert.deepEqual(resolveSmuxConfig({}), { ...SMUX_DEFAULTS });
  const latest = resolveSmuxConfig({
    version: 2,
    maxFrameSize: 8192,
    keepAliveInterval: undefined,
  });
  assert.equal(latest.version, 2);
  assert.equal(latest.maxFrameSize, 8192);
  assert.equal(latest.keepAliveInterval, 10000);
});

Deno.test("resolveSmuxConfig: returns a new object and keeps valid edge values", () => {
  const opts = { maxFrameSize: 65535, maxStreamBuffer: 1, maxReceiveBuffer: 1 };
  const cfg = resolveSmuxConfig(opts);
  assert.notEqual(cfg, opts);
  assert.equal(cfg.maxFrameSize, 65535);
  assert.equal(
    resolveSmuxConfig({ keepAliveInterval: 5, keepAliveTimeout: 5 }).keepAliveTimeout,
    5,
  );
});

Deno.test("resolveSmuxConfig: rejects what smux VerifyConfig rejects, naming the value", () => {
  const bad: [Record<string, unknown>, RegExp, ErrorConstructor][] = [
    [{ version: 3 }, /^Smux version must be 1 or 2, got 3$/, RangeError],
    [{ version: 0 }, /version must be 1 or 2, got 0/, RangeError],
    [
      { keepAliveInterval: 0 },
      /^Smux keepAliveInterval must be an integer in 1\.\.\d+, got 0$/,
      RangeError,
    ],
    [
      { keepAliveInterval: 40000 },
      /^Smux keepAliveTimeout must be at least keepAliveInterval \(40000\), got 30000$/,
      RangeError,
    ],
    [{ keepAliveTimeout: 2 ** 31 }, /keepAliveTimeout must be an integer/, RangeError],
    [
      { maxFrameSize: 0 },
      /^Smux maxFrameSize must be an integer in 1\.\.65535, got 0$/,
      RangeError,
    ],
    [
      { maxFrameSize: 65536 },
      /maxFrameSize must be an integer in 1\.\.65535, got 65536/,
      RangeError,
    ],
    [{ maxFrameSize: 1.5 }, /got 1\.5/, RangeError],
    [{ maxFrameSize: NaN }, /got NaN/, RangeError],
    [{ maxReceiveBuffer: -1 }, /maxReceiveBuffer must be an integer/, RangeError],
    [{ maxStreamBuffer: 0 }, /maxStreamBuffer must be an integer/, RangeError],
    [
      { maxStreamBuffer: 5_000_000 },
      /^Smux maxStreamBuffer must not exceed maxReceiveBuffer \(4194304\), got 5000000$/,
      RangeError,
    ],
    [{ maxFrameSize: "8192" }, /^Smux maxFrameSize must be a number, got string$/, TypeError],
  ];
  for (const [opts, msg, type] of bad) {
    assert.throws(
      () => resolveSmuxConfig(opts),
      (e: Error) => e instanceof type && msg.test(e.message),
    );
  }
});
