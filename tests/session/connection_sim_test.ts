/**
 * Whole-stack simulations: a client and a server TunnelConnection (crypt + FEC + KCP + snappy +
 * smux) over seeded lossy links and a virtual clock (tests/session/_stack_sim.ts). Every run
 * checks that each stream's bytes arrive exactly once and in order (sha-256 and count), that
 * every FIN arrives after the data sent before it, that the server detected the client's crypt,
 * compression and smux version, that no KCP sender put a segment outside its window and that
 * no smux v2 receiver held more than its advertised window.
 */

import assert from "node:assert/strict";
import {
  CLIENT_DEFAULTS,
  type EndConfig,
  evenStreams,
  SERVER_DEFAULTS,
  simulateStack,
  type StackSimOptions,
  type StackSimResult,
  type StreamPlan,
} from "./_stack_sim.ts";
import { LINK_PROFILES, type LinkProfile } from "../../lib/link/link.ts";
import { DETECTION_ORDER } from "../../lib/session/detect.ts";

const MIB = 1024 * 1024;
const TEN_MIB = 10 * MIB;
const U32 = 2 ** 32;
/** 20 ms round trip. */
const WAN: LinkProfile = { delayMs: 10 };
/** kcptun's default MSS: 1350 − 20 (nonce + crc) − 8 (FEC) − 24 (KCP). */
const MSS_DEFAULT = 1298;

function clientCfg(r: StackSimOptions): EndConfig {
  return { ...CLIENT_DEFAULTS, ...r.client };
}

/** Everything every run must satisfy. */
function assertDelivered(opts: StackSimOptions, r: StackSimResult): void {
  assert.deepEqual(r.violations, []);
  assert.equal(r.clientClosed, undefined);
  assert.equal(r.serverClosed, undefined);
  assert.ok(r.completed, `incomplete after ${r.simMs} ms`);
  assert.equal(r.streams.length, opts.streams.length);
  r.streams.forEach((s, i) => {
    const plan = opts.streams[i];
    assert.equal(s.sid, 3 + 2 * i);
    assert.equal(s.up.sent, plan.up);
    assert.equal(s.up.received, plan.up, `stream ${s.sid} up`);
    assert.equal(s.up.receivedSha256, s.up.sourceSha256, `stream ${s.sid} up`);
    assert.equal(s.down.sent, plan.down);
    assert.equal(s.down.received, plan.down, `stream ${s.sid} down`);
    assert.equal(s.down.receivedSha256, s.down.sourceSha256, `stream ${s.sid} down`);
    assert.ok(s.up.eof && s.down.eof);
  });
  // both FINs passed and everything was read: both smux sessions forgot every stream
  assert.equal(r.clientStreamsLeft, 0);
  assert.equal(r.serverStreamsLeft, 0);
  const c = clientCfg(opts);
  assert.equal(r.serverCrypt, c.crypt);
  assert.equal(r.serverCompress, c.compress);
  assert.equal(r.serverSmuxVersion, c.smuxVersion);
  for (const snmp of [r.clientSnmp, r.serverSnmp]) {
    assert.equal(snmp.InCsumErrors, 0);
    assert.equal(snmp.InErrs, 0);
    assert.equal(snmp.KCPInErrors, 0);
  }
}

/** Window use on the wire with kcptun's windows (client 128/512, server 1024/1024). */
function assertWindowsFilled(r: StackSimResult, mss = MSS_DEFAULT): void {
  const upWnd = CLIENT_DEFAULTS.sndwnd; // 128
  const downWnd = Math.min(SERVER_DEFAULTS.sndwnd, CLIENT_DEFAULTS.rcvwnd); // 512
  assert.equal(r.up.maxInFlight, upWnd, "client: its sndwnd was reached, never exceeded");
  assert.equal(r.down.maxInFlight, downWnd, "server: the client's rcvwnd reached, not exceeded");
  assert.ok(r.up.maxUnackedBytes <= upWnd * mss && r.up.maxUnackedBytes > (upWnd - 8) * mss);
  assert.ok(
    r.down.maxUnackedBytes <= downWnd * mss && r.down.maxUnackedBytes > (downWnd - 32) * mss,
  );
}

