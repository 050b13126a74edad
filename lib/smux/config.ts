/**
 * smux session settings and their validation (kcptun-wire.md §7.5, §7.6; xtaci/smux
 * `mux.go` `VerifyConfig`).
 *
 * @module
 */

import { SMUX_MAX_PAYLOAD } from "./frame.ts";

/** Settings of one smux session. All durations are in milliseconds. */
export interface SmuxConfig {
  /**
   * Protocol version, kcptun `--smuxver`. Both peers must use the same one.
   * @default {1} (smux's `DefaultConfig` and 2021 kcptun; latest kcptun defaults to 2)
   */
  version: 1 | 2;
  /**
   * A NOP goes out every this many ms, kcptun `--keepalive` seconds × 1000.
   * @default {10000}
   */
  keepAliveInterval: number;
  /**
   * The session closes when no frame arrived during a whole timeout period (checked every
   * `keepAliveTimeout` ms). kcptun never changes smux's default.
   * @default {30000}
   */
  keepAliveTimeout: number;
  /**
   * Largest PSH payload this side sends, 1..65535. 2021 kcptun uses smux's default 32768;
   * latest kcptun uses `--framesize`, default 8192. Receivers accept any size.
   * @default {32768}
   */
  maxFrameSize: number;
  /**
   * Session-wide receive budget in bytes, kcptun `--smuxbuf`. The transport should stop feeding
   * input while `SmuxSession.bufferedBytes` is at or above it.
   * @default {4194304}
   */
  maxReceiveBuffer: number;
  /**
   * Per-stream window advertised in v2 UPD frames, kcptun `--streambuf`; at most
   * `maxReceiveBuffer`.
   * @default {2097152}
   */
  maxStreamBuffer: number;
}

/** The defaults {@linkcode resolveSmuxConfig} fills in. */
export const SMUX_DEFAULTS: Readonly<SmuxConfig> = Object.freeze({
  version: 1,
  keepAliveInterval: 10_000,
  keepAliveTimeout: 30_000,
  maxFrameSize: 32768,
  maxReceiveBuffer: 4194304,
  maxStreamBuffer: 2097152,
});

/** Timers are compared wrap-safe on 32 bits, so no duration may reach 2^31 ms. */
const MAX_DURATION = 0x7fffffff;
/** smux keeps its receive bucket in an int32. */
const MAX_BUFFER = 0x7fffffff;

function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number") {
    throw new TypeError(`Smux ${name} must be a number, got ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Smux ${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

/**
 * Fills defaults and validates like smux `VerifyConfig`: version 1 or 2, a positive keepalive
 * interval no longer than the timeout, a frame size in 1..65535, positive buffers and
 * `maxStreamBuffer <= maxReceiveBuffer`.
 *
 * @param options Any subset of the settings; `undefined` fields take the default.
 * @returns A complete, validated, new config object.
 * @throws {TypeError} A setting is not a number.
 * @throws {RangeError} A setting is out of range; the message names it and its value.
 *
 * @example
 * ```ts
 * import { resolveSmuxConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 * const cfg = resolveSmuxConfig({ version: 2, maxFrameSize: 8192 });
 * assert.equal(cfg.maxStreamBuffer, 2097152);
 * assert.throws(() => resolveSmuxConfig({ maxFrameSize: 70000 }), RangeError);
 * ```
 */
export function resolveSmuxConfig(options: Partial<SmuxConfig> = {}): SmuxConfig {
  const pick = <K extends keyof SmuxConfig>(key: K): SmuxConfig[K] =>
    options[key] === undefined ? SMUX_DEFAULTS[key] : options[key] as SmuxConfig[K];

  const version = pick("version");
  if (version !== 1 && version !== 2) {
    throw new RangeError(`Smux version must be 1 or 2, got ${version}`);
  }
  const keepAliveInterval = integerIn(
    "keepAliveInterval",
    pick("keepAliveInterval"),
    1,
    MAX_DURATION,
  );
  const keepAliveTimeout = integerIn("keepAliveTimeout", pick("keepAliveTimeout"), 1, MAX_DURATION);
  if (keepAliveTimeout < keepAliveInterval) {
    throw new RangeError(
      `Smux keepAliveTimeout must be at least keepAliveInterval (${keepAliveInterval}), got ${keepAliveTimeout}`,
    );
  }
  const maxFrameSize = integerIn("maxFrameSize", pick("maxFrameSize"), 1, SMUX_MAX_PAYLOAD);
  const maxReceiveBuffer = integerIn("maxReceiveBuffer", pick("maxReceiveBuffer"), 1, MAX_BUFFER);
  const maxStreamBuffer = integerIn("maxStreamBuffer", pick("maxStreamBuffer"), 1, MAX_BUFFER);
  if (maxStreamBuffer > maxReceiveBuffer) {
    throw new RangeError(
      `Smux maxStreamBuffer must not exceed maxReceiveBuffer (${maxReceiveBuffer}), got ${maxStreamBuffer}`,
    );
  }
  return {
    version,
    keepAliveInterval,
    keepAliveTimeout,
    maxFrameSize,
    maxReceiveBuffer,
    maxStreamBuffer,
  };
}
