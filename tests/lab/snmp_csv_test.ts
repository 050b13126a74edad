import assert from "node:assert/strict";
import { makeSnmpLogDir, readSnmpCsv, sumSnmpCsv } from "../../lib/lab/snmp_csv.ts";
import { createSnmp, snmpCsvHeader, snmpCsvRow } from "../../lib/session/snmp.ts";
import { Prng } from "../../lib/link/prng.ts";

Deno.test("snmp csv: rows are per-period counts, summed; gauges keep the last row", () => {
  const a = createSnmp();
  a.OutSegs = 40;
  a.RetransSegs = 2;
  a.CurrEstab = 1;
  a.MaxConn = 1;
  const b = createSnmp();
  b.OutSegs = 60;
  b.RetransSegs = 3;
  b.CurrEstab = 0;
  b.MaxConn = 1;
  const csv = `${snmpCsvHeader()}\n${snmpCsvRow(a, 100)}\n${snmpCsvRow(b, 101)}\n`;
  const { totals, rows } = sumSnmpCsv(csv);
  assert.equal(rows, 2);
  assert.equal(totals.OutSegs, 100);
  assert.equal(totals.RetransSegs, 5);
  assert.equal(totals.CurrEstab, 0);
  assert.equal(totals.MaxConn, 1);
  assert.equal(totals.FECRecovered, 0);
});

Deno.test("snmp csv: rows before a header, short rows and junk are skipped", () => {
  const csv = "1,2,3\nUnix,OutSegs,RetransSegs\n5,x,1\n6,10\n\n  7,10,1  \n8,1e400,0\n";
  assert.deepEqual(sumSnmpCsv(csv), { totals: { OutSegs: 10, RetransSegs: 1 }, rows: 1 });
});

Deno.test("snmp csv: truncated and random input never throws", () => {
  const csv = `${snmpCsvHeader()}\n${snmpCsvRow(createSnmp(), 1)}\n`;
  for (let n = 0; n <= csv.length; n++) {
    const { rows } = sumSnmpCsv(csv.slice(0, n));
    assert.ok(rows === 0 || rows === 1);
  }
  const rng = new Prng(3);
  const bytes = new Uint8Array(300);
  const chars = "Unix,0123456789\n-.e";
  for (let i = 0; i < 300; i++) {
    rng.fill(bytes);
    const text = [...bytes.subarray(0, rng.next() % 300)].map((b) => chars[b % chars.length]).join(
      "",
    );
    const r = sumSnmpCsv(text);
    assert.ok(r.rows >= 0);
    for (const v of Object.values(r.totals)) assert.ok(Number.isFinite(v));
  }
});

Deno.test("snmp csv: a log directory safe from Go time layouts, files read when present", () => {
  const dir = makeSnmpLogDir();
  try {
    assert.match(dir, /^\/tmp\/kcptun-lab-[a-oq-z]{12}$/); // no digits, no "p" (the "pm" token)
    assert.deepEqual(readSnmpCsv(`${dir}/missing.csv`), { totals: {}, rows: 0 });
    Deno.writeTextFileSync(`${dir}/x.csv`, "Unix,OutSegs\n1,5\n2,6\n");
    assert.deepEqual(readSnmpCsv(`${dir}/x.csv`), { totals: { OutSegs: 11 }, rows: 2 });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
