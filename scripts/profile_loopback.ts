/**
 * `profile_loopback` — pushes data through a kcptun-ts client and server (each its own
 * `deno run` process, default flags, loopback, no link emulator) and reports CPU seconds per GB
 * (over the whole transfer and over its last two thirds, past ramp-up and most JIT compiling)
 * of each end, their GC counts, and optionally V8 CPU profiles summarised by
 * `profile_top.ts`.
 *
 * ```sh
 * deno run -A scripts/profile_loopback.ts                      # 200 MB download, CPU/GB + GC
 * deno run -A scripts/profile_loopback.ts --prof /tmp/prof     # also write and summarise profiles
 * deno run -A scripts/profile_loopback.ts --direction upload --mb 100 -- --crypt aes-128-gcm
 * deno run -A scripts/profile_loopback.ts --link lossy-50m-40ms-2pct --mb 20   # via the relay
 * ```
 *
 * Arguments after `--` go to both tunnel ends. Exit codes: 0 when the data arrived intact,
 * 1 otherwise, 2 on a usage error.
 *
 * @module
 */

import { fileURLToPath as fromFileUrl } from "node:url";
import { freeTcpPort, freeUdpPort } from "../lib/lab/ports.ts";
import { parseProcStatTimes } from "../lib/lab/proc_stats.ts";
import {
  closeQuietly,
  connectLocal,
  listenTarget,
  makePattern,
  receiveSide,
  sendSide,
} from "../lib/lab/traffic.ts";
import { formatSummary, summarise } from "./profile_top.ts";

const CLI = fromFileUrl(new URL("../cli.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../deno.json", import.meta.url));
const RELAY = fromFileUrl(new URL("./relay.ts", import.meta.url));
const GC_LINE = /\b(Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Sweep)\b/g;

/** User and system CPU seconds of `pid` from `/proc/<pid>/stat` (0, 0 once it is gone). */
function cpuTimes(pid: number): [number, number] {
  try {
    const t = parseProcStatTimes(Deno.readTextFileSync(`/proc/${pid}/stat`));
    return t === undefined ? [0, 0] : [t.user, t.system];
  } catch {
    return [0, 0];
  }
}

