/**
 * The real thing, as a user runs it: `cli.ts server` and `cli.ts client` as processes, data
 * through them checked by hash, SIGTERM → graceful stop with exit 0, `--snmplog` CSV written.
 */
import assert from "node:assert/strict";
import { freeTcpPort, freeUdpPort } from "../../lib/lab/ports.ts";
import { connectLocal } from "../../lib/lab/traffic.ts";
import { seededBytes, sha256 } from "../_helpers/bytes.ts";
import { exchange, sinkTarget } from "../_helpers/net.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;

function spawnCli(args: string[]): { child: Deno.ChildProcess; stderr: Promise<string> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  return { child, stderr: new Response(child.stderr).text() };
}

/** `p`, or a rejection with `why()` after `ms` (a stalled shutdown fails the test, not the suite). */
async function withTimeout<T>(p: Promise<T>, ms: number, why: () => Promise<string>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => why().then((m) => reject(new Error(m))), ms);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("cli: client and server processes carry 4 MiB; SIGTERM drains and exits 0; snmplog CSV", async () => {
  const dir = Deno.makeTempDirSync();
  const target = sinkTarget();
  const udp = freeUdpPort();
  const tcp = freeTcpPort();
  const server = spawnCli([
    "server",
    "-l",
    `127.0.0.1:${udp}`,
    "-t",
    `127.0.0.1:${target.port}`,
    "--key",
    "cli-test",
    "--snmplog",
    `${dir}/snmp-20060102.log`,
    "--snmpperiod",
    "1",
  ]);
  const client = spawnCli([
    "client",
    "-l",
    `127.0.0.1:${tcp}`,
    "-r",
    `127.0.0.1:${udp}`,
    "--key",
    "cli-test",
  ]);
  try {
    const data = seededBytes(4 << 20, 21);
    const conn = await connectLocal(tcp, 20_000);
    // write everything, half-close, and stop the client at once: the drain must deliver it all
    let off = 0;
    while (off < data.length) off += await conn.write(data.subarray(off, off + 65536));
    await conn.closeWrite();
    client.child.kill("SIGTERM");
    const closing = exchange(conn, new Uint8Array(0), { halfClose: false }).catch(() => {});
    const status = await withTimeout(client.child.status, 20_000, async () => {
      client.child.kill("SIGKILL");
      return `client did not exit within 20 s of SIGTERM; its log:\n${await client.stderr}`;
    });
    await closing;
    assert.equal(status.code, 0, await client.stderr);
    // a stall fails with what arrived and the client's log, instead of hanging the suite
    await target.finished(1, 20_000).catch(async (e) => {
      throw new Error(`${e.message}\nclient log:\n${await client.stderr}`);
    });
    assert.equal(target.records[0].received, data.length);
    assert.equal(target.records[0].sha256, sha256(data));
    // the server logs a CSV row per second with kcptun's header
    await new Promise((r) => setTimeout(r, 1200));
    server.child.kill("SIGTERM");
    assert.equal((await server.child.status).code, 0);
    const log = await server.stderr;
    assert.match(log, /New session from 127\.0\.0\.1:\d+/);
    const files = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.equal(files.length, 1);
    assert.match(files[0], /^snmp-\d{8}\.log$/);
    const lines = Deno.readTextFileSync(`${dir}/${files[0]}`).trim().split("\n");
    assert.ok(lines[0].startsWith("Unix,BytesSent,BytesReceived,MaxConn,"));
    assert.equal(lines[0].split(",").length, 25);
    const received = lines.slice(1).map((l) => Number(l.split(",")[2])).reduce((a, b) => a + b, 0);
    assert.ok(received >= data.length, `BytesReceived ${received}`);
  } finally {
    try {
      client.child.kill("SIGKILL");
    } catch { /* exited */ }
    try {
      server.child.kill("SIGKILL");
    } catch { /* exited */ }
    await client.child.status;
    await server.child.status;
    await client.stderr;
    await server.stderr;
    await target.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