function lossRate(r: StackSimResult): number {
  return (r.upLink.lost + r.downLink.lost) / (r.upLink.sent + r.downLink.sent);
}

function tenMibEachWay(seed: number, link: LinkProfile, extra: Partial<StackSimOptions> = {}) {
  const opts: StackSimOptions = {
    seed,
    up: link,
    down: link,
    streams: evenStreams(4, TEN_MIB, TEN_MIB),
    ...extra,
  };
  return { opts, r: simulateStack(opts) };
}

Deno.test("stack sim: 10 MiB each way over 4 streams, clean 20 ms link, kcptun defaults", () => {
  const { opts, r } = tenMibEachWay(1, WAN);
  assertDelivered(opts, r);
  assertWindowsFilled(r);
  assert.equal(r.upLink.lost + r.downLink.lost, 0);
  assert.equal(r.clientSnmp.RetransSegs + r.serverSnmp.RetransSegs, 0);
  assert.equal(r.clientSnmp.FECRecovered + r.serverSnmp.FECRecovered, 0);
  assert.ok(r.clientSnmp.FECParityShards > 0 && r.serverSnmp.FECParityShards > 0);
  // snmp byte counters agree across the link: what one KCP sent is what the other received
  assert.equal(r.clientSnmp.BytesSent, r.serverSnmp.BytesReceived);
  assert.equal(r.serverSnmp.BytesSent, r.clientSnmp.BytesReceived);
});

for (const loss of [0.02, 0.1, 0.3]) {
  Deno.test(`stack sim: 10 MiB each way over 4 streams at ${loss * 100} % Bernoulli loss`, () => {
    const { opts, r } = tenMibEachWay(10 + loss * 100, { ...WAN, loss });
    assertDelivered(opts, r);
    assertWindowsFilled(r);
    const measured = lossRate(r);
    assert.ok(Math.abs(measured - loss) < 0.2 * loss + 0.005, `measured loss ${measured}`);
    assert.ok(r.clientSnmp.RetransSegs > 0 && r.serverSnmp.RetransSegs > 0);
    // FEC 10/3 on: lost data packets are rebuilt from parity on both sides
    assert.ok(r.clientSnmp.FECRecovered > 0 && r.serverSnmp.FECRecovered > 0);
  });
}

Deno.test("stack sim: FEC off (--crypt none --nocomp --ds 0 --ps 0, smux v1) at 10 % loss recovers nothing by FEC", () => {
  const plain = { crypt: "none", dataShards: 0, parityShards: 0 };
  const { opts, r } = tenMibEachWay(20, { ...WAN, loss: 0.1 }, {
    client: { ...plain, compress: false, smuxVersion: 1 },
    server: { ...plain },
  });
  assertDelivered(opts, r);
  assertWindowsFilled(r, 1350 - 20 - 24);
  for (const snmp of [r.clientSnmp, r.serverSnmp]) {
    assert.equal(snmp.FECRecovered, 0);
    assert.equal(snmp.FECParityShards, 0);
    assert.ok(snmp.RetransSegs > 0);
  }
});

Deno.test("stack sim: 10 MiB each way under Gilbert–Elliott burst loss", () => {
  // mean burst 4 packets, mean loss 0.02 / (0.02 + 0.25) ≈ 7.4 %
  const burst = { pGoodToBad: 0.02, pBadToGood: 0.25 };
  const { opts, r } = tenMibEachWay(30, { ...WAN, burst });
  assertDelivered(opts, r);
  assertWindowsFilled(r);
  const measured = lossRate(r);
  assert.ok(measured > 0.05 && measured < 0.1, `measured loss ${measured}`);
  assert.ok(r.clientSnmp.FECRecovered > 0 && r.serverSnmp.FECRecovered > 0);
});