/** A started end (see {@link spawnEnd}). */
export interface Proc {
  pid: number;
  readyLine: string;
  gcs: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * Starts one end (ours with `deno run`, or Debian's `kcptun-client`/`kcptun-server` with
 * `impl` "go") or the link relay, and resolves once it is listening.
 */
export async function spawnEnd(
  role: "client" | "server" | "relay",
  args: string[],
  profDir: string | undefined,
  impl: "ours" | "go" = "ours",
): Promise<Proc> {
  const go = impl === "go" && role !== "relay";
  const flags = ["run", "-A", "--config", CONFIG];
  if (role !== "relay") flags.push("--v8-flags=--trace-gc");
  if (profDir !== undefined && role !== "relay") {
    flags.push("--cpu-prof", `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${role}.cpuprofile`);
  }
  const script = role === "relay" ? [RELAY] : [CLI, role];
  const child = new Deno.Command(go ? `kcptun-${role}` : Deno.execPath(), {
    args: go ? args : [...flags, ...script, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const gcs = new Map<string, number>();
  let readyLine = "";
  let ready: () => void;
  const readyP = new Promise<void>((r) => ready = r);
  let tail = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    let line = "";
    for await (const chunk of stream) {
      line += dec.decode(chunk, { stream: true });
      const lines = line.split("\n");
      line = lines.pop()!;
      for (const l of lines) {
        // Go kcptun listens once its key is derived
        if (
          l.includes(go ? "key derivation done" : "Listening on") || /relay listening on/.test(l)
        ) {
          readyLine ||= l;
          ready();
        }
        for (const m of l.matchAll(GC_LINE)) gcs.set(m[1], (gcs.get(m[1]) ?? 0) + 1);
        if (!l.includes("ms: ")) tail = (tail + l + "\n").slice(-2000);
      }
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
    readyLine,
    gcs,
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

/** Runs the tool; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let mb = 200;
  let direction = "download";
  let profDir: string | undefined;
  let link: string | undefined;
  let extra: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--mb") mb = Number(argv[++i]);
    else if (a === "--direction") direction = argv[++i];
    else if (a === "--prof") profDir = argv[++i];
    else if (a === "--link") link = argv[++i];
    else if (a === "--") {
      extra = argv.slice(i + 1);
      break;
    } else {
      console.error(`profile_loopback: unknown argument "${a}"`);
      return 2;
    }
  }
  if (!(mb > 0) || (direction !== "download" && direction !== "upload")) {
    console.error("profile_loopback: --mb must be > 0, --direction download or upload");
    return 2;
  }
  if (profDir !== undefined) Deno.mkdirSync(profDir, { recursive: true });
  const target = listenTarget();
  const udp = freeUdpPort();
  const tcp = freeTcpPort();
  const server = await spawnEnd("server", [
    ...["-l", `127.0.0.1:${udp}`, "-t", `127.0.0.1:${target.port}`],
    ...extra,
  ], profDir);
  let remote = udp;
  let relay: Proc | undefined;
  if (link !== undefined) {
    relay = await spawnEnd("relay", [
      ...["--listen", "127.0.0.1:0", "--target", `127.0.0.1:${udp}`, "--profile", link],
    ], undefined);
    remote = Number(/:(\d+) ->/.exec(relay.readyLine)?.[1]);
  }
  const client = await spawnEnd("client", [
    ...["-l", `127.0.0.1:${tcp}`, "-r", `127.0.0.1:${remote}`],
    ...extra,
  ], profDir);
  const app = await connectLocal(tcp, 10000);
  const far = await target.accepted;
  const bytes = Math.round(mb * 1e6);
  const before = [cpuTimes(client.pid), cpuTimes(server.pid)];
  const gc0 = [new Map(client.gcs), new Map(server.gcs)];
  const t0 = performance.now();
  const meter = { received: 0 };
  const [sender, receiver] = direction === "download" ? [far, app] : [app, far];
  // CPU once a third of the data is through: past ramp-up and most of V8's compiling
  let warm: { cpu: [number, number][]; bytes: number } | undefined;
  const poll = setInterval(() => {
    if (warm !== undefined || meter.received < bytes / 3) return;
    warm = { cpu: [cpuTimes(client.pid), cpuTimes(server.pid)], bytes: meter.received };
  }, 20);
  const [sent, got] = await Promise.all([
    sendSide(sender, makePattern(1), { bytes }),
    receiveSide(receiver, meter),
  ]);
  const seconds = (performance.now() - t0) / 1000;
  const after = [cpuTimes(client.pid), cpuTimes(server.pid)];
  clearInterval(poll);
  closeQuietly(app);
  closeQuietly(far);
  target.close();
  await client.stop();
  await server.stop();
  await relay?.stop();
  const ok = sent.bytes === got.bytes && sent.sha256 === got.sha256 && !sent.error && !got.error;
  const gb = got.bytes / 1e9;
  const user = [0, 1].map((i) => after[i][0] - before[i][0]);
  const sys = [0, 1].map((i) => after[i][1] - before[i][1]);
  const cpu = [0, 1].map((i) => user[i] + sys[i]);
  const gcText = (i: number, m: Map<string, number>) =>
    [...m].map(([k, v]) => `${k} ${v - (gc0[i].get(k) ?? 0)}`).join(", ");
  console.log(
    `${link ?? "loopback"} ${direction} ${(got.bytes / 1e6).toFixed(0)} MB in ${
      seconds.toFixed(1)
    } s ` +
      `(${((got.bytes * 8) / seconds / 1e6).toFixed(0)} Mbit/s), ${ok ? "intact" : "FAILED"}`,
  );
  console.log(
    `CPU s/GB: client ${(cpu[0] / gb).toFixed(1)}, server ${(cpu[1] / gb).toFixed(1)}, ` +
      `total ${((cpu[0] + cpu[1]) / gb).toFixed(1)} (user ${
        ((user[0] + user[1]) / gb).toFixed(1)
      }, ` +
      `system ${((sys[0] + sys[1]) / gb).toFixed(1)})`,
  );
  if (warm !== undefined) {
    const w = warm;
    const wgb = (got.bytes - w.bytes) / 1e9;
    const wc = [0, 1].map((i) => after[i][0] + after[i][1] - w.cpu[i][0] - w.cpu[i][1]);
    console.log(
      `warm CPU s/GB (last two thirds): client ${(wc[0] / wgb).toFixed(1)}, server ${
        (wc[1] / wgb).toFixed(1)
      }, total ${((wc[0] + wc[1]) / wgb).toFixed(1)}`,
    );
  }
  console.log(`GC client: ${gcText(0, client.gcs)}`);
  console.log(`GC server: ${gcText(1, server.gcs)}`);
  if (profDir !== undefined) {
    for (const role of ["client", "server"]) {
      const file = `${profDir}/${role}.cpuprofile`;
      try {
        const summary = summarise([JSON.parse(Deno.readTextFileSync(file))]);
        console.log("\n" + formatSummary(file, summary, 30));
      } catch (e) {
        console.log(`\n${file}: ${e instanceof Error ? e.message : e}`);
      }
    }
  }
  return ok ? 0 : 1;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
