/**
 * A tunnel end (or relay) run as a child process: spawned with its output captured, awaited
 * until a line says it is ready, stopped with SIGTERM, and measured through `/proc`. Used by
 * the lab for Go kcptun and by the benchmark script for every process. Deno adapter.
 *
 * @module
 */

import { type ProcStats, readProcStats } from "./proc_stats.ts";

/** Most bytes of output kept per peer (the tail). */
const LOG_LIMIT = 64 * 1024;

/** Options of {@linkcode spawnPeer}. */
export interface PeerOptions {
  /** The executable, e.g. `kcptun-server` or `Deno.execPath()`. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Resolve once stdout or stderr matches this; undefined = at once. */
  ready?: RegExp;
  /** Give up waiting for `ready` after this many ms (the peer is stopped). @default 10000 */
  readyTimeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** A running child process. */
export interface Peer {
  /** Process id (for `/proc`). */
  readonly pid: number;
  /** The first match of `ready` (e.g. to read a port from it); "" without `ready`. */
  readonly readyLine: string;
  /** The output so far (stdout and stderr interleaved, the last 64 KiB). */
  output(): string;
  /** CPU and peak RSS so far; undefined once it has exited. */
  stats(): ProcStats | undefined;
  /** Whether it has exited. */
  exited(): boolean;
  /** SIGTERM, wait for the exit (SIGKILL after `graceMs`), and the output. Idempotent. */
  stop(graceMs?: number): Promise<string>;
}

type ReadyOutcome = { kind: "ready"; line: string } | { kind: "exit" } | { kind: "timeout" };

/** True when `command` can be run (it answers `command -v`). */
export async function hasCommand(command: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", 'command -v "$1"', "sh", command],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * Spawns a peer and waits until it prints `ready`.
 *
 * @throws {Error} If it cannot be spawned, exits before it is ready, or is not ready in time
 *   (the message carries the tail of its output).
 */
export async function spawnPeer(options: PeerOptions): Promise<Peer> {
  const child = new Deno.Command(options.command, {
    args: options.args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
  }).spawn();
  let log = "";
  let readyLine = "";
  let onReady: ((outcome: ReadyOutcome) => void) | undefined;
  const append = (text: string) => {
    log = (log + text).slice(-LOG_LIMIT);
    if (onReady !== undefined && options.ready !== undefined) {
      const m = options.ready.exec(log);
      if (m !== null) {
        const f = onReady;
        onReady = undefined;
        f({ kind: "ready", line: m[0] });
      }
    }
  };
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) append(decoder.decode(chunk, { stream: true }));
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]).catch(() => {});
  let done = false;
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  let stopping: Promise<string> | undefined;
  const stop = (graceMs = 3000): Promise<string> => {
    stopping ??= (async () => {
      if (!done) {
        try {
          child.kill("SIGTERM");
        } catch {
          // exited meanwhile
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const killed = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            try {
              child.kill("SIGKILL");
            } catch {
              // exited meanwhile
            }
            resolve();
          }, graceMs);
        });
        await Promise.race([status, killed]);
        clearTimeout(timer);
      }
      await status;
      await pumps;
      return log;
    })();
    return stopping;
  };
  if (options.ready !== undefined) {
    const timeoutMs = options.readyTimeoutMs ?? 10000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      new Promise<ReadyOutcome>((resolve) => onReady = resolve),
      status.then((): ReadyOutcome => ({ kind: "exit" })),
      new Promise<ReadyOutcome>((resolve) =>
        timer = setTimeout(() => resolve({ kind: "timeout" }), timeoutMs)
      ),
    ]);
    clearTimeout(timer);
    onReady = undefined;
    if (outcome.kind !== "ready") {
      const tail = (await stop()).trim().split("\n").slice(-5).join("\n");
      throw new Error(
        `${options.command} ${
          outcome.kind === "exit" ? "exited" : `was not ready after ${timeoutMs} ms`
        }: ${tail === "" ? "(no output)" : tail}`,
      );
    }
    readyLine = outcome.line;
  }
  return {
    pid: child.pid,
    readyLine,
    output: () => log,
    stats: () => (done ? undefined : readProcStats(child.pid)),
    exited: () => done,
    stop,
  };
}
