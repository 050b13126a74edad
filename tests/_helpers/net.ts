/**
 * Test fixtures for real-socket tests: TCP targets (echo, sink, source), a hashed exchange
 * and the Debian kcptun peer binaries. Data and hashes come from bytes.ts; free ports and
 * connecting to a peer that is still starting from lib/lab (`freeTcpPort`, `freeUdpPort`,
 * `connectLocal`).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { seededBytes } from "./bytes.ts";

/** Incremental sha-256. */
export function hasher(): { update(b: Uint8Array): void; hex(): string } {
  const h = createHash("sha256");
  return { update: (b) => void h.update(b), hex: () => h.digest("hex") };
}

/** Reads `conn` to EOF, handing each chunk (a view of one reused buffer) to `onChunk`. */
async function readEach(
  conn: Deno.Conn,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
): Promise<void> {
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return;
    await onChunk(buf.subarray(0, n));
  }
}

/** Writes all of `data` in pieces of at most 64 KiB; returns the byte count. */
async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<number> {
  let off = 0;
  while (off < data.length) {
    off += await conn.write(data.subarray(off, Math.min(data.length, off + 65536)));
  }
  return off;
}

/** What a target did with one connection. */
export interface TargetRecord {
  received: number;
  sha256: string;
  sent: number;
}

/** A TCP target that runs `serve` per connection and records what it received. */
export interface Target {
  port: number;
  records: TargetRecord[];
  /**
   * Resolves after `n` connections have finished; rejects after `timeoutMs` (default 60 s) with
   * what has arrived so far, so that a stalled tunnel fails a test instead of hanging it.
   */
  finished(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

type Serve = (conn: Deno.TcpConn, rec: TargetRecord, h: ReturnType<typeof hasher>) => Promise<void>;

function startTarget(serve: Serve): Target {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const records: TargetRecord[] = [];
  const tasks = new Set<Promise<void>>();
  const open = new Set<TargetRecord>();
  let waiters: { n: number; resolve: () => void }[] = [];
  const check = () => {
    waiters = waiters.filter((w) => {
      if (records.length >= w.n) w.resolve();
      return records.length < w.n;
    });
  };
  const loop = (async () => {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      const t = (async () => {
        const rec: TargetRecord = { received: 0, sha256: "", sent: 0 };
        const h = hasher();
        open.add(rec);
        try {
          await serve(conn, rec, h);
        } catch {
          // reset by the tunnel: record what arrived
        } finally {
          try {
            conn.close();
          } catch { /* closed */ }
        }
        rec.sha256 = h.hex();
        open.delete(rec);
        records.push(rec);
        check();
      })();
      tasks.add(t);
      t.finally(() => tasks.delete(t));
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    records,
    finished: (n, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w.resolve !== done);
          const inOpen = [...open].map((r) => r.received).join(", ") || "none";
          reject(
            new Error(
              `target: ${records.length} of ${n} connections finished in ${timeoutMs} ms; ` +
                `bytes received on the open ones: ${inOpen}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        waiters.push({ n, resolve: done });
        check();
      }),
    async close() {
      listener.close();
      await loop;
      await Promise.all([...tasks]);
    },
  };
}

function drain(conn: Deno.Conn, rec: TargetRecord, h: ReturnType<typeof hasher>) {
  return readEach(conn, (chunk) => {
    rec.received += chunk.length;
    h.update(chunk);
  });
}

/** Echoes everything back, half-closes after the client's EOF. */
export function echoTarget(): Target {
  return startTarget(async (conn, rec, h) => {
    await readEach(conn, async (chunk) => {
      rec.received += chunk.length;
      h.update(chunk);
      let off = 0;
      while (off < chunk.length) off += await conn.write(chunk.subarray(off));
      rec.sent += chunk.length;
    });
    await conn.closeWrite();
  });
}

/** Swallows and hashes everything (upload tests). */
export function sinkTarget(): Target {
  return startTarget((conn, rec, h) => drain(conn, rec, h));
}

/**
 * Sends `length` bytes of seededBytes(length, seed) then closes its write side; hashes what it
 * receives. With `afterEof` it first reads the client's whole upload (to EOF), then answers.
 */
export function sourceTarget(length: number, seed: number, afterEof = false): Target {
  const data = seededBytes(length, seed);
  return startTarget(async (conn, rec, h) => {
    if (afterEof) await drain(conn, rec, h);
    const reading = afterEof ? Promise.resolve() : drain(conn, rec, h).catch(() => {});
    rec.sent = await writeAll(conn, data);
    await conn.closeWrite();
    await reading;
  });
}

/** Writes `data` (then half-closes) while reading everything back; returns what was read. */
export async function exchange(
  conn: Deno.TcpConn | Deno.UnixConn,
  data: Uint8Array,
  options: { halfClose?: boolean } = {},
): Promise<{ received: number; sha256: string }> {
  const h = hasher();
  let received = 0;
  const reader = readEach(conn, (chunk) => {
    received += chunk.length;
    h.update(chunk);
  });
  await writeAll(conn, data);
  if (options.halfClose ?? true) await conn.closeWrite();
  await reader;
  conn.close();
  return { received, sha256: h.hex() };
}

/** True when Debian's kcptun binaries are installed. */
export function hasGoKcptun(): boolean {
  for (const bin of ["kcptun-client", "kcptun-server"]) {
    try {
      const r = new Deno.Command("sh", { args: ["-c", `command -v ${bin}`], stdout: "null" })
        .outputSync();
      if (!r.success) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** A spawned Go kcptun process. */
export interface GoPeer {
  child: Deno.ChildProcess;
  stop(): Promise<string>;
}

/** Spawns kcptun-client or kcptun-server with `args`; stop() kills it and returns its log. */
export function spawnGo(bin: "kcptun-client" | "kcptun-server", args: string[]): GoPeer {
  const child = new Deno.Command(bin, { args, stdout: "null", stderr: "piped", stdin: "null" })
    .spawn();
  const logP = new Response(child.stderr).text();
  return {
    child,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      await child.status;
      return await logP;
    },
  };
}
