/**
 * FEC benchmarks. Each iteration handles one (10,3) group of kcptun-sized packets:
 * MTU 1350 with a 20-byte crypto header leaves 1330 FEC bytes, i.e. 1322 KCP bytes per data
 * packet, so one group carries 13220 bytes of KCP data. MB/s of data = 13220 / (time/iter).
 *
 * Run: deno bench -A tests/fec/
 *
 * @module
 */

import { FecDecoder, FecEncoder } from "../../lib/fec/fec.ts";
import { ReedSolomon } from "../../lib/fec/reed_solomon.ts";
import { Mulberry32 } from "../_helpers/rng.ts";

const DS = 10, PS = 3, N = DS + PS;
const HEADROOM = 20, MAX_FEC = 1330, KCP_LEN = MAX_FEC - 8;
const rng = new Mulberry32(99);

// Encoder: one reused packet buffer, as a session would have.
const encoder = new FecEncoder(DS, PS, HEADROOM, 16, MAX_FEC);
const packet = new Uint8Array(HEADROOM + MAX_FEC + 16);
packet.set(rng.bytes(KCP_LEN), HEADROOM + 8);
let sink = 0;

Deno.bench(
  "FecEncoder.encode (10,3), 1322-byte KCP packets, one group",
  { group: "encode" },
  () => {
    for (let i = 0; i < DS; i++) {
      const ready = encoder.encode(packet, KCP_LEN, 0);
      for (let k = 0; k < ready; k++) sink ^= encoder.parityPacket(k)[HEADROOM + 8];
    }
  },
);

// Raw codec: 10 shards of 1324 bytes → 3 parity shards.
const rs = new ReedSolomon(DS, PS);
const shards = Array.from({ length: N }, () => rng.bytes(KCP_LEN + 2));

Deno.bench(
  "ReedSolomon.encode (10,3), 1324-byte shards",
  { group: "encode", baseline: true },
  () => {
    rs.encode(shards, KCP_LEN + 2);
  },
);

// The same with the JavaScript loop instead of the WebAssembly SIMD kernel.
const rsJs = new ReedSolomon(DS, PS, { simd: false });

Deno.bench(
  "ReedSolomon.encode (10,3), 1324-byte shards, JavaScript loop",
  { group: "encode" },
  () => {
    rsJs.encode(shards, KCP_LEN + 2);
  },
);

// One parity shard: what the FEC tuner settles at on a link with little loss.
const rs101 = new ReedSolomon(DS, 1);
const rs101Js = new ReedSolomon(DS, 1, { simd: false });

Deno.bench("ReedSolomon.encode (10,1), 1324-byte shards", {
  group: "encode (10,1)",
  baseline: true,
}, () => {
  rs101.encode(shards, KCP_LEN + 2);
});

Deno.bench("ReedSolomon.encode (10,1), 1324-byte shards, JavaScript loop", {
  group: "encode (10,1)",
}, () => {
  rs101Js.encode(shards, KCP_LEN + 2);
});

// Reconstruct 3 missing data shards from 7 data + 3 parity.
const present = Array.from({ length: N }, (_, i) => i >= 3);
const work = shards.map((s) => s.slice());

Deno.bench("ReedSolomon.reconstructData (10,3), 3 data shards missing", {
  group: "reconstruct",
  baseline: true,
}, () => {
  rs.reconstructData(work, present, KCP_LEN + 2);
});

Deno.bench("ReedSolomon.reconstructData (10,3), 3 data shards missing, JavaScript loop", {
  group: "reconstruct",
}, () => {
  rsJs.reconstructData(work, present, KCP_LEN + 2);
});

// Decoder: a long pre-encoded stream with 3 data packets lost in every group.
const GROUPS = 512;
const stream: Uint8Array[] = [];
{
  const enc = new FecEncoder(DS, PS, 0, 0, MAX_FEC);
  const buf = new Uint8Array(MAX_FEC);
  for (let i = 0; i < GROUPS * DS; i++) {
    buf.set(rng.bytes(KCP_LEN), 8);
    const ready = enc.encode(buf, KCP_LEN, 0);
    if (i % DS >= 3) stream.push(buf.slice());
    for (let k = 0; k < ready; k++) stream.push(enc.parityPacket(k).slice(0, enc.parityLength));
  }
}
let decoder = new FecDecoder(DS, PS, MAX_FEC);
let at = 0;

Deno.bench("FecDecoder.decode (10,3), group with 3 data lost (7 data + 3 parity)", {
  group: "reconstruct",
}, () => {
  if (at === stream.length) {
    decoder = new FecDecoder(DS, PS, MAX_FEC);
    at = 0;
  }
  for (let i = 0; i < N - 3; i++) {
    const p = stream[at++];
    const recovered = decoder.decode(p, p.length, 0);
    for (let k = 0; k < recovered; k++) sink ^= decoder.recovered(k)[0];
  }
});

// Decoder, no loss: 10 data + 3 parity per group, nothing to rebuild.
const full: Uint8Array[] = [];
{
  const enc = new FecEncoder(DS, PS, 0, 0, MAX_FEC);
  const buf = new Uint8Array(MAX_FEC);
  for (let i = 0; i < GROUPS * DS; i++) {
    buf.set(rng.bytes(KCP_LEN), 8);
    const ready = enc.encode(buf, KCP_LEN, 0);
    full.push(buf.slice());
    for (let k = 0; k < ready; k++) full.push(enc.parityPacket(k).slice(0, enc.parityLength));
  }
}
let fullDecoder = new FecDecoder(DS, PS, MAX_FEC);
let fullAt = 0;

Deno.bench("FecDecoder.decode (10,3), group without loss (10 data + 3 parity)", {
  group: "decode",
}, () => {
  if (fullAt === full.length) {
    fullDecoder = new FecDecoder(DS, PS, MAX_FEC);
    fullAt = 0;
  }
  for (let i = 0; i < N; i++) {
    const p = full[fullAt++];
    sink ^= fullDecoder.decode(p, p.length, 0);
  }
});

globalThis.addEventListener("unload", () => {
  if (sink === 0x1234_5678) console.log(sink);
});
