/**
 * `latency_under_load` — how long an interactive stream waits while a bulk download shares its
 * session. A client and server (ours, or Go kcptun with `--impl go`; default flags, one session)
 * run as separate processes over the link relay. One stream downloads random data as fast as
 * the tunnel takes it; two seconds in, a second stream starts sending 16-byte pings to an echo
 * every 50 ms. Prints the pings' round-trip percentiles and the bulk stream's goodput.
 *
 * ```sh
 * deno run -A scripts/latency_under_load.ts                                  # 2 % link, ours
 * deno run -A scripts/latency_under_load.ts --link bursty-20m-80ms-10pct --impl go
 * ```
 *
 * Exit codes: 0 when the pings came back, 1 otherwise, 2 on a usage error.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { freeTcpPort, freeUdpPort } from "../lib/lab/ports.ts";
import { percentile } from "../lib/lab/_stats.ts";
import { closeQuietly } from "../lib/lab/traffic.ts";
import { spawnEnd } from "./profile_loopback.ts";

const PING_BYTES = 16;
const PING_GAP_MS = 50;
const BULK_HEAD_START_MS = 2000;

/** Runs the tool; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        link: { type: "string", default: "lossy-50m-40ms-2pct" },
        seconds: { type: "string", default: "12" },
        impl: { type: "string", default: "ours" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    console.error(`latency_under_load: ${e instanceof Error ? e.message : e}`);
    return 2;
  }
  const seconds = Number(v.seconds);
  if (!(seconds >= 1 && seconds <= 600) || (v.impl !== "ours" && v.impl !== "go")) {
    console.error("latency_under_load: --seconds must be 1..600, --impl ours or go");
    return 2;
  }
  const impl = v.impl;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const targetPort = (listener.addr as Deno.NetAddr).port;
  const udp = freeUdpPort();
  const tcp = freeTcpPort();
  const server = await spawnEnd(
    "server",
    ["-l", `127.0.0.1:${udp}`, "-t", `127.0.0.1:${targetPort}`],
    undefined,
    impl,
  );
  const relay = await spawnEnd("relay", [
    ...["--listen", "127.0.0.1:0", "--target", `127.0.0.1:${udp}`, "--profile", v.link!],
  ], undefined);
  const remote = Number(/:(\d+) ->/.exec(relay.readyLine)?.[1]);
  const client = await spawnEnd(
    "client",
    ["-l", `127.0.0.1:${tcp}`, "-r", `127.0.0.1:${remote}`],
    undefined,
    impl,
  );
  const conns: Deno.Conn[] = [];
  let stop = false;
  let bulkBytes = 0;
  const rtts: number[] = [];
  let bulkMbit = 0;
  try {
    // the bulk stream: the target writes, the client side reads
    const bulkApp = await Deno.connect({ hostname: "127.0.0.1", port: tcp });
    const bulkFar = await listener.accept();
    conns.push(bulkApp, bulkFar);
    const chunk = crypto.getRandomValues(new Uint8Array(65536));
    const writing = (async () => {
      while (!stop) await bulkFar.write(chunk);
    })().catch(() => {});
    const reading = (async () => {
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await bulkApp.read(buf);
        if (n === null) return;
        bulkBytes += n;
      }
    })().catch(() => {});
    await new Promise((r) => setTimeout(r, BULK_HEAD_START_MS));
    // the interactive stream: pings echoed by the target
    const ping = await Deno.connect({ hostname: "127.0.0.1", port: tcp });
    ping.setNoDelay(true);
    const echo = await listener.accept();
    echo.setNoDelay(true);
    conns.push(ping, echo);
    const echoing = (async () => {
      const buf = new Uint8Array(PING_BYTES);
      for (;;) {
        const n = await echo.read(buf);
        if (n === null) return;
        await echo.write(buf.subarray(0, n));
      }
    })().catch(() => {});
    const msg = new Uint8Array(PING_BYTES).fill(0x5a);
    const back = new Uint8Array(PING_BYTES);
    const t0 = performance.now();
    const bytes0 = bulkBytes;
    while (performance.now() - t0 < seconds * 1000) {
      const sent = performance.now();
      await ping.write(msg);
      for (let got = 0; got < PING_BYTES;) {
        const n = await ping.read(back.subarray(got));
        if (n === null) throw new Error("the ping stream ended");
        got += n;
      }
      rtts.push(performance.now() - sent);
      await new Promise((r) => setTimeout(r, PING_GAP_MS));
    }
    bulkMbit = (bulkBytes - bytes0) * 8 / ((performance.now() - t0) * 1000);
    stop = true;
    for (const c of conns) closeQuietly(c);
    await Promise.all([writing, reading, echoing]);
  } catch (e) {
    console.error(`latency_under_load: ${e instanceof Error ? e.message : e}`);
  } finally {
    stop = true;
    for (const c of conns) closeQuietly(c);
    listener.close();
    await client.stop();
    await relay.stop();
    await server.stop();
  }
  if (rtts.length === 0) return 1;
  const ms = (p: number) => percentile(rtts, p).toFixed(1);
  console.log(
    `${v.link} ${impl}: ${rtts.length} pings, RTT p50 ${ms(50)} p90 ${ms(90)} p99 ${
      ms(99)
    } ms; bulk ${bulkMbit.toFixed(1)} Mbit/s`,
  );
  return 0;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