Deno.test("stack sim: 10 MiB each way with reordering, duplication, jitter and 1 % loss", () => {
  const link: LinkProfile = {
    ...WAN,
    jitterMs: 4,
    reorder: 0.05,
    reorderDelayMs: 15,
    duplicate: 0.05,
    loss: 0.01,
  };
  const { opts, r } = tenMibEachWay(40, link);
  assertDelivered(opts, r);
  assertWindowsFilled(r);
  for (const l of [r.upLink, r.downLink]) assert.ok(l.reordered > 200 && l.duplicated > 200);
  // duplicates reach KCP as repeated segments and are dropped there
  assert.ok(r.clientSnmp.RepeatSegs > 0 && r.serverSnmp.RepeatSegs > 0);
});

Deno.test("stack sim: 4 MiB each way through a 20 Mbit/s bottleneck with tail drops", () => {
  const link: LinkProfile = { delayMs: 20, rateBps: 20_000_000 };
  const opts: StackSimOptions = {
    seed: 45,
    up: link,
    down: link,
    streams: evenStreams(3, 4 * MIB, 4 * MIB),
  };
  const r = simulateStack(opts);
  assertDelivered(opts, r);
  assert.ok(r.downLink.queueDrops > 0, "kcptun's nc=1 overruns the queue");
  assert.equal(r.upLink.lost + r.downLink.lost, 0);
});

/**
 * One download of `bytes` over `link` both ways, both ends run as the tunnel runs them (rate
 * control, adaptive FEC); checks that every byte arrived. `inspect` checks windows on the wire.
 */
function tunnelDownload(
  seed: number,
  link: LinkProfile,
  bytes: number,
  inspect: boolean,
): StackSimResult {
  const opts: StackSimOptions = {
    seed,
    up: link,
    down: link,
    streams: [{ up: 0, down: bytes }],
    maxWrite: 65536,
    inspect,
    tunnelDefaults: true,
  };
  const r = simulateStack(opts);
  assertDelivered(opts, r);
  return r;
}

Deno.test("stack sim: as the tunnel runs (rate control, adaptive FEC), a 20 MB download over the bursty 20 Mbit/s profile never stalls on the receiver's own pacing", () => {
  // Seed 29 once took 36.3 s instead of about 14: the client, which sends only ACKs and smux
  // window updates, paced them at its own measured trickle (a few hundred B/s) and charged each
  // retransmission of a small frame as a full segment, so one window update waited 22 s while
  // the server had nothing left it was allowed to send. Since pacing slices may hold 32
  // segments, seed 29's client no longer loses a frame it must retransmit; seed 33 (6 client
  // retransmissions) keeps that path under test.
  const r = tunnelDownload(33, LINK_PROFILES["bursty-20m-80ms-10pct"], 20_000_000, true);
  // 20 MB at about 11 Mbit/s of goodput: 14.0 s now, 36.3 s with the stall (seed 29)
  assert.ok(r.simMs < 18_000, `took ${r.simMs} ms`);
  assert.ok(r.serverSnmp.RetransSegs > 0 && r.clientSnmp.RetransSegs > 0);
});

Deno.test("stack sim: as the tunnel runs, 0.5 % loss brings one parity packet back when parity is off, not all of them", () => {
  // With parity off, 0.5 % raw loss plus a queue overflow showed 1.4-1.6 % retransmissions in a
  // window; all three parity packets came back, and the doubled backoff kept them for 4 s. The
  // seed 5 download took 12.48 s (38.5 Mbit/s); with one packet back it takes 11.09 s.
  const link: LinkProfile = { ...LINK_PROFILES["lossy-50m-40ms-2pct"], loss: 0.005 };
  const r = tunnelDownload(5, link, 60_000_000, false);
  assert.ok(r.simMs < 11_600, `took ${r.simMs} ms`);
});

