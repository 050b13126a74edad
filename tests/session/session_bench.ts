/**
 * Whole-stack throughput: a client TunnelConnection sends 4 MiB of random bytes on one smux
 * stream to a server TunnelConnection over a perfect in-memory link (tests/session/
 * _bench_pair.ts); each iteration is one 4 MiB transfer, read in full at the server.
 * MB/s = 4.194 / (seconds per iteration).
 *
 * The "layers" group removes one layer at a time from kcptun's defaults (aes, FEC 10/3,
 * snappy, smux v2); the difference to the baseline is that layer's cost in place, both ends
 * included. The "stages" group times single stages on 1350-byte packets.
 *
 * Run: deno bench -A tests/session/session_bench.ts
 *
 * @module
 */

import { BenchPair, type PairConfig } from "./_bench_pair.ts";
import { seededBytes, seededFill } from "../_helpers/bytes.ts";
import { createPacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { deriveKey } from "../../lib/crypt/kdf.ts";
import { FecDecoder, FecEncoder } from "../../lib/fec/fec.ts";
import { SnappyFrameDecoder, SnappyFrameEncoder } from "../../lib/snappy/framing.ts";

const SIZE = 4 * 1024 * 1024;
const random = seededBytes(SIZE, 11);
const text = new TextEncoder().encode(
  "GET /api/items?page=1 HTTP/1.1\r\nHost: example.com\r\nAccept: application/json\r\n\r\n"
    .repeat(Math.ceil(SIZE / 70)),
).subarray(0, SIZE);

const DEFAULTS: PairConfig = {
  crypt: "aes",
  dataShards: 10,
  parityShards: 3,
  compress: true,
  smuxVersion: 2,
};
const PLAIN: PairConfig = {
  crypt: "none",
  dataShards: 0,
  parityShards: 0,
  compress: false,
  smuxVersion: 2,
};

function stackBench(
  name: string,
  cfg: PairConfig,
  data: Uint8Array,
  opts: { baseline?: boolean } = {},
): void {
  const pair = new BenchPair(cfg);
  Deno.bench(name, { group: "layers", baseline: opts.baseline, n: 12, warmup: 3 }, () => {
    if (pair.transfer(data) !== data.length) throw new Error("Transfer incomplete");
  });
}

stackBench("defaults: aes, FEC 10/3, snappy, smux v2 (4 MiB random)", DEFAULTS, random, {
  baseline: true,
});
stackBench("--crypt none --nocomp --ds 0 --ps 0 (4 MiB random)", PLAIN, random);
stackBench("defaults with --nocomp", { ...DEFAULTS, compress: false }, random);
stackBench("defaults with --ds 0 --ps 0", { ...DEFAULTS, dataShards: 0, parityShards: 0 }, random);
stackBench("defaults with --crypt none", { ...DEFAULTS, crypt: "none" }, random);
stackBench("defaults with --crypt aes-128-gcm", { ...DEFAULTS, crypt: "aes-128-gcm" }, random);
stackBench("defaults with smux v1", { ...DEFAULTS, smuxVersion: 1 }, random);
stackBench("--crypt null --nocomp --ds 0 --ps 0", { ...PLAIN, crypt: "null" }, random);
stackBench("defaults, compressible text (4 MiB HTTP headers)", DEFAULTS, text);

// --- single stages on kcptun-sized packets -------------------------------------------------

const PASS = deriveKey("bench");
const PACKET = 1350;

for (const method of ["aes", "none", "aes-128-gcm"]) {
  const pc = createPacketCrypt(method, PASS, seededFill(3));
  const payload = PACKET - pc.headerSize - pc.trailerSize;
  const buf = new Uint8Array(PACKET);
  const plain = seededBytes(payload, 4);
  Deno.bench(`${method} seal + open, 1350-byte datagram`, { group: "stages" }, () => {
    buf.set(plain, pc.headerSize);
    const n = pc.seal(buf, payload);
    if (pc.open(buf, n) !== payload) throw new Error("Open failed");
  });
}

{
  // one (10,3) group: 10 data packets encoded, parity made, all 13 decoded (nothing lost)
  const headroom = 20;
  const fecSize = PACKET - headroom;
  const kcpLen = fecSize - 8;
  const enc = new FecEncoder(10, 3, headroom, 0, fecSize);
  const dec = new FecDecoder(10, 3, 1500);
  const pkt = new Uint8Array(headroom + fecSize);
  pkt.set(seededBytes(kcpLen, 5), headroom + 8);
  let now = 0;
  Deno.bench("FEC 10/3 encode + decode, one group (10 × 1350-byte datagrams + 3 parity)", {
    group: "stages",
    baseline: true,
  }, () => {
    now++;
    for (let i = 0; i < 10; i++) {
      const parity = enc.encode(pkt, kcpLen, now);
      dec.decode(pkt.subarray(headroom), fecSize, now);
      for (let k = 0; k < parity; k++) {
        const p = enc.parityPacket(k);
        dec.decode(p.subarray(headroom), enc.parityLength, now);
      }
    }
  });
}

{
  const frame = seededBytes(8192 + 8, 6);
  const enc = new SnappyFrameEncoder();
  const dec = new SnappyFrameDecoder();
  const out = new Uint8Array(65536);
  Deno.bench("snappy framing encode + decode, one 8 KiB smux frame (random)", {
    group: "stages",
  }, () => {
    dec.push(enc.encode(frame));
    if (dec.read(out) !== frame.length) throw new Error("Snappy round trip failed");
  });
}
