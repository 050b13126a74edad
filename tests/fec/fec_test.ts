import assert from "node:assert/strict";
import {
  FEC_HEADER_SIZE,
  FEC_HEADER_SIZE_PLUS2,
  FEC_TYPE_DATA,
  FEC_TYPE_OOB,
  FEC_TYPE_PARITY,
  FecDecoder,
  FecEncoder,
  fecType,
} from "../../lib/fec/fec.ts";
import { fromHex, toHex } from "../_helpers/bytes.ts";
import { Mulberry32 } from "../_helpers/rng.ts";
import { loadVector } from "../_helpers/vectors.ts";

const packetJson = loadVector("packet.json");
const fecLatest = loadVector("latest/fec-latest.json");
const gcmJson = loadVector("latest/gcm.json");
const nullJson = loadVector("latest/null.json");

/** Largest FEC packet kcp-go can receive (mtuLimit 1500, no crypto header). */
const MAX = 1500;

// deno-lint-ignore no-explicit-any
type Rec = any;

/** The FEC packet (from its seqid on) of a vector datagram record, whatever the crypto. */
function fecPacketOf(rec: Rec): Uint8Array {
  if (rec.fec_packet) return fromHex(rec.fec_packet);
  if (rec.plaintext !== undefined) return fromHex(rec.plaintext);
  if (rec.decrypted !== undefined) return fromHex(rec.decrypted).subarray(20);
  return fromHex(rec.datagram);
}

function seqidOf(p: Uint8Array): number {
  return (p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24)) >>> 0;
}

/** One emitted FEC packet (copied out of the encoder). */
interface Emitted {
  seqid: number;
  type: number;
  bytes: Uint8Array;
}

/**
 * Drives an encoder the way a session would: KCP bytes written at `headroom + 8` of one
 * reused buffer (at byte offset `shift` of its ArrayBuffer), parity read back right away.
 */
class Sender {
  readonly enc: FecEncoder;
  readonly #buf: Uint8Array;
  readonly #h: number;

  constructor(
    ds: number,
    ps: number,
    opts: { headroom?: number; tailroom?: number; skip?: number; first?: number; shift?: number } =
      {},
  ) {
    this.#h = opts.headroom ?? 20;
    this.enc = new FecEncoder(ds, ps, this.#h, opts.tailroom ?? 16, MAX, {
      skipParityAfterGapMs: opts.skip ?? 0,
      initialSeqid: opts.first ?? 0,
    });
    const shift = opts.shift ?? 0;
    this.#buf = new Uint8Array(this.#h + MAX + 16 + shift).subarray(shift);
  }

  /** Frame one KCP packet; returns the data packet followed by any parity packets. */
  send(kcp: Uint8Array, now = 0): Emitted[] {
    const h = this.#h, buf = this.#buf;
    buf.fill(0xcc); // stale bytes must never leak into the output
    buf.set(kcp, h + FEC_HEADER_SIZE_PLUS2);
    const ready = this.enc.encode(buf, kcp.length, now);
    const out: Emitted[] = [];
    const data = buf.slice(h, h + FEC_HEADER_SIZE_PLUS2 + kcp.length);
    out.push({ seqid: seqidOf(data), type: FEC_TYPE_DATA, bytes: data });
    for (let i = 0; i < ready; i++) {
      const pkt = this.enc.parityPacket(i);
      assert.ok(pkt.length >= h + this.enc.parityLength + 16);
      const bytes = pkt.slice(h, h + this.enc.parityLength);
      out.push({ seqid: seqidOf(bytes), type: FEC_TYPE_PARITY, bytes });
    }
    return out;
  }
}

/**
 * Replay the data packets of `recs` (one direction, in order) through an encoder and check
 * that it emits exactly the recorded FEC packets. Returns the number of parity packets.
 */
function replay(recs: Rec[], ds: number, ps: number, skip: number, label: string): number {
  const fecRecs = recs.filter((r) => r.kind === "data" || r.kind === "parity");
  const expected = fecRecs.map((r) => toHex(fecPacketOf(r)));
  const sender = new Sender(ds, ps, { skip });
  const actual: string[] = [];
  for (const r of fecRecs) {
    if (r.kind !== "data") continue;
    for (const e of sender.send(fromHex(r.kcp_packet), r.time_ms ?? 0)) actual.push(toHex(e.bytes));
  }
  assert.deepEqual(actual, expected, label);
  // Field-level checks against the decoded columns of the vectors.
  fecRecs.forEach((r, i) => {
    const p = fecPacketOf(r);
    assert.equal(seqidOf(p), r.fec_seqid, `${label} #${i} seqid`);
    assert.equal(p[4] | (p[5] << 8), r.kind === "data" ? FEC_TYPE_DATA : FEC_TYPE_PARITY);
    if (r.kind === "data") {
      assert.equal(p[6] | (p[7] << 8), r.fec_size_field);
      assert.equal(r.fec_size_field, 2 + r.kcp_packet.length / 2);
    } else if (r.parity_shard !== undefined) {
      assert.equal(toHex(p.subarray(FEC_HEADER_SIZE)), r.parity_shard);
    }
  });
  return fecRecs.filter((r) => r.kind === "parity").length;
}