Deno.test("stack sim: KCP sn and ts wrap past 2^32 mid-transfer (unbounded and uint32 clocks agree)", () => {
  const base: Partial<StackSimOptions> = {
    startClock: U32 - 700, // ts wraps 0.7 s in
    initialSn: U32 - 3000, // sn wraps after 3000 segments of the ~8100 each way
  };
  const link: LinkProfile = { ...WAN, loss: 0.05, reorder: 0.02 };
  const a = tenMibEachWay(50, link, { ...base, clockMode: "unbounded" });
  const b = tenMibEachWay(50, link, { ...base, clockMode: "uint32" });
  for (const { opts, r } of [a, b]) {
    assertDelivered(opts, r);
    assertWindowsFilled(r);
    assert.ok(r.simMs > 700, "the clock crossed 2^32");
    assert.ok(r.sndNxt.client > 4000 && r.sndNxt.client < 10000, `client sn ${r.sndNxt.client}`);
    assert.ok(r.sndNxt.server > 4000 && r.sndNxt.server < 10000, `server sn ${r.sndNxt.server}`);
  }
  // the engines only ever see time modulo 2^32: both clocks give the very same run
  assert.equal(a.r.simMs, b.r.simMs);
  assert.deepEqual(a.r.clientSnmp, b.r.clientSnmp);
  assert.deepEqual(a.r.serverSnmp, b.r.serverSnmp);
});

Deno.test("stack sim: same seed, same run", () => {
  const opts: StackSimOptions = {
    seed: 60,
    up: { ...WAN, loss: 0.05, jitterMs: 3, reorder: 0.03, duplicate: 0.02 },
    down: { ...WAN, burst: { pGoodToBad: 0.03, pBadToGood: 0.3 } },
    streams: evenStreams(3, MIB, MIB),
  };
  const a = simulateStack(opts);
  const b = simulateStack(opts);
  assertDelivered(opts, a);
  assert.deepEqual(a, b);
});

/** Every --crypt method, with a spread of compression, smux version and FEC shapes. */
const MATRIX: [string, boolean, 1 | 2, number, number][] = DETECTION_ORDER.map((crypt, i) => [
  crypt,
  i % 2 === 0,
  (i % 3 === 0 ? 1 : 2) as 1 | 2,
  [10, 0, 3, 1, 20][i % 5],
  [3, 0, 2, 1, 5][i % 5],
]);

for (const [crypt, compress, version, ds, ps] of MATRIX) {
  Deno.test(`stack sim: --crypt ${crypt} ${compress ? "snappy" : "--nocomp"} smux v${version} FEC ${ds}/${ps}, 5 % loss, server detects all three`, () => {
    const opts: StackSimOptions = {
      seed: 70 + crypt.length,
      up: { ...WAN, loss: 0.05, reorder: 0.02 },
      down: { ...WAN, loss: 0.05, reorder: 0.02 },
      streams: evenStreams(2, 384 * 1024, 384 * 1024),
      // server keeps kcptun's 10/3 whatever the client uses: the decoder auto-tunes (§4.6)
      client: { crypt, compress, smuxVersion: version, dataShards: ds, parityShards: ps },
    };
    const r = simulateStack(opts);
    assertDelivered(opts, r);
    if (ds > 0) assert.ok(r.serverSnmp.FECRecovered > 0, "server tuned to the client's FEC");
    else assert.equal(r.serverSnmp.FECRecovered, 0);
  });
}

Deno.test("stack sim: smux v2 stream windows hold while the client stops reading", () => {
  const streamBuf = 65536;
  const opts: StackSimOptions = {
    seed: 80,
    up: { ...WAN, loss: 0.02 },
    down: { ...WAN, loss: 0.02 },
    streams: evenStreams(4, 4 * 100_000, TEN_MIB),
    readPause: { side: "client", fromMs: 100, toMs: 3000 },
    client: { smux: { ...CLIENT_DEFAULTS.smux, maxStreamBuffer: streamBuf } },
  };
  const r = simulateStack(opts);
  assertDelivered(opts, r);
  // each stream filled exactly its advertised window, never more
  assert.equal(r.maxStreamWindowUse.client, streamBuf);
  assert.equal(r.maxBuffered.client, 4 * streamBuf);
  assert.ok(r.simMs > 3000);
});

