/**
 * kcptun's SNMP counters (kcp-go `Snmp`), one instance per process or per listener — never a
 * global. Field names and CSV order follow the 2021 kcptun `--snmplog` header exactly.
 *
 * @module
 */

/** Counter names in kcptun 2021's CSV column order (after the leading `Unix` column). */
export const SNMP_FIELDS = [
  "BytesSent",
  "BytesReceived",
  "MaxConn",
  "ActiveOpens",
  "PassiveOpens",
  "CurrEstab",
  "InErrs",
  "InCsumErrors",
  "KCPInErrors",
  "InPkts",
  "OutPkts",
  "InSegs",
  "OutSegs",
  "InBytes",
  "OutBytes",
  "RetransSegs",
  "FastRetransSegs",
  "EarlyRetransSegs",
  "LostSegs",
  "RepeatSegs",
  "FECParityShards",
  "FECErrs",
  "FECRecovered",
  "FECShortShards",
] as const;

/** One SNMP counter name. */
export type SnmpField = typeof SNMP_FIELDS[number];

/** A set of kcptun SNMP counters (all plain numbers, summed by the sessions that share it). */
export type Snmp = Record<SnmpField, number>;

/** A zeroed counter set. */
export function createSnmp(): Snmp {
  const s = {} as Snmp;
  for (const f of SNMP_FIELDS) s[f] = 0;
  return s;
}

/** The CSV header line kcptun writes first (`Unix,BytesSent,…`). */
export function snmpCsvHeader(): string {
  return ["Unix", ...SNMP_FIELDS].join(",");
}

/** One CSV row: unix seconds then every counter, as kcptun writes it. */
export function snmpCsvRow(snmp: Snmp, unixSeconds: number): string {
  let row = String(Math.floor(unixSeconds));
  for (const f of SNMP_FIELDS) row += "," + snmp[f];
  return row;
}
