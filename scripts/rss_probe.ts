/**
 * `rss_probe` — resident memory of the kcptun-ts client and server processes. Starts a server
 * and a client (each its own `deno run`, loopback, default flags plus whatever follows `--`),
 * reads `VmRSS`/`VmHWM` from `/proc` while idle, then after pushing `--mb` through the tunnel,
 * and prints a table. Also measures an empty `deno run` for reference.
 *
 * ```sh
 * deno run -A scripts/rss_probe.ts                         # 100 MB download, default flags
 * deno run -A scripts/rss_probe.ts --mb 200 --v8 --max-semi-space-size=1 -- --crypt aes
 * ```
 *
 * `--v8 <flags>` is passed to both ends as `--v8-flags=<flags>`. `--samples` prints VmRSS of
 * both ends every 250 ms during the transfer. Exit codes: 0 when the data arrived intact, 1
 * otherwise, 2 on a usage error.
 *
 * @module
 */

import { readProcStats } from "../lib/lab/proc_stats.ts";
import { fileURLToPath as fromFileUrl } from "node:url";
import { freeTcpPort, freeUdpPort } from "../lib/lab/ports.ts";
import {
  closeQuietly,
  connectLocal,
  listenTarget,
  makePattern,
  receiveSide,
  sendSide,
} from "../lib/lab/traffic.ts";

const CLI = fromFileUrl(new URL("../cli.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../deno.json", import.meta.url));

/** VmRSS and VmHWM of `pid` in MB (10^6 bytes), or zeros when it is gone. */
function memory(pid: number): { rss: number; hwm: number } {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(text)?.[1]);
    return { rss: kb("VmRSS") * 1024 / 1e6, hwm: kb("VmHWM") * 1024 / 1e6 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** User + system CPU seconds of `pid`, 0 when it is gone. */
function cpuSeconds(pid: number): number {
  return readProcStats(pid)?.cpuSeconds ?? 0;
}

interface End {
  pid: number;
  stop(): Promise<void>;
}

async function spawnEnd(role: "client" | "server", args: string[], v8: string[]): Promise<End> {
  const flags = ["run", "-A", "--config", CONFIG];
  if (v8.length > 0) flags.push(`--v8-flags=${v8.join(",")}`);
  const child = new Deno.Command(Deno.execPath(), {
    args: [...flags, CLI, role, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let ready: () => void;
  const readyP = new Promise<void>((r) => ready = r);
  let tail = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      const text = dec.decode(chunk, { stream: true });
      tail = (tail + text).slice(-2000);
      if (tail.includes("Listening on")) ready();
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then(() => {
    throw new Error(`${role} exited early:\n${tail}`);
  });
  await Promise.race([readyP, exited]);
  exited.catch(() => {});
  return {
    pid: child.pid,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
      await child.status;
      await pumps;
    },
  };
}

/** Peak RSS (MB) of an empty `deno run` with the given V8 flags. */
async function emptyRun(v8: string[]): Promise<number> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    file,
    "const t = Deno.readTextFileSync('/proc/self/status');\n" +
      "console.log(/VmHWM:\\s+(\\d+)/.exec(t)?.[1] ?? '0');\n",
  );
  const flags = ["run", "-A", "--no-config"];
  if (v8.length > 0) flags.push(`--v8-flags=${v8.join(",")}`);
  const out = await new Deno.Command(Deno.execPath(), { args: [...flags, file] }).output();
  await Deno.remove(file);
  return Number(new TextDecoder().decode(out.stdout).trim()) * 1024 / 1e6;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the probe; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let mb = 100;
  let direction = "download";
  let samples = false;
  const v8: string[] = [];
  let extra: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--mb") mb = Number(argv[++i]);
    else if (a === "--direction") direction = argv[++i];
    else if (a === "--v8") v8.push(argv[++i]);
    else if (a === "--samples") samples = true;
    else if (a === "--") {
      extra = argv.slice(i + 1);
      break;
    } else {
      console.error(`rss_probe: unknown argument "${a}"`);
      return 2;
    }
  }
  if (!(mb > 0) || (direction !== "download" && direction !== "upload")) {
    console.error("rss_probe: --mb must be > 0, --direction download or upload");
    return 2;
  }
  const empty = await emptyRun(v8);
  const target = listenTarget();
  const udp = freeUdpPort();
  const tcp = freeTcpPort();
  const server = await spawnEnd("server", [
    ...["-l", `127.0.0.1:${udp}`, "-t", `127.0.0.1:${target.port}`],
    ...extra,
  ], v8);
  const client = await spawnEnd("client", [
    ...["-l", `127.0.0.1:${tcp}`, "-r", `127.0.0.1:${udp}`],
    ...extra,
  ], v8);
  await sleep(1500);
  const idle = [memory(client.pid), memory(server.pid)];
  const app = await connectLocal(tcp, 10000);
  const far = await target.accepted;
  const bytes = Math.round(mb * 1e6);
  const cpu0 = cpuSeconds(client.pid) + cpuSeconds(server.pid);
  const t0 = performance.now();
  const meter = { received: 0 };
  const [sender, receiver] = direction === "download" ? [far, app] : [app, far];
  let running = true;
  const sampler = (async () => {
    while (samples && running) {
      await sleep(250);
      const c = memory(client.pid), s = memory(server.pid);
      console.log(
        `  ${(meter.received / 1e6).toFixed(0).padStart(5)} MB  client ${c.rss.toFixed(1)}  ` +
          `server ${s.rss.toFixed(1)}`,
      );
    }
  })();
  const [sent, got] = await Promise.all([
    sendSide(sender, makePattern(1), { bytes }),
    receiveSide(receiver, meter),
  ]);
  running = false;
  await sampler;
  const seconds = (performance.now() - t0) / 1000;
  const busy = [memory(client.pid), memory(server.pid)];
  const cpu = cpuSeconds(client.pid) + cpuSeconds(server.pid) - cpu0;
  closeQuietly(app);
  closeQuietly(far);
  target.close();
  await sleep(1000);
  const after = [memory(client.pid), memory(server.pid)];
  await client.stop();
  await server.stop();
  const ok = sent.bytes === got.bytes && sent.sha256 === got.sha256 && !sent.error && !got.error;
  const f = (n: number) => n.toFixed(1).padStart(6);
  console.log(`flags: ${[...extra, ...v8.map((v) => `v8:${v}`)].join(" ") || "(default)"}`);
  console.log(`empty deno run VmHWM ${f(empty)} MB`);
  console.log(`                 client VmRSS  VmHWM | server VmRSS  VmHWM | c+s VmHWM`);
  const row = (name: string, m: { rss: number; hwm: number }[]) =>
    console.log(
      `${name.padEnd(16)}       ${f(m[0].rss)} ${f(m[0].hwm)} |        ${f(m[1].rss)} ${
        f(m[1].hwm)
      } | ${f(m[0].hwm + m[1].hwm)}`,
    );
  row("idle", idle);
  row(`after ${mb} MB`, busy);
  row("closed +1 s", after);
  console.log(
    `${direction} ${(got.bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s ` +
      `(${(got.bytes / seconds / 1e6).toFixed(1)} MB/s), ${ok ? "intact" : "FAILED"}, ` +
      `CPU c+s ${(cpu / (got.bytes / 1e9)).toFixed(1)} s/GB`,
  );
  return ok ? 0 : 1;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