Deno.test("stack sim: smux v1 (no stream windows) — session budget, then KCP's zero window hold the sender", () => {
  const budget = MIB;
  const opts: StackSimOptions = {
    seed: 81,
    up: { ...WAN, loss: 0.02 },
    down: { ...WAN, loss: 0.02 },
    streams: evenStreams(4, 4 * 100_000, TEN_MIB),
    readPause: { side: "client", fromMs: 100, toMs: 3000 },
    client: {
      smuxVersion: 1,
      smux: { ...CLIENT_DEFAULTS.smux, maxReceiveBuffer: budget, maxStreamBuffer: budget / 2 },
    },
  };
  const r = simulateStack(opts);
  assertDelivered(opts, r);
  // the pump stops feeding smux at the budget (overshoot < one 64 KiB KCP read) ...
  assert.ok(r.maxBuffered.client >= budget && r.maxBuffered.client < budget + 65536);
  // ... and the rest waited in KCP: the server never sent past the client's advertised window
  assert.equal(r.down.maxInFlight, 512);
  assert.ok(r.simMs > 3000);
});

Deno.test("stack sim: half-close — data sent before a FIN always arrives, data after a received FIN too", () => {
  const streams: StreamPlan[] = [
    { up: 2 * MIB, down: 0 }, // server FINs at once, keeps reading
    { up: 0, down: 2 * MIB }, // client FINs at once, keeps reading
    { up: MIB, down: MIB, serverAfterEof: true }, // server answers after the client's FIN
    { up: MIB, down: MIB, clientAfterEof: true }, // client answers after the server's FIN
    { up: 1, down: 1 },
  ];
  for (const [seed, link] of [[90, WAN], [91, { ...WAN, loss: 0.1, reorder: 0.05 }]] as const) {
    const opts: StackSimOptions = { seed, up: link, down: link, streams };
    assertDelivered(opts, simulateStack(opts));
  }
});

const STORM_METHODS: [string, number, number][] = [
  // method, first and last+1 byte a bit flip may hit without failing authentication
  ["aes", 0, 0], // CFB: a flip in block 0 garbles block 1 (the crc)
  ["aes-128-gcm", 0, 0],
  ["none", 0, 16], // the nonce is not covered by the crc
  ["salsa20", 8, 16], // bytes 8..15 are the keystream-covered, unchecked nonce half
];

for (const [crypt, lo, hi] of STORM_METHODS) {
  Deno.test(`stack sim: a junk storm into both ends mid-transfer (--crypt ${crypt}) only moves counters`, () => {
    const count = 600;
    const { opts, r } = tenMibEachWay(100, { ...WAN, loss: 0.02 }, {
      client: { crypt },
      storm: { atMs: 400, count },
    });
    assertDelivered(
      opts,
      {
        ...r,
        clientSnmp: { ...r.clientSnmp, InCsumErrors: 0 },
        serverSnmp: { ...r.serverSnmp, InCsumErrors: 0 },
      },
    );
    assert.equal(r.junk.client, count);
    assert.equal(r.junk.server, count);
    // every junk datagram failed authentication, except bit flips in an unauthenticated nonce
    // (a valid copy of a real datagram, which KCP treats as a duplicate)
    for (const j of r.junkAccepted) {
      assert.equal(j.kind, "bitflip");
      assert.ok(j.flippedByte >= lo && j.flippedByte < hi, `byte ${j.flippedByte}`);
    }
    assert.equal(
      r.clientSnmp.InCsumErrors + r.serverSnmp.InCsumErrors,
      2 * count - r.junk.accepted,
    );
    if (hi === 0) assert.equal(r.junk.accepted, 0);
  });
}

