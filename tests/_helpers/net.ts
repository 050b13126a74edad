/**
 * Test fixtures for real-socket tests: TCP targets (echo, sink, source), deterministic data,
 * free ports, and the Debian kcptun peer binaries.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { Prng } from "../../lib/link/prng.ts";

/** Deterministic pseudo-random bytes. */
export function testData(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  new Prng(seed).fill(out);
  return out;
}

/** Hex sha-256 of bytes. */
export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Incremental sha-256. */
export function hasher(): { update(b: Uint8Array): void; hex(): string } {
  const h = createHash("sha256");
  return { update: (b) => void h.update(b), hex: () => h.digest("hex") };
}

/** A free UDP port on 127.0.0.1 (bound then released). */
export function freeUdpPort(): number {
  const c = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (c.addr as Deno.NetAddr).port;
  c.close();
  return port;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freeTcpPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
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
  /** Resolves after `n` connections have finished. */
  finished(n: number): Promise<void>;
  close(): Promise<void>;
}

type Serve = (conn: Deno.TcpConn, rec: TargetRecord, h: ReturnType<typeof hasher>) => Promise<void>;

function startTarget(serve: Serve): Target {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const records: TargetRecord[] = [];
  const tasks = new Set<Promise<void>>();
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
    finished: (n) =>
      new Promise((resolve) => {
        waiters.push({ n, resolve });
        check();
      }),
    async close() {
      listener.close();
      await loop;
      await Promise.all([...tasks]);
    },
  };
}

async function drain(conn: Deno.Conn, rec: TargetRecord, h: ReturnType<typeof hasher>) {
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return;
    rec.received += n;
    h.update(buf.subarray(0, n));
  }
}

/** Echoes everything back, half-closes after the client's EOF. */
export function echoTarget(): Target {
  return startTarget(async (conn, rec, h) => {
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      rec.received += n;
      h.update(buf.subarray(0, n));
      let off = 0;
      while (off < n) off += await conn.write(buf.subarray(off, n));
      rec.sent += n;
    }
    await conn.closeWrite();
  });
}

/** Swallows and hashes everything (upload tests). */
export function sinkTarget(): Target {
  return startTarget((conn, rec, h) => drain(conn, rec, h));
}

/**
 * Sends `length` bytes of testData(seed) then closes its write side; hashes what it receives.
 * With `afterEof` it first reads the client's whole upload (to EOF), then answers.
 */
export function sourceTarget(length: number, seed: number, afterEof = false): Target {
  const data = testData(length, seed);
  return startTarget(async (conn, rec, h) => {
    if (afterEof) await drain(conn, rec, h);
    const reading = afterEof ? Promise.resolve() : drain(conn, rec, h).catch(() => {});
    let off = 0;
    while (off < data.length) {
      off += await conn.write(data.subarray(off, Math.min(data.length, off + 65536)));
    }
    rec.sent = off;
    await conn.closeWrite();
    await reading;
  });
}

/** Connects to 127.0.0.1:port, retrying while nothing listens yet (for spawned peers). */
export async function connectRetry(port: number, timeoutMs = 5000): Promise<Deno.TcpConn> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await Deno.connect({ hostname: "127.0.0.1", port });
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Writes `data` (then half-closes) while reading everything back; returns what was read. */
export async function exchange(
  conn: Deno.TcpConn,
  data: Uint8Array,
  options: { halfClose?: boolean } = {},
): Promise<{ received: number; sha256: string }> {
  const h = hasher();
  let received = 0;
  const reader = (async () => {
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      received += n;
      h.update(buf.subarray(0, n));
    }
  })();
  let off = 0;
  while (off < data.length) {
    off += await conn.write(data.subarray(off, Math.min(data.length, off + 65536)));
  }
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
