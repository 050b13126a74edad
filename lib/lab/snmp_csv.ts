/**
 * Reads a kcptun `--snmplog` CSV file (Go kcptun's or ours): a `Unix,BytesSent,…` header, then
 * one row per period holding that period's counts (both reset or difference their counters
 * after each row), so the totals are the column sums. {@linkcode sumSnmpCsv} is pure; the file
 * helpers below it read the files and make a directory for them.
 *
 * @module
 */

/** Counters that are current values, not per-period counts: their last row wins. */
const GAUGES = new Set(["CurrEstab", "MaxConn"]);

/** Totals of an SNMP log: counter name → sum over rows (gauges: last value). */
export type SnmpTotals = Record<string, number>;

/**
 * Sums the rows of an SNMP CSV log. Returns the totals and the number of rows; unknown or
 * malformed rows are skipped, never thrown on.
 *
 * @example
 * ```ts
 * import { sumSnmpCsv } from "./snmp_csv.ts";
 * import assert from "node:assert/strict";
 *
 * const csv = "Unix,OutSegs,RetransSegs,CurrEstab\n100,40,2,1\n101,60,3,1\n";
 * const { totals, rows } = sumSnmpCsv(csv);
 * assert.equal(rows, 2);
 * assert.equal(totals.OutSegs, 100);
 * assert.equal(totals.CurrEstab, 1);
 * ```
 */
export function sumSnmpCsv(text: string): { totals: SnmpTotals; rows: number } {
  const totals: SnmpTotals = {};
  let header: string[] | undefined;
  let rows = 0;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const cells = line.split(",");
    if (cells[0] === "Unix") {
      header = cells;
      continue;
    }
    if (header === undefined || cells.length !== header.length) continue;
    const values = cells.map(Number);
    if (values.some((v) => !Number.isFinite(v))) continue;
    rows++;
    for (let i = 1; i < header.length; i++) {
      const name = header[i];
      totals[name] = GAUGES.has(name) ? values[i] : (totals[name] ?? 0) + values[i];
    }
  }
  return { totals, rows };
}

/** Rows and totals of an SNMP log file; zero rows when it does not exist (yet). */
export function readSnmpCsv(path: string): { totals: SnmpTotals; rows: number } {
  try {
    return sumSnmpCsv(Deno.readTextFileSync(path));
  } catch {
    return { totals: {}, rows: 0 };
  }
}

/**
 * Makes a fresh directory for SNMP logs, `/tmp/kcptun-lab-<letters>`, and returns its path.
 * Letters only (no digits, no "p"): Go kcptun 2021 formats its whole `--snmplog` path as a Go
 * time layout, where digits and tokens such as `pm`, `Jan` or `Mon` would be replaced.
 */
export function makeSnmpLogDir(): string {
  const letters = "abcdefghjkqrstuvwxyz";
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const name = [...bytes].map((b) => letters[b % letters.length]).join("");
  const dir = `/tmp/kcptun-lab-${name}`;
  Deno.mkdirSync(dir);
  return dir;
}