/** Feed FEC packets to a decoder; returns the recovered KCP packets as hex. */
function feed(dec: FecDecoder, pkts: Uint8Array[], now = 0): string[] {
  const out: string[] = [];
  for (const p of pkts) {
    const n = dec.decode(p, p.length, now);
    for (let i = 0; i < n; i++) out.push(toHex(dec.recovered(i)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Constants and classification

Deno.test("fec: constants match fec-latest.json", () => {
  const c = fecLatest.constants;
  assert.equal(FEC_HEADER_SIZE, c.fec_header_size);
  assert.equal(FEC_HEADER_SIZE_PLUS2, c.fec_header_size_plus_size_field);
  assert.equal(FEC_TYPE_DATA, parseInt(c.type_data, 16));
  assert.equal(FEC_TYPE_PARITY, parseInt(c.type_parity, 16));
  assert.equal(FEC_TYPE_OOB, parseInt(c.type_oob, 16));
});

Deno.test("fec: fecType classifies data, parity, OOB and plain KCP", () => {
  for (const c of packetJson.hand_built) {
    for (const d of c.datagrams) {
      if (c.crypt !== null) continue;
      const p = fromHex(d.datagram);
      const expected = d.kind === "data" && c.data_shards > 0
        ? FEC_TYPE_DATA
        : d.kind === "parity"
        ? FEC_TYPE_PARITY
        : 0;
      assert.equal(fecType(p, 0, p.length), expected, `${c.name} #${d.index}`);
    }
  }
  for (const h of fecLatest.oob.hand_built) {
    const p = fromHex(h.oob_packet);
    assert.equal(fecType(p, 0, p.length), FEC_TYPE_OOB);
  }
  // At an offset (after a 20-byte crypto header), and the plain §11.1 KCP segment.
  const seg = fromHex("4433221151000002e803000000000000000000000500000068656c6c6f");
  const framed = new Uint8Array(20 + seg.length);
  framed.set(seg, 20);
  assert.equal(fecType(framed, 20, seg.length), 0);
  for (let cmd = 81; cmd <= 84; cmd++) {
    for (let frg = 0; frg < 256; frg++) {
      assert.equal(fecType(Uint8Array.of(1, 2, 3, 4, cmd, frg, 0, 0), 0, 8), 0);
    }
  }
  // Short or out-of-range input gives 0, never throws.
  const f1 = Uint8Array.of(0, 0, 0, 0, 0xf1, 0, 2, 0);
  assert.equal(fecType(f1, 0, 6), FEC_TYPE_DATA);
  assert.equal(fecType(f1, 0, 5), 0);
  assert.equal(fecType(f1, 3, 6), 0);
  assert.equal(fecType(f1, -1, 6), 0);
  assert.equal(fecType(new Uint8Array(0), 0, 0), 0);
});

// ---------------------------------------------------------------------------------------------
// Encoder against the vectors

Deno.test("fec encoder: packet.json hand-built FEC cases, byte for byte", () => {
  let cases = 0;
  for (const c of packetJson.hand_built) {
    if (c.data_shards === 0) continue;
    cases++;
    replay(c.datagrams, c.data_shards, c.parity_shards, 0, c.name);
  }
  assert.equal(cases, 4);
});

Deno.test("fec encoder: packet.json, gcm.json and null.json library sessions", () => {
  const sessions = [
    ...packetJson.library_sessions,
    ...gcmJson.library_sessions,
    ...nullJson.library_sessions,
  ].filter((s) => s.data_shards > 0);
  assert.equal(sessions.length, 5);
  for (const s of sessions) {
    const recs = s.datagrams.filter((d: Rec) =>
      (d.direction ?? "client_to_server") === "client_to_server"
    );
    const parity = replay(recs, s.data_shards, s.parity_shards, 0, s.name);
    assert.equal(parity, s.parity_shards, s.name);
  }
});

Deno.test("fec encoder: latest OOB sessions (OOB packets take no seqid)", () => {
  for (const key of ["library_session", "library_session_aes", "library_session_gcm"]) {
    const s = fecLatest.oob[key];
    for (const dir of ["client_to_server", "server_to_client"]) {
      const recs = s.datagrams.filter((d: Rec) => d.direction === dir);
      replay(recs, s.data_shards, s.parity_shards, 500, `${key} ${dir}`);
      for (const r of recs.filter((d: Rec) => d.kind === "oob")) {
        const p = fecPacketOf(r);
        assert.equal(seqidOf(p), 0xffffffff);
        assert.equal(fecType(p, 0, p.length), FEC_TYPE_OOB);
      }
    }
  }
});

Deno.test("fec encoder: latest parity skipping (500 ms gap, ds=1 first packet)", () => {
  const [gap, oneOne] = fecLatest.parity_skipping;
  assert.equal(gap.name, "null_fec_3_2_gap");
  assert.equal(oneOne.name, "null_fec_1_1");
  for (const s of [gap, oneOne]) {
    const recs = s.datagrams.filter((d: Rec) => d.direction === "client_to_server");
    replay(recs, s.data_shards, s.parity_shards, 500, s.name);
    // The summarised sequence agrees with the datagrams.
    assert.deepEqual(
      recs.map((r: Rec) => [r.fec_seqid, r.kind]),
      s.client_to_server_sequence.map((r: Rec) => [r.fec_seqid, r.kind]),
    );
  }
  // The same writes with skipping off (2021): every group gets its parity, no seqid gaps.
  const sender = new Sender(3, 2);
  const seqids: number[] = [];
  for (const r of gap.datagrams.filter((d: Rec) => d.direction === "client_to_server")) {
    if (r.kind === "data") {
      for (const e of sender.send(fromHex(r.kcp_packet), r.time_ms)) seqids.push(e.seqid);
    }
  }
  assert.deepEqual(seqids, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // ds = 1 with skipping off: the first packet does get parity.
  const one = new Sender(1, 1);
  assert.equal(one.send(Uint8Array.of(1, 2, 3), 7).length, 2);
  // Skipping on, threshold boundaries: a gap of exactly the threshold skips, one less does not.
  const s3 = new Sender(2, 1, { skip: 500 });
  assert.equal(s3.send(new Uint8Array(30), 1000).length, 1);
  assert.equal(s3.send(new Uint8Array(30), 1499).length, 2);
  assert.equal(s3.send(new Uint8Array(30), 1600).length, 1);
  assert.equal(s3.send(new Uint8Array(30), 2100).length, 1); // 500 ms: skipped
  assert.equal(s3.enc.nextSeqid, 6); // data 3, 4, skipped parity 5
  // uint32 wrap of `now` is a small step, not a gap.
  assert.equal(s3.send(new Uint8Array(30), 0xfffffff0).length, 1);
  assert.equal(s3.send(new Uint8Array(30), 0x10).length, 2);
});

Deno.test("fec encoder: live captures (2021 and latest) are reproduced exactly", () => {
  const captures = [
    ["capture-default.json", 0],
    ["latest/capture-latest-default.json", 500],
    ["latest/capture-latest-gcm-qpp.json", 500],
  ] as const;
  for (const [file, skip] of captures) {
    const cap = loadVector(file);
    const ds = cap.settings.datashard, ps = cap.settings.parityshard;
    for (const stream of cap.streams) {
      const recs = cap.datagrams.filter((d: Rec) => d.direction === stream.direction);
      const parity = replay(recs, ds, ps, skip, `${file} ${stream.direction}`);
      assert.equal(parity, stream.parity_datagrams_recomputed_ok, `${file} ${stream.direction}`);
    }
  }
});

Deno.test("fec encoder: seqid wrap at paws for fec-latest.json's (ds, ps) pairs", () => {
  for (const c of fecLatest.constants.paws) {
    const ds = c.data_shards, ps = c.parity_shards, n = ds + ps;
    assert.equal(c.paws, Math.floor(0xffffffff / n) * n);
    const sender = new Sender(ds, ps, { first: c.paws - n });
    const seqids: number[] = [];
    for (let i = 0; i < ds + 1; i++) {
      for (const e of sender.send(new Uint8Array(24), 0)) seqids.push(e.seqid);
    }
    const expected = Array.from({ length: n }, (_, i) => c.paws - n + i);
    expected.push(0);
    assert.deepEqual(seqids.slice(0, n + 1), expected, `(${ds},${ps})`);
    assert.equal(seqids[n - 1], c.last_seqid_before_wrap);
    // Skipped parity also wraps.
    const skipper = new Sender(ds, ps, { first: c.paws - n, skip: 1 });
    for (let i = 0; i < ds; i++) skipper.send(new Uint8Array(24), i * 10);
    assert.equal(skipper.enc.nextSeqid, 0);
  }
});

Deno.test("fec encoder: constructor and encode validate their arguments", () => {
  const bad: [number, number, number, number, number, object][] = [
    [0, 3, 0, 0, MAX, {}],
    [10, 0, 0, 0, MAX, {}],
    [-1, 3, 0, 0, MAX, {}],
    [200, 57, 0, 0, MAX, {}],
    [10, 3, -1, 0, MAX, {}],
    [10, 3, 0, 1.5, MAX, {}],
    [10, 3, 0, 0, 7, {}],
    [10, 3, 0, 0, 70000, {}],
    [10, 3, 0, 0, MAX, { skipParityAfterGapMs: -1 }],
    [10, 3, 0, 0, MAX, { skipParityAfterGapMs: NaN }],
    [10, 3, 0, 0, MAX, { initialSeqid: 5 }],
    [10, 3, 0, 0, MAX, { initialSeqid: 4294967287 }],
  ];
  for (const [ds, ps, h, t, m, o] of bad) {
    assert.throws(() => new FecEncoder(ds, ps, h, t, m, o), RangeError, `${[ds, ps, h, t, m]}`);
  }
  assert.throws(() => new FecEncoder(0, 0, 0, 0, MAX), {
    message: "Data shards must be 1..255, got 0",
  });
  const enc = new FecEncoder(2, 1, 4, 0, 100);
  const buf = new Uint8Array(200);
  assert.throws(() => enc.encode(buf, 93, 0), RangeError); // 8 + 93 > maxSize
  assert.throws(() => enc.encode(new Uint8Array(40), 30, 0), RangeError); // buffer too short
  assert.throws(() => enc.parityPacket(0), RangeError);
  assert.equal(enc.encode(buf, 92, 0), 0);
  assert.equal(enc.encode(buf, 0, 0), 1);
  assert.equal(enc.parityLength, 6 + 94);
  assert.throws(() => enc.parityPacket(1), RangeError);
  enc.encode(buf, 10, 0);
  assert.throws(() => enc.parityPacket(0), RangeError); // stale after the next encode
});

Deno.test("fec encoder: output is independent of buffer alignment, headroom and stale bytes", () => {
  const rng = new Mulberry32(11);
  const kcps = Array.from({ length: 23 }, () => rng.bytes(1 + rng.int(600)));
  let reference: string[] | null = null;
  for (const shift of [0, 1, 2, 3, 5]) {
    for (const headroom of [0, 1, 12, 20, 23]) {
      const sender = new Sender(7, 5, { headroom, shift, tailroom: 3 });
      const out = kcps.flatMap((k) => sender.send(k).map((e) => toHex(e.bytes)));
      if (reference === null) reference = out;
      else assert.deepEqual(out, reference, `shift ${shift} headroom ${headroom}`);
    }
  }
  assert.equal(reference!.length, 23 + 3 * 5);
});

// ---------------------------------------------------------------------------------------------
// Decoder against the vectors

Deno.test("fec decoder: gcm.json withheld data seqid 1 of a 3/2 group is rebuilt", () => {
  const check = gcmJson.receiver_checks.find((c: Rec) => c.name === "fec_3_2_recovery");
  const dec = new FecDecoder(check.receiver_data_shards, check.receiver_parity_shards, MAX);
  const sent = check.group.filter((g: Rec) => g.sent_to_receiver).map((g: Rec) =>
    fromHex(g.fec_packet)
  );
  const lost = check.group.find((g: Rec) => !g.sent_to_receiver);
  assert.deepEqual(feed(dec, sent), [lost.kcp_packet]);
  assert.equal(dec.stats.recovered, 1);
});

Deno.test("fec decoder: gcm_fec_10_3_loss session recovers its dropped datagram", () => {
  const s = gcmJson.library_sessions.find((x: Rec) => x.name === "gcm_fec_10_3_loss");
  const recs = s.datagrams.filter((d: Rec) => d.direction === "client_to_server");
  const dec = new FecDecoder(10, 3, MAX);
  const got = feed(dec, recs.filter((r: Rec) => !r.dropped_by_test_network).map(fecPacketOf));
  assert.deepEqual(
    got,
    recs.filter((r: Rec) => r.dropped_by_test_network).map((r: Rec) => r.kcp_packet),
  );
  assert.equal(dec.stats.recovered, s.snmp_counter_changes.FECRecovered);
});

Deno.test("fec decoder: captures — every single lost data packet of a protected group is rebuilt", () => {
  for (const file of ["capture-default.json", "latest/capture-latest-default.json"]) {
    const cap = loadVector(file);
    const ds = cap.settings.datashard, ps = cap.settings.parityshard, n = ds + ps;
    for (const stream of cap.streams) {
      const recs = cap.datagrams.filter((d: Rec) => d.direction === stream.direction);
      const protectedGroups = new Set(
        recs.filter((r: Rec) => r.kind === "parity").map((r: Rec) => Math.floor(r.fec_seqid / n)),
      );
      let checked = 0;
      for (const victim of recs) {
        if (victim.kind !== "data" || !protectedGroups.has(Math.floor(victim.fec_seqid / n))) {
          continue;
        }
        const dec = new FecDecoder(ds, ps, MAX);
        const got = feed(dec, recs.filter((r: Rec) => r !== victim).map(fecPacketOf));
        assert.deepEqual(got, [victim.kcp_packet], `${file} seqid ${victim.fec_seqid}`);
        checked++;
      }
      assert.equal(checked, protectedGroups.size * ds);
      // Lose ps data packets of every protected group at once: all come back, nothing else.
      const lost = recs.filter((r: Rec) =>
        r.kind === "data" && protectedGroups.has(Math.floor(r.fec_seqid / n)) &&
        r.fec_seqid % n >= ds - ps
      );
      const dec = new FecDecoder(ds, ps, MAX);
      const got = feed(dec, recs.filter((r: Rec) => !lost.includes(r)).map(fecPacketOf));
      assert.deepEqual(got.sort(), lost.map((r: Rec) => r.kcp_packet).sort(), file);
      assert.equal(dec.stats.errors, 0);
      assert.equal(dec.stats.duplicates, 0);
    }
  }
});

Deno.test("fec decoder: fec-latest autotune_session (sender 3/2, receiver 10/3)", () => {
  const s = fecLatest.autotune_session;
  const recs = s.datagrams.filter((d: Rec) => d.direction === "client_to_server");
  const dropped = recs.filter((r: Rec) => r.dropped_by_test_network);
  assert.equal(dropped.length, 1);
  assert.equal(dropped[0].fec_seqid, 16);
  for (
    const [ds, ps] of [[s.server_data_shards, s.server_parity_shards], [0, 0], [1, 1], [20, 5]]
  ) {
    const dec = new FecDecoder(ds, ps, MAX);
    const got = feed(dec, recs.filter((r: Rec) => !r.dropped_by_test_network).map(fecPacketOf));
    assert.deepEqual(got, [dropped[0].kcp_packet], `receiver (${ds},${ps})`);
    assert.equal(dec.dataShards, s.data_shards);
    assert.equal(dec.parityShards, s.parity_shards);
    assert.equal(dec.stats.autoTunes, 1);
    assert.equal(dec.stats.recovered, s.snmp_counter_changes.FECRecovered);
    assert.equal(dec.stats.errors, s.snmp_counter_changes.FECErrs);
    assert.equal(dec.stats.parityShards + dec.stats.dataShards, recs.length - 1);
  }
});

Deno.test("fec decoder: an unconfigured (0,0) decoder tunes to a 10/3 capture and recovers", () => {
  const cap = loadVector("latest/capture-latest-default.json");
  const recs = cap.datagrams.filter((d: Rec) => d.direction === "client_to_server");
  // Group 2 (seqids 26..38) has parity; by then the decoder has seen complete runs.
  const victim = recs.find((r: Rec) => r.fec_seqid === 30);
  const dec = new FecDecoder(0, 0, MAX);
  assert.equal(dec.dataShards, 0);
  const got = feed(dec, recs.filter((r: Rec) => r !== victim).map(fecPacketOf));
  assert.deepEqual(got, [victim.kcp_packet]);
  assert.equal(dec.dataShards, 10);
  assert.equal(dec.parityShards, 3);
  assert.equal(dec.stats.autoTunes, 1);
  // A matching configuration never re-tunes.
  const steady = new FecDecoder(10, 3, MAX);
  feed(steady, recs.map(fecPacketOf));
  assert.equal(steady.stats.autoTunes, 0);
});

// ---------------------------------------------------------------------------------------------
// Decoder behaviour

/** Build one encoded group stream: returns FEC packets and the KCP packets by data seqid. */
function makeStream(
  ds: number,
  ps: number,
  groups: number,
  rng: Mulberry32,
  opts: { first?: number; maxKcp?: number } = {},
): { pkts: Uint8Array[]; kcp: Map<number, string> } {
  const sender = new Sender(ds, ps, { first: opts.first ?? 0 });
  const pkts: Uint8Array[] = [];
  const kcp = new Map<number, string>();
  for (let i = 0; i < groups * ds; i++) {
    const k = rng.bytes(1 + rng.int(opts.maxKcp ?? 300));
    for (const e of sender.send(k)) {
      if (e.type === FEC_TYPE_DATA) kcp.set(e.seqid, toHex(k));
      pkts.push(e.bytes);
    }
  }
  return { pkts, kcp };
}

Deno.test("fec decoder: every loss pattern of a 3/2 group, recovered exactly once", () => {
  const rng = new Mulberry32(21);
  const { pkts, kcp } = makeStream(3, 2, 1, rng);
  for (let mask = 0; mask < 32; mask++) {
    const lost = [0, 1, 2, 3, 4].filter((i) => mask & (1 << i));
    const dec = new FecDecoder(3, 2, MAX);
    const got = feed(dec, pkts.filter((_, i) => !lost.includes(i)));
    const lostData = lost.filter((i) => i < 3);
    const expected = lost.length <= 2 ? lostData.map((i) => kcp.get(i)!) : [];
    assert.deepEqual(got, expected, `lost ${lost}`);
    // Once a group has been processed, replaying all of it returns nothing new.
    if (lost.length <= 2) assert.deepEqual(feed(dec, pkts), []);
  }
});

Deno.test("fec decoder: duplicates are counted and never recovered twice (incl. ds=1)", () => {
  const rng = new Mulberry32(22);
  const { pkts, kcp } = makeStream(3, 2, 1, rng);
  const dec = new FecDecoder(3, 2, MAX);
  assert.deepEqual(feed(dec, [pkts[0], pkts[0], pkts[3]]), []);
  assert.equal(dec.stats.duplicates, 1);
  assert.deepEqual(feed(dec, [pkts[3], pkts[4]]), [kcp.get(1)!, kcp.get(2)!]);
  assert.equal(dec.stats.duplicates, 2);
  assert.deepEqual(feed(dec, [pkts[1], pkts[2], pkts[4]]), []);

  // (1,1): parity equals data; whichever comes first, the packet is produced at most once.
  const one = makeStream(1, 1, 2, rng);
  const a = new FecDecoder(1, 1, MAX);
  assert.deepEqual(feed(a, one.pkts), []); // data first: nothing to rebuild
  const b = new FecDecoder(1, 1, MAX);
  assert.deepEqual(feed(b, [one.pkts[1], one.pkts[0], one.pkts[1]]), [one.kcp.get(0)!]);
  assert.equal(b.stats.recovered, 1);
});

Deno.test("fec decoder: a rebuilt shard with a bad size field counts an error", () => {
  // With (1,1) the parity shard equals the data shard, so a lone parity packet at odd seqid
  // 2g+1 "rebuilds" its own bytes, and its first two bytes act as the size field.
  const dec = new FecDecoder(1, 1, MAX);
  const parity = (seqid: number, size: number, len: number) => {
    const p = new Uint8Array(FEC_HEADER_SIZE + len);
    p[0] = seqid;
    p[4] = FEC_TYPE_PARITY;
    p[6] = size & 0xff;
    p[7] = size >>> 8;
    return p;
  };
  for (const [seqid, size] of [[1, 0], [3, 1], [5, 11], [7, 0xffff]]) {
    const p = parity(seqid, size, 10);
    assert.equal(dec.decode(p, p.length, 0), 0, `size ${size}`);
  }
  assert.equal(dec.stats.errors, 4);
  assert.equal(dec.stats.recovered, 0);
  const ok = parity(9, 10, 10);
  assert.equal(dec.decode(ok, ok.length, 0), 1);
  assert.equal(dec.recovered(0).length, 8);
  const empty = parity(11, 2, 10);
  assert.equal(dec.decode(empty, empty.length, 0), 1);
  assert.equal(dec.recovered(0).length, 0); // size 2: an empty KCP packet
  assert.throws(() => dec.recovered(1), RangeError);
  assert.equal(dec.stats.recovered, 2);
});

Deno.test("fec decoder: groups more than 3 behind the newest are dropped; resync after a restart", () => {
  const rng = new Mulberry32(23);
  const { pkts, kcp } = makeStream(3, 2, 10, rng);
  const dec = new FecDecoder(3, 2, MAX);
  // Group 0 loses data 1; its parity arrives only after group 4 has started: too late.
  const late = [pkts[3], pkts[4]];
  feed(dec, [pkts[0], pkts[2]]);
  feed(dec, pkts.slice(5, 20)); // groups 1..3 complete
  assert.deepEqual(feed(dec, late), [kcp.get(1)!]); // still within 3 groups: recovers
  assert.equal(dec.stats.recovered, 1);
  assert.equal(dec.stats.expired, 0);

  const dec2 = new FecDecoder(3, 2, MAX);
  feed(dec2, [pkts[0], pkts[2]]);
  feed(dec2, pkts.slice(5, 21)); // group 4 begins: group 0 is 4 behind, dropped
  assert.equal(dec2.stats.expired, 1);
  assert.deepEqual(feed(dec2, late), []);
  assert.equal(dec2.stats.expired, 3); // plus the two late packets
  assert.equal(dec2.stats.recovered, 0);

  // A sender restart (seqids back to 0) after many groups: after max(16, 2n) stale packets
  // the decoder starts over and recovers again.
  const dec3 = new FecDecoder(3, 2, MAX);
  feed(dec3, pkts.slice(0, 50));
  const again = makeStream(3, 2, 10, rng);
  const lossy = again.pkts.filter((_, i) => i !== 31); // data seqid 31 (group 6)
  assert.deepEqual(feed(dec3, lossy), [again.kcp.get(31)!]);
  // 15 stale packets are dropped, the 16th (seqid 15) restarts the window.
  assert.equal(dec3.stats.expired, 15);
  assert.equal(dec3.stats.recovered, 1);
});

Deno.test("fec decoder: incomplete groups expire after 60 s", () => {
  const rng = new Mulberry32(24);
  const { pkts, kcp } = makeStream(3, 2, 2, rng);
  const dec = new FecDecoder(3, 2, MAX);
  dec.decode(pkts[0], pkts[0].length, 1000);
  dec.decode(pkts[2], pkts[2].length, 1000);
  dec.decode(pkts[5], pkts[5].length, 61000); // exactly 60 s later: not yet expired
  assert.equal(dec.stats.expired, 0);
  assert.equal(dec.decode(pkts[3], pkts[3].length, 61000), 1);
  assert.equal(toHex(dec.recovered(0)), kcp.get(1));

  const dec2 = new FecDecoder(3, 2, MAX);
  dec2.decode(pkts[0], pkts[0].length, 0xfffff000); // times wrap around uint32
  dec2.decode(pkts[2], pkts[2].length, 0xfffff000);
  assert.equal(dec2.decode(pkts[3], pkts[3].length, 60000 - 0x1000 + 1), 0);
  assert.equal(dec2.stats.expired, 1);
});

Deno.test("fec decoder: recovery in the groups before and after the seqid wrap", () => {
  const rng = new Mulberry32(25);
  for (const [ds, ps] of [[10, 3], [3, 2], [1, 1], [20, 5]]) {
    const n = ds + ps;
    const paws = Math.floor(0xffffffff / n) * n;
    const { pkts, kcp } = makeStream(ds, ps, 4, rng, { first: paws - 2 * n });
    const seqids = pkts.map(seqidOf);
    assert.equal(seqids[2 * n - 1], paws - 1);
    assert.equal(seqids[2 * n], 0);
    // Lose the first data packet of the last group before the wrap and of the first after it.
    const lost = [paws - n, 0];
    const dec = new FecDecoder(ds, ps, MAX);
    const got = feed(dec, pkts.filter((p) => !lost.includes(seqidOf(p))));
    assert.deepEqual(got, lost.map((s) => kcp.get(s)!), `(${ds},${ps})`);
    assert.equal(dec.stats.expired, 0);
    assert.equal(dec.stats.errors, 0);
  }
});

Deno.test("fec decoder: seqid ≥ paws is an error; alignment of the input does not matter", () => {
  const dec = new FecDecoder(10, 3, MAX);
  const p = new Uint8Array(40);
  p.set([0xf7, 0xff, 0xff, 0xff, 0xf1, 0]); // 4294967287 = paws for (10,3)
  assert.equal(dec.decode(p, p.length, 0), 0);
  assert.equal(dec.stats.errors, 1);

  const rng = new Mulberry32(26);
  const { pkts, kcp } = makeStream(7, 5, 3, rng, { maxKcp: 1400 });
  for (const shift of [0, 1, 2, 3]) {
    const dec2 = new FecDecoder(7, 5, MAX);
    const got: string[] = [];
    for (const pkt of pkts) {
      if (seqidOf(pkt) % 12 < 3) continue; // lose 3 data packets per group
      const copy = new Uint8Array(pkt.length + 8).subarray(shift);
      copy.set(pkt);
      const k = dec2.decode(copy, pkt.length, 0);
      for (let i = 0; i < k; i++) got.push(toHex(dec2.recovered(i)));
    }
    const expected = [...kcp.keys()].filter((s) => s % 12 < 3).map((s) => kcp.get(s)!);
    assert.deepEqual(got, expected, `shift ${shift}`);
  }
});

Deno.test("fec decoder: constructor validation", () => {
  for (
    const [ds, ps, m] of [
      [-1, 0, MAX],
      [0, -1, MAX],
      [1.5, 1, MAX],
      [256, 1, MAX],
      [200, 57, MAX],
      [10, 3, 7],
      [10, 3, 70000],
    ]
  ) {
    assert.throws(() => new FecDecoder(ds, ps, m), RangeError, `${[ds, ps, m]}`);
  }
  assert.equal(new FecDecoder(0, 3, MAX).dataShards, 0); // kcp-go: either 0 means no decoder yet
  assert.equal(new FecDecoder(200, 56, MAX).parityShards, 56);
});

Deno.test("fec decoder: truncated, oversized and random packets never throw", () => {
  const rng = new Mulberry32(27);
  const { pkts } = makeStream(10, 3, 4, rng, { maxKcp: 1400 });
  for (const config of [[10, 3], [0, 0], [3, 2], [1, 1]]) {
    const dec = new FecDecoder(config[0], config[1], 1400);
    for (let round = 0; round < 3000; round++) {
      const src = pkts[rng.int(pkts.length)];
      const kind = rng.int(6);
      let p: Uint8Array, len: number;
      if (kind === 0) { // truncated
        len = rng.int(src.length);
        p = src.slice(0, len);
      } else if (kind === 1) { // len beyond the array, or beyond maxSize
        p = src;
        len = rng.int(2) === 0 ? src.length + 1 + rng.int(10) : 1401 + rng.int(100);
      } else if (kind === 2) { // random bytes
        len = rng.int(1500);
        p = rng.bytes(len);
      } else if (kind === 3) { // random bytes with a valid-looking header
        len = 8 + rng.int(1392);
        p = rng.bytes(len);
        p[4] = rng.int(2) ? FEC_TYPE_DATA : FEC_TYPE_PARITY;
        p[5] = 0;
        p[3] = 0; // keep seqids mostly below paws
      } else if (kind === 4) { // weird lengths
        p = src;
        len = [NaN, -1, 0.5, Infinity, -Infinity, 2 ** 40][rng.int(6)];
      } else { // a real packet, corrupted somewhere
        p = src.slice();
        p[rng.int(p.length)] ^= 1 << rng.int(8);
        len = p.length;
      }
      const before = dec.stats.errors;
      const k = dec.decode(p, len, round);
      assert.ok(Number.isInteger(k) && k >= 0);
      for (let i = 0; i < k; i++) assert.ok(dec.recovered(i).length <= 1400);
      if (!(len >= 8 && len <= Math.min(1400, p.length) && Number.isInteger(len))) {
        assert.equal(dec.stats.errors, before + 1, `kind ${kind} len ${len}`);
      }
    }
    assert.ok(dec.stats.errors > 1000);
  }
});

// ---------------------------------------------------------------------------------------------
// End to end: seeded lossy, reordering, duplicating channel; many (ds, ps); auto-tune

interface ChannelOptions {
  loss: number;
  dup: number;
  /** Probability of swapping a packet with the next one. */
  swap: number;
}

/** Pass packets through a seeded channel (copies, so the decoder never sees shared buffers). */
function channel(pkts: Uint8Array[], rng: Mulberry32, o: ChannelOptions): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of pkts) {
    if (rng.float() < o.loss) continue;
    out.push(p.slice());
    if (rng.float() < o.dup) out.push(p.slice());
  }
  for (let i = 0; i + 1 < out.length; i++) {
    if (rng.float() < o.swap) [out[i], out[i + 1]] = [out[i + 1], out[i]];
  }
  return out;
}

/**
 * What a perfect receiver recovers, in order: a group is processed when its ds-th distinct
 * shard arrives, and the data packets that have not arrived by then are rebuilt. Groups with
 * a packet arriving before index `from` are left out.
 */
function oracle(
  received: Uint8Array[],
  kcp: Map<number, string>,
  ds: number,
  n: number,
  from = 0,
): string[] {
  const groups = new Map<number, Set<number> | null>(); // null = processed or left out
  for (let i = 0; i < from; i++) groups.set(Math.floor(seqidOf(received[i]) / n), null);
  const out: string[] = [];
  for (const p of received.slice(from)) {
    const s = seqidOf(p), g = Math.floor(s / n);
    if (!groups.has(g)) groups.set(g, new Set());
    const got = groups.get(g);
    if (got === null || got === undefined) continue;
    got.add(s);
    if (got.size < ds) continue;
    for (let i = 0; i < ds; i++) if (!got.has(g * n + i)) out.push(kcp.get(g * n + i)!);
    groups.set(g, null);
  }
  return out;
}

Deno.test("fec: encoder → lossy channel → decoder over many (ds, ps), exact recovery", () => {
  const rng = new Mulberry32(31);
  const configs = [[1, 1], [2, 1], [3, 2], [7, 5], [10, 3], [20, 5], [1, 4], [4, 1], [200, 56]];
  for (const [ds, ps] of configs) {
    const n = ds + ps;
    const groups = n > 100 ? 3 : 40;
    const { pkts, kcp } = makeStream(ds, ps, groups, rng, { maxKcp: n > 100 ? 100 : 500 });
    for (const loss of [0.05, 0.2]) {
      const received = channel(pkts, rng, { loss, dup: 0.05, swap: 0.1 });
      const dec = new FecDecoder(ds, ps, MAX);
      const got = feed(dec, received);
      const want = oracle(received, kcp, ds, n);
      assert.deepEqual(got, want, `(${ds},${ps}) loss ${loss}`);
      assert.equal(new Set(got).size, got.length, "each packet recovered once");
      assert.equal(dec.stats.recovered, want.length);
      assert.equal(dec.stats.errors, 0);
      assert.equal(dec.stats.autoTunes, 0);
    }
  }
});

Deno.test("fec: auto-tune learns the sender's (ds, ps) from lossy streams", () => {
  const rng = new Mulberry32(32);
  const senders = [[1, 1], [2, 1], [3, 2], [7, 5], [10, 3], [20, 5], [4, 8], [100, 50]];
  const receivers = [[0, 0], [1, 1], [10, 3], [20, 5]];
  for (const [ds, ps] of senders) {
    const n = ds + ps;
    const { pkts, kcp } = makeStream(ds, ps, n > 100 ? 12 : 60, rng, { maxKcp: 200 });
    // A complete run needs ds + 2 consecutive packets, so big groups get gentler loss.
    const loss = n > 50 ? 0.002 : 0.03;
    const received = channel(pkts, rng, { loss, dup: 0.02, swap: 0.05 });
    for (const [rds, rps] of receivers) {
      const dec = new FecDecoder(rds, rps, MAX);
      const got = feed(dec, received);
      assert.equal(dec.dataShards, ds, `sender (${ds},${ps}) receiver (${rds},${rps})`);
      assert.equal(dec.parityShards, ps);
      const sameAsConfig = rds === ds && rps === ps;
      const guessedRight = rds === 0 && ds === 1 && ps === 1; // (0,0) starts as (1,1)
      assert.equal(dec.stats.autoTunes, sameAsConfig || guessedRight ? 0 : 1);
      // Safety: everything recovered is a genuine data packet, and none comes out twice.
      // (Data that arrived before tuning was not stored, so it may legitimately come back.)
      const genuine = new Set(kcp.values());
      for (const g of got) assert.ok(genuine.has(g), `(${ds},${ps}) garbage recovered`);
      assert.equal(new Set(got).size, got.length);
      // Liveness: once tuned, the second half is recovered as a perfect receiver would.
      const gotSet = new Set(got);
      for (const k of oracle(received, kcp, ds, n, received.length >> 1)) {
        assert.ok(gotSet.has(k), `(${ds},${ps}) receiver (${rds},${rps}) late recovery`);
      }
      assert.equal(dec.stats.errors, 0);
    }
  }
});

Deno.test("fec: auto-tune works against a latest sender that skips parity after gaps", () => {
  const rng = new Mulberry32(33);
  const sender = new Sender(4, 2, { skip: 500 });
  const pkts: Uint8Array[] = [];
  const kcp = new Map<number, string>();
  let now = 0;
  for (let i = 0; i < 200; i++) {
    now += rng.int(10) === 0 ? 600 : 5; // idle now and then: that group's parity is skipped
    const k = rng.bytes(20 + rng.int(100));
    for (const e of sender.send(k, now)) {
      if (e.type === FEC_TYPE_DATA) kcp.set(e.seqid, toHex(k));
      pkts.push(e.bytes);
    }
  }
  const paritySkipped = 50 * 2 - pkts.filter((p) => p[4] === FEC_TYPE_PARITY).length;
  assert.ok(paritySkipped > 0);
  const received = channel(pkts, rng, { loss: 0.05, dup: 0, swap: 0 });
  const dec = new FecDecoder(10, 3, MAX);
  const got = feed(dec, received);
  assert.equal(dec.dataShards, 4);
  assert.equal(dec.parityShards, 2);
  const genuine = new Set(kcp.values());
  for (const g of got) assert.ok(genuine.has(g));
  const gotSet = new Set(got);
  for (const k of oracle(received, kcp, 4, 6, received.length >> 1)) assert.ok(gotSet.has(k));
  assert.ok(got.length > 0);
});

Deno.test("fec encoder: sendParity keeps the (ds, ps) shape, skips the rest's seqids, and a fixed-shape decoder recovers", () => {
  const rng = new Mulberry32(41);
  const kcp = Array.from({ length: 40 }, (_, i) => {
    const p = new Uint8Array(30 + ((i * 37) % 200));
    for (let k = 0; k < p.length; k++) p[k] = rng.next() * 256;
    return p;
  });
  const full = new Sender(10, 3);
  const fewer = new Sender(10, 3);
  const fullOut: Emitted[] = [];
  const fewerOut: Emitted[] = [];
  kcp.forEach((p, i) => {
    // parity per group: 3, then 1, then 2, then 3 again
    if (i % 10 === 0) fewer.enc.sendParity = [3, 1, 2, 3][i / 10];
    fullOut.push(...full.send(p));
    fewerOut.push(...fewer.send(p));
  });
  // the packets sent are the full shape's packets minus the last parity of each group
  const sentSeqids = fewerOut.map((e) => e.seqid);
  const skipped = [24, 25, 38];
  assert.deepEqual(sentSeqids, fullOut.map((e) => e.seqid).filter((s) => !skipped.includes(s)));
  for (const e of fewerOut) {
    const twin = fullOut.find((f) => f.seqid === e.seqid)!;
    assert.equal(toHex(e.bytes), toHex(twin.bytes), `seqid ${e.seqid}`);
  }
  assert.equal(fewer.enc.nextSeqid, full.enc.nextSeqid);
  // group 1 (one parity): losing one data packet is recovered by a plain 10/3 decoder
  const dec = new FecDecoder(10, 3, MAX);
  const lost = 13 + 4;
  const got = feed(dec, fewerOut.filter((e) => e.seqid !== lost).map((e) => e.bytes));
  assert.deepEqual(got, [toHex(kcp[14])]);
  assert.equal(dec.stats.autoTunes, 0);
  assert.equal(dec.stats.errors, 0);
  assert.throws(() => fewer.enc.sendParity = 0, RangeError);
  assert.throws(() => fewer.enc.sendParity = 4, RangeError);
  assert.throws(() => fewer.enc.sendParity = 1.5, RangeError);
});