Deno.test("stack sim: random junk into both ends of a --crypt null session is dropped by FEC/KCP checks", () => {
  // null has no integrity check at all: a modified copy of a real datagram is a real datagram
  // (as in kcp-go), so only datagrams not derived from traffic are thrown here
  const count = 600;
  const { opts, r } = tenMibEachWay(101, { ...WAN, loss: 0.02 }, {
    client: { crypt: "null", dataShards: 0, parityShards: 0, compress: false },
    server: { dataShards: 0, parityShards: 0 },
    storm: { atMs: 400, count, kinds: ["random", "short", "oversize", "truncated"] },
  });
  const quiet = (s: typeof r.clientSnmp) => ({ ...s, InErrs: 0, KCPInErrors: 0 });
  assertDelivered(opts, { ...r, clientSnmp: quiet(r.clientSnmp), serverSnmp: quiet(r.serverSnmp) });
  assert.equal(r.junk.accepted, 2 * count); // nothing to authenticate: input takes it all
  for (const snmp of [r.clientSnmp, r.serverSnmp]) {
    assert.equal(snmp.InCsumErrors, 0);
    assert.ok(snmp.InErrs > 0 && snmp.KCPInErrors > 0);
  }
});

Deno.test("stack sim: an idle tunnel lives on smux keepalives, then carries data after 65 s", () => {
  const opts: StackSimOptions = {
    seed: 110,
    up: { ...WAN, loss: 0.02 },
    down: { ...WAN, loss: 0.02 },
    streams: [{ up: 100_000, down: 100_000, startAtMs: 65_000 }],
  };
  const r = simulateStack(opts);
  assertDelivered(opts, r);
  assert.ok(r.simMs > 65_000);
  // a NOP every 10 s from each side kept both keepalive checks (every 30 s) satisfied
  assert.ok(r.nops.client >= 6 && r.nops.server >= 6, JSON.stringify(r.nops));
});

Deno.test("stack sim: a dead link closes both ends by smux keepalive timeout", () => {
  const opts: StackSimOptions = {
    seed: 111,
    up: WAN,
    down: WAN,
    streams: [{ up: 1000, down: 1000, startAtMs: 500_000 }],
    outage: { fromMs: 1000, toMs: 1_000_000 },
    until: "closed",
  };
  const r = simulateStack(opts);
  assert.deepEqual(r.violations, []);
  assert.ok(r.outageDrops > 0);
  for (const reason of [r.clientClosed, r.serverClosed]) {
    assert.match(reason ?? "", /^Keepalive timeout/);
  }
  // the client never heard a frame (the server's first NOP was lost): closed at its first check;
  // the server had the SYN before the outage: closed at its second check
  assert.equal(r.closedAt.client, 30_000);
  assert.ok(r.closedAt.server > 60_000 && r.closedAt.server < 60_100, `${r.closedAt.server}`);
});

Deno.test("stack sim: mismatched settings end the session cleanly, never throw", () => {
  const base = { up: WAN, down: WAN, streams: [{ up: 50_000, down: 50_000 }] };
  // server pinned to snappy, client --nocomp: the snappy decoder rejects the first bytes
  let r = simulateStack({
    ...base,
    seed: 120,
    client: { compress: false },
    server: { compress: true },
  });
  assert.match(r.serverClosed ?? "", /^Compression error/);
  // server pinned to smux v2, client v1: smux protocol error on the first frame
  r = simulateStack({ ...base, seed: 121, client: { smuxVersion: 1 }, server: { smuxVersion: 2 } });
  assert.match(r.serverClosed ?? "", /^Protocol error: frame version 1 on a version 2 session/);
  // server pinned to another crypt: every datagram fails, no session, the client times out
  r = simulateStack({ ...base, seed: 122, client: { crypt: "aes" }, server: { crypt: "salsa20" } });
  assert.equal(r.serverCrypt, undefined);
  assert.equal(r.serverSnmp.InCsumErrors, r.upLink.delivered);
  assert.match(r.clientClosed ?? "", /^Keepalive timeout/);
});
