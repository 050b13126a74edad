import assert from "node:assert/strict";
import {
  parseProcStatCpu,
  parseProcStatusAnonRss,
  parseProcStatusPeakRss,
  parseUdpReceiveErrors,
  readProcStats,
  readUdpReceiveErrors,
  selfCpuSeconds,
} from "../../lib/lab/proc_stats.ts";
import { Prng } from "../../lib/link/prng.ts";

Deno.test("proc stats: utime + stime in ticks, command names with spaces and parentheses", () => {
  const tail = "S 1 42 42 0 -1 4194560 900 0 0 0 250 125 0 0 20 0 9 0 100 2000 300";
  assert.equal(parseProcStatCpu(`42 (deno) ${tail}`), 3.75);
  assert.equal(parseProcStatCpu(`42 (a) b (c) ${tail}`), 3.75);
  assert.equal(
    parseProcStatusPeakRss("Name:\tdeno\nVmPeak:\t  900 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1 kB\n"),
    2097152,
  );
  assert.equal(parseProcStatusPeakRss("Name:\tkthreadd\n"), 0);
  const status = "VmHWM:\t   80000 kB\nVmRSS:\t   70000 kB\nRssAnon:\t   25000 kB\n" +
    "RssFile:\t   45000 kB\nRssShmem:\t       0 kB\n";
  assert.equal(parseProcStatusAnonRss(status), 25000 * 1024);
  assert.equal(parseProcStatusPeakRss(status), 80000 * 1024);
  assert.equal(parseProcStatusAnonRss("Name:\tkthreadd\n"), 0);
  // a field name is matched whole, at the start of a line
  assert.equal(parseProcStatusAnonRss("XRssAnon:\t 5 kB\nRssAnonX:\t 6 kB\n"), 0);
});

Deno.test("proc stats: truncated and random text gives undefined or 0, never throws", () => {
  const full = "42 (deno) S 1 42 42 0 -1 4194560 900 0 0 0 250 125 0 0 20 0 9 0";
  for (let n = 0; n < full.length; n++) {
    const v = parseProcStatCpu(full.slice(0, n));
    assert.ok(v === undefined || Number.isFinite(v));
  }
  const rng = new Prng(7);
  const bytes = new Uint8Array(200);
  for (let i = 0; i < 500; i++) {
    rng.fill(bytes);
    const text = new TextDecoder().decode(bytes.subarray(0, rng.next() % 200));
    const cpu = parseProcStatCpu(text);
    assert.ok(cpu === undefined || Number.isFinite(cpu));
    assert.ok(Number.isFinite(parseProcStatusPeakRss(text)));
    assert.ok(Number.isFinite(parseProcStatusAnonRss(text)));
  }
});

Deno.test("proc stats: this process and a gone one", () => {
  const self = readProcStats("self");
  if (Deno.build.os !== "linux") {
    assert.equal(self, undefined);
    return;
  }
  assert.ok(self !== undefined);
  assert.ok(self.cpuSeconds > 0);
  assert.ok(self.peakRssBytes > 1e6);
  // private memory is part of RSS: more than a megabyte, less than the peak
  assert.ok(self.anonRssBytes > 1e6 && self.anonRssBytes < self.peakRssBytes);
  assert.equal(readProcStats(2 ** 22 + 12345), undefined); // above pid_max
  const a = selfCpuSeconds();
  let x = 0;
  for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
  assert.ok(x > 0);
  assert.ok(selfCpuSeconds() > a);
});

Deno.test("proc stats: UDP receive buffer errors from /proc/net/snmp", () => {
  const text = "Ip: Forwarding DefaultTTL\nIp: 2 64\n" +
    "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n" +
    "Udp: 11476936 135 1799191 13276324 1799190 0\n" +
    "UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors\nUdpLite: 0 0 0 0 7\n";
  assert.equal(parseUdpReceiveErrors(text), 1799190);
  assert.equal(parseUdpReceiveErrors("Udp: InDatagrams\nUdp: 5\n"), undefined);
  assert.equal(parseUdpReceiveErrors("Udp: RcvbufErrors\n"), undefined);
  assert.equal(parseUdpReceiveErrors("Udp: x RcvbufErrors\nUdp: 1 -3\n"), undefined);
  assert.equal(parseUdpReceiveErrors(""), undefined);
  for (let n = 0; n < text.length; n++) {
    const v = parseUdpReceiveErrors(text.slice(0, n));
    assert.ok(v === undefined || Number.isSafeInteger(v));
  }
  const live = readUdpReceiveErrors();
  if (Deno.build.os === "linux") assert.ok(live !== undefined && live >= 0);
});
