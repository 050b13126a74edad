/**
 * kcptun's `--snmplog`/`--snmpperiod`: every period, one CSV row of counters appended to a file
 * whose name may hold Go time-layout tokens (`./snmp-20060102.log`), with the header written
 * when the file is empty.
 *
 * Deviation from kcptun: Go resets its global counters after each row, which also resets the
 * gauges (`CurrEstab` can underflow). Rows here hold the per-period deltas of every counter —
 * the same numbers kcptun prints — but `CurrEstab` and `MaxConn` are current values.
 *
 * @module
 */

import { type Snmp, SNMP_FIELDS, snmpCsvHeader, snmpCsvRow } from "../session/snmp.ts";

const GAUGES = new Set(["CurrEstab", "MaxConn"]);
const GO_TOKENS: [string, (d: Date) => string][] = [
  ["2006", (d) => String(d.getFullYear()).padStart(4, "0")],
  ["01", (d) => String(d.getMonth() + 1).padStart(2, "0")],
  ["02", (d) => String(d.getDate()).padStart(2, "0")],
  ["15", (d) => String(d.getHours()).padStart(2, "0")],
  ["04", (d) => String(d.getMinutes()).padStart(2, "0")],
  ["05", (d) => String(d.getSeconds()).padStart(2, "0")],
  ["06", (d) => String(d.getFullYear() % 100).padStart(2, "0")],
];

/** Formats the numeric Go time-layout tokens (2006 01 02 15 04 05 06) of `layout` with `date`. */
export function formatGoTime(layout: string, date: Date): string {
  let out = "";
  let i = 0;
  outer: while (i < layout.length) {
    for (const [token, f] of GO_TOKENS) {
      if (layout.startsWith(token, i)) {
        out += f(date);
        i += token.length;
        continue outer;
      }
    }
    out += layout[i++];
  }
  return out;
}

/** The file path for `path` at `date`: only the file name part is a time layout, as in kcptun. */
export function snmpLogPath(path: string, date: Date): string {
  const slash = path.lastIndexOf("/");
  return path.slice(0, slash + 1) + formatGoTime(path.slice(slash + 1), date);
}

/** Appends one row (and the header to an empty file); returns the row. */
export function writeSnmpRow(path: string, current: Snmp, previous: Snmp, date: Date): string {
  const delta = {} as Snmp;
  for (const f of SNMP_FIELDS) {
    delta[f] = GAUGES.has(f) ? current[f] : current[f] - previous[f];
    previous[f] = current[f];
  }
  const file = snmpLogPath(path, date);
  let size = 0;
  try {
    size = Deno.statSync(file).size;
  } catch {
    size = 0;
  }
  const row = snmpCsvRow(delta, date.getTime() / 1000);
  Deno.writeTextFileSync(file, (size === 0 ? snmpCsvHeader() + "\n" : "") + row + "\n", {
    append: true,
  });
  return row;
}

/** Starts the periodic logger when `config.snmplog` is set; `stop` ends it. */
export function startSnmpLog(
  config: { snmplog: string; snmpperiod: number },
  snmp: Snmp,
): { stop(): Promise<void> } {
  if (config.snmplog === "") return { stop: () => Promise.resolve() };
  const previous = {} as Snmp;
  for (const f of SNMP_FIELDS) previous[f] = 0;
  const id = setInterval(() => {
    try {
      writeSnmpRow(config.snmplog, snmp, previous, new Date());
    } catch (err) {
      console.error(`Cannot write SNMP log ${config.snmplog}: ${(err as Error).message}`);
    }
  }, config.snmpperiod * 1000);
  return {
    stop() {
      clearInterval(id);
      return Promise.resolve();
    },
  };
}
