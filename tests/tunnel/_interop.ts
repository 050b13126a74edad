/**
 * One interop case: our client with the Go server, or the Go client with our server, moving
 * `size` bytes each way (upload to a sink, download from a source), checked by sha-256.
 *
 * @module
 */

import { freeTcpPort, freeUdpPort } from "../../lib/lab/ports.ts";
import { connectLocal } from "../../lib/lab/traffic.ts";
import { seededBytes, sha256 } from "../_helpers/bytes.ts";
import { exchange, sinkTarget, sourceTarget, spawnGo } from "../_helpers/net.ts";
import { ourClient, ourServer, relayTo } from "./_fixture.ts";

/** One direction of one case; `why` says what was wrong when it is not ok. */
export interface DirectionResult {
  bytes: number;
  ms: number;
  ok: boolean;
  why: string;
}

/** Result of one case. */
export interface InteropResult {
  ok: boolean;
  upload: DirectionResult;
  download: DirectionResult;
  detail: string;
}

/** Which end is ours. */
export type Pairing = "ours-client+go-server" | "go-client+ours-server";

async function transfer(port: number, size: number, target: ReturnType<typeof sinkTarget>) {
  const up = seededBytes(size, 11);
  const t0 = performance.now();
  const conn = await connectLocal(port, 5000);
  await exchange(conn, up);
  await target.finished(1);
  const ms = performance.now() - t0;
  const rec = target.records[0];
  return checked(rec.received, size, rec.sha256 === sha256(up), ms);
}

/** One direction's result from what arrived. */
function checked(bytes: number, size: number, sameHash: boolean, ms: number): DirectionResult {
  const ok = bytes === size && sameHash;
  const why = ok ? "" : bytes !== size ? `${bytes} of ${size} bytes arrived` : "sha-256 differs";
  return { bytes, ms, ok, why };
}

async function download(port: number, size: number) {
  const t0 = performance.now();
  const conn = await connectLocal(port, 5000);
  const r = await exchange(conn, new Uint8Array(0), { halfClose: false });
  return checked(
    r.received,
    size,
    r.sha256 === sha256(seededBytes(size, 12)),
    performance.now() - t0,
  );
}

/** Flags of one case: for both ends, and for the client or the server only. */
export interface InteropFlags {
  both?: string[];
  client?: string[];
  server?: string[];
  /** A link profile (`lab --profile` syntax) emulated by a relay between client and server. */
  link?: string;
}

/**
 * Runs one case. Go 2021 defaults to smux v1 and ours to v2, so `--smuxver 1` is added to both
 * ends unless the case sets a version.
 */
export async function runInterop(
  pairing: Pairing,
  size: number,
  flags: InteropFlags,
): Promise<InteropResult> {
  const both = flags.both ?? [];
  const common = both.includes("--smuxver") ? both : [...both, "--smuxver", "1"];
  const oursClient = pairing === "ours-client+go-server";
  const oursArgs = [...common, ...((oursClient ? flags.client : flags.server) ?? [])];
  const goArgs = [...common, ...((oursClient ? flags.server : flags.client) ?? [])];
  const sink = sinkTarget();
  const source = sourceTarget(size, 12);
  const results: InteropResult = {
    ok: false,
    upload: { bytes: 0, ms: 0, ok: false, why: "did not finish" },
    download: { bytes: 0, ms: 0, ok: false, why: "did not finish" },
    detail: "",
  };
  // one tunnel per direction so each target gets exactly one connection
  for (const dir of ["upload", "download"] as const) {
    const target = dir === "upload" ? sink : source;
    let stopGo: (() => Promise<string>) | undefined;
    let closeOurs: (() => Promise<void>) | undefined;
    let snmp: object | undefined;
    let port: number;
    let relay: Awaited<ReturnType<typeof relayTo>>;
    if (pairing === "ours-client+go-server") {
      const udp = freeUdpPort();
      const go = spawnGo("kcptun-server", [
        "-l",
        `127.0.0.1:${udp}`,
        "-t",
        `127.0.0.1:${target.port}`,
        ...goArgs,
      ]);
      stopGo = go.stop;
      relay = await relayTo(udp, flags.link);
      const client = ourClient(relay?.port ?? udp, oursArgs);
      closeOurs = () => client.close(2000);
      snmp = client.snmp;
      port = client.port;
    } else {
      const server = ourServer(target.port, oursArgs);
      const tcp = freeTcpPort();
      relay = await relayTo(server.addrs[0].port, flags.link);
      const go = spawnGo("kcptun-client", [
        "-l",
        `127.0.0.1:${tcp}`,
        "-r",
        `127.0.0.1:${relay?.port ?? server.addrs[0].port}`,
        ...goArgs,
      ]);
      stopGo = go.stop;
      closeOurs = () => server.close(2000);
      snmp = server.snmp;
      port = tcp;
    }
    try {
      results[dir] = dir === "upload"
        ? await transfer(port, size, sink)
        : await download(port, size);
    } catch (err) {
      results.detail += `${dir}: ${(err as Error).message}; `;
    } finally {
      await closeOurs?.();
      const log = await stopGo?.();
      await relay?.stop();
      if (!results[dir].ok) {
        results.detail += `${dir}: ${results[dir].why}; our counters: ${JSON.stringify(snmp)}; ` +
          `${dir} go log: ${log?.slice(-400)}; `;
      }
    }
  }
  await sink.close();
  await source.close();
  results.ok = results.upload.ok && results.download.ok;
  return results;
}
