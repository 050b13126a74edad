/**
 * The full live-interop matrix against Debian's kcptun 20210922: every case in both pairings
 * (our client with the Go server, the Go client with our server), `--size` bytes each way,
 * checked by sha-256. Prints a markdown table; exits 1 if any case failed.
 *
 * ```sh
 * deno task interop            # 20 MiB each way per case
 * deno task interop --size 4   # MiB
 * deno task interop --filter salsa
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { hasGoKcptun } from "../tests/_helpers/net.ts";
import { CRYPT_METHODS } from "../lib/crypt/block_crypt.ts";
import { type InteropFlags, type Pairing, runInterop } from "../tests/tunnel/_interop.ts";

// the 2021 peer knows every method but the latest additions
const METHODS = CRYPT_METHODS.filter((m) => m !== "null" && m !== "aes-128-gcm");

/** Every case of the matrix. */
export const MATRIX: { name: string; flags: InteropFlags }[] = [
  ...METHODS.map((m) => ({ name: `crypt ${m}`, flags: { both: ["--crypt", m] } })),
  { name: "smux v2", flags: { both: ["--smuxver", "2"] } },
  { name: "nocomp", flags: { both: ["--nocomp"] } },
  { name: "nocomp smux v2", flags: { both: ["--nocomp", "--smuxver", "2"] } },
  { name: "FEC off", flags: { both: ["--ds", "0", "--ps", "0"] } },
  { name: "FEC 1/1", flags: { both: ["--ds", "1", "--ps", "1"] } },
  { name: "FEC 3/2", flags: { both: ["--ds", "3", "--ps", "2"] } },
  { name: "FEC 7/5", flags: { both: ["--ds", "7", "--ps", "5"] } },
  { name: "FEC 20/5", flags: { both: ["--ds", "20", "--ps", "5"] } },
  {
    name: "FEC client 10/3, server 5/1",
    flags: { client: ["--ds", "10", "--ps", "3"], server: ["--ds", "5", "--ps", "1"] },
  },
  { name: "mode normal", flags: { both: ["--mode", "normal"] } },
  { name: "mode fast2", flags: { both: ["--mode", "fast2"] } },
  { name: "mode fast3", flags: { both: ["--mode", "fast3"] } },
  {
    name: "mode manual 1/20/2/1 acknodelay",
    flags: {
      both: [
        "--mode",
        "manual",
        "--nodelay",
        "1",
        "--interval",
        "20",
        "--resend",
        "2",
        "--nc",
        "1",
        "--acknodelay",
      ],
    },
  },
  { name: "conn 4", flags: { client: ["--conn", "4"] } },
  { name: "mtu 1400", flags: { both: ["--mtu", "1400"] } },
  { name: "mtu 576", flags: { both: ["--mtu", "576"] } },
  { name: "windows 32/32", flags: { both: ["--sndwnd", "32", "--rcvwnd", "32"] } },
  { name: "windows 1024/1024", flags: { both: ["--sndwnd", "1024", "--rcvwnd", "1024"] } },
  {
    name: "none nocomp FEC off fast3",
    flags: { both: ["--crypt", "none", "--nocomp", "--ds", "0", "--ps", "0", "--mode", "fast3"] },
  },
];

const PAIRINGS: Pairing[] = ["ours-client+go-server", "go-client+ours-server"];

function mbps(bytes: number, ms: number): string {
  return ms > 0 ? (bytes * 8 / ms / 1000).toFixed(1) : "-";
}

const USAGE = `Usage: deno task interop [--size MIB] [--filter TEXT]

Runs every interop case against Debian's kcptun (kcptun-client, kcptun-server on PATH) in both
pairings, MIB mebibytes each way (default 20), checked by sha-256; --filter keeps the cases whose
name contains TEXT. Exit 0 if all passed, 1 if any failed, 2 on a usage error.`;

/** Parsed options, or the usage error to print. */
export function parseInteropArgs(
  args: string[],
): { size: number; filter?: string } | { help: true } | { error: string } {
  let values: { size?: string; filter?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        size: { type: "string", default: "20" },
        filter: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (values.help) return { help: true };
  const mib = Number(values.size);
  if (!(mib > 0 && mib <= 4096)) {
    return { error: `Option --size must be a number of MiB in (0, 4096], got "${values.size}"` };
  }
  return { size: Math.round(mib * 1024 * 1024), filter: values.filter };
}

if (import.meta.main) {
  const parsed = parseInteropArgs(Deno.args);
  if ("help" in parsed) {
    console.log(USAGE);
    Deno.exit(0);
  }
  if ("error" in parsed) {
    console.error(`${parsed.error}\n\n${USAGE}`);
    Deno.exit(2);
  }
  if (!hasGoKcptun()) {
    console.error("kcptun-client/kcptun-server not found: apt-get install -y kcptun");
    Deno.exit(2);
  }
  const { size } = parsed;
  const values = { filter: parsed.filter };
  const cases = MATRIX.filter((c) => !values.filter || c.name.includes(values.filter));
  console.log(`| case | pairing | upload | download | Mbit/s up | Mbit/s down |`);
  console.log(`|---|---|---|---|---|---|`);
  let failed = 0;
  for (const c of cases) {
    for (const p of PAIRINGS) {
      const r = await runInterop(p, size, c.flags);
      if (!r.ok) failed++;
      console.log(
        `| ${c.name} | ${p} | ${r.upload.ok ? "ok" : "FAIL"} | ${r.download.ok ? "ok" : "FAIL"} | ${
          mbps(r.upload.bytes, r.upload.ms)
        } | ${mbps(r.download.bytes, r.download.ms)} |`,
      );
      if (!r.ok) console.error(r.detail);
    }
  }
  console.log(`\n${cases.length * PAIRINGS.length - failed} passed, ${failed} failed`);
  Deno.exit(failed === 0 ? 0 : 1);
}
