import assert from "node:assert/strict";
import { crc32c, maskCrc } from "../../lib/snappy/crc32c.ts";
import {
  MAX_CHUNK_LENGTH,
  SnappyFrameDecoder,
  SnappyFrameEncoder,
  SnappyStatus,
  STREAM_IDENTIFIER,
} from "../../lib/snappy/framing.ts";
import { concat, fromHex, sha256, toHex } from "../_helpers/bytes.ts";
import { XorShift32 } from "../_helpers/rng.ts";
import { loadVector } from "../_helpers/vectors.ts";
import { loadTestdata, makeInput, randomChunks } from "./_helpers.ts";

/** A chunk with an arbitrary header and body. */
function chunk(type: number, body: Uint8Array, len = body.length): Uint8Array {
  return concat([Uint8Array.of(type, len & 0xff, (len >>> 8) & 0xff, len >>> 16), body]);
}

/** A data chunk whose checksum covers `raw`; `body` defaults to `raw` (type 0x01). */
function dataChunk(type: number, raw: Uint8Array, body: Uint8Array = raw): Uint8Array {
  const c = maskCrc(crc32c(raw));
  return chunk(
    type,
    concat([Uint8Array.of(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24), body]),
  );
}

/** Feeds `parts` one by one; returns the decoded bytes and the last status. */
function decodeAll(parts: Uint8Array[], dec = new SnappyFrameDecoder()): [Uint8Array, number] {
  const out: Uint8Array[] = [];
  let st: number = SnappyStatus.Ok;
  for (const p of parts) {
    st = dec.push(p);
    if (dec.available > 0) {
      const b = new Uint8Array(dec.available);
      assert.equal(dec.read(b), b.length);
      out.push(b);
    }
  }
  return [concat(out), st];
}

Deno.test("STREAM_IDENTIFIER is ff060000734e61507059", () => {
  assert.equal(toHex(STREAM_IDENTIFIER), loadVector("snappy.json").stream_identifier);
});

Deno.test("encode: every snappy.json case byte for byte, and it decodes back", () => {
  for (const c of loadVector("snappy.json").cases) {
    const input = fromHex(c.input);
    const enc = new SnappyFrameEncoder();
    const framed = enc.encode(input);
    assert.equal(toHex(framed), c.framed, c.name);
    assert.equal(enc.wroteIdentifier, input.length > 0);
    const [out, st] = decodeAll([framed]);
    assert.equal(st, SnappyStatus.Ok);
    assert.deepEqual(out, input, c.name);
  }
});

Deno.test("encode: chunk split and type choice of the 100000-byte case", () => {
  const c = loadVector("snappy.json").cases.find((x: { name: string }) =>
    x.name === "repeat_100000"
  );
  const enc = new SnappyFrameEncoder();
  enc.encode(fromHex(c.input));
  assert.equal(c.framed_chunks.length, 3);
  assert.deepEqual(enc.counters, {
    bytesIn: 100000,
    bytesOut: c.framed.length / 2,
    compressedChunks: 2,
    uncompressedChunks: 0,
  });
});

Deno.test("encode: compstream_sequence (identifier only before the first chunk)", () => {
  const seq = loadVector("snappy.json").compstream_sequence;
  const enc = new SnappyFrameEncoder();
  const all: Uint8Array[] = [];
  for (const call of seq.calls) {
    const out = enc.encode(fromHex(call.input));
    assert.equal(toHex(out), call.output);
    all.push(out.slice());
  }
  assert.equal(enc.counters.compressedChunks, 1);
  assert.equal(enc.counters.uncompressedChunks, 2);
  const [out] = decodeAll(all);
  assert.equal(toHex(out), seq.calls.map((c: { input: string }) => c.input).join(""));
});

Deno.test("encode: an empty write produces nothing, not even the identifier", () => {
  const enc = new SnappyFrameEncoder();
  assert.equal(enc.encode(new Uint8Array(0)).length, 0);
  assert.equal(enc.wroteIdentifier, false);
  assert.equal(
    toHex(enc.encode(Uint8Array.of(1, 0, 0, 0, 3, 0, 0, 0))).slice(0, 20),
    toHex(STREAM_IDENTIFIER),
  );
});

Deno.test("encode: matches golang/snappy's writer on 248 synthetic inputs", () => {
  for (const c of loadTestdata("go_snappy_cases.json").cases) {
    const input = makeInput(c.kind, c.seed, c.length, c.param);
    const framed = new SnappyFrameEncoder().encode(input);
    const name = `${c.kind}/${c.param}/${c.length}`;
    assert.equal(framed.length, c.framed_length, name);
    assert.equal(sha256(framed), c.framed_sha256, name);
    if (c.framed_hex) assert.equal(toHex(framed), c.framed_hex, name);
    const [out, st] = decodeAll([framed]);
    assert.equal(st, SnappyStatus.Ok);
    assert.equal(sha256(out), c.input_sha256, name);
  }
});

Deno.test("encodeInto: writes at an offset, leaves headroom alone, rejects a short buffer", () => {
  const data = makeInput("alphabet", 5, 70000, 3);
  const expected = new SnappyFrameEncoder().encode(data).slice();
  const need = SnappyFrameEncoder.maxEncodedLength(data.length);
  assert.ok(need >= expected.length);
  const dst = new Uint8Array(24 + need).fill(0xaa);
  const n = new SnappyFrameEncoder().encodeInto(data, dst, 24);
  assert.equal(n, expected.length);
  assert.deepEqual(dst.subarray(24, 24 + n), expected);
  assert.ok(dst.subarray(0, 24).every((b) => b === 0xaa));
  assert.throws(
    () => new SnappyFrameEncoder().encodeInto(data, new Uint8Array(need - 1)),
    RangeError,
  );
  // Incompressible input: the bound is tight.
  const rnd = makeInput("random", 9, 65536 * 2 + 1, 0);
  assert.equal(
    new SnappyFrameEncoder().encode(rnd).length,
    SnappyFrameEncoder.maxEncodedLength(rnd.length),
  );
});

/** Rebuilds the bytes of a capture's snappy_chunks (2021 and latest record formats). */
function chunkBytes(ch: Record<string, unknown>): string {
  if (typeof ch.chunk === "string") return ch.chunk;
  if (ch.type === 255) return toHex(STREAM_IDENTIFIER);
  const len = ch.length as number;
  const header = toHex(
    Uint8Array.of(ch.type as number, len & 0xff, (len >>> 8) & 0xff, len >>> 16),
  );
  return header + (ch.masked_crc32c_le as string) + (ch.data as string);
}

for (
  const file of [
    "capture-default.json",
    "latest/capture-latest-default.json",
    "latest/capture-latest-gcm-qpp.json",
  ]
) {
  Deno.test(`capture ${file}: smux frames re-encode to the captured chunks, byte for byte`, () => {
    for (const stream of loadVector(file).streams) {
      const kcp = stream.kcp_stream as string;
      const enc = new SnappyFrameEncoder();
      const ours = stream.smux_frames.map((f: { frame: string }) =>
        toHex(enc.encode(fromHex(f.frame)))
      );
      assert.equal(ours.join(""), stream.snappy_chunks.map(chunkBytes).join(""), stream.direction);
      assert.equal(ours.join(""), kcp, stream.direction);
    }
  });

  Deno.test(`capture ${file}: kcp_stream decodes to smux_stream in any chunking`, () => {
    const rng = new XorShift32(0x5eed + file.length);
    for (const stream of loadVector(file).streams) {
      const kcp = fromHex(stream.kcp_stream);
      for (const maxPiece of [1, 3, 7, 18, 64, 1000, kcp.length]) {
        const dec = new SnappyFrameDecoder();
        const [out, st] = decodeAll(randomChunks(kcp, rng, maxPiece), dec);
        assert.equal(st, SnappyStatus.Ok);
        assert.equal(dec.end(), SnappyStatus.Ok);
        assert.equal(toHex(out), stream.smux_stream, `${stream.direction} maxPiece=${maxPiece}`);
        assert.equal(dec.counters.identifierChunks, 1);
        assert.equal(
          dec.counters.uncompressedChunks + dec.counters.compressedChunks,
          stream.snappy_chunks.length - 1,
        );
      }
    }
  });
}

Deno.test("decode: multi-chunk compressed streams byte by byte and in random pieces", () => {
  const rng = new XorShift32(77);
  const data = makeInput("lz", 1234, 200003, 70000);
  const enc = new SnappyFrameEncoder();
  const framed = concat([
    enc.encode(data.subarray(0, 150000)).slice(),
    enc.encode(data.subarray(150000)).slice(),
  ]);
  for (const maxPiece of [1, 5, 4096, 100000]) {
    const [out, st] = decodeAll(randomChunks(framed, rng, maxPiece));
    assert.equal(st, SnappyStatus.Ok);
    assert.equal(sha256(out), sha256(data));
  }
  // Without reading in between, everything accumulates.
  const dec = new SnappyFrameDecoder();
  assert.equal(dec.push(framed), SnappyStatus.Ok);
  assert.equal(dec.available, data.length);
  assert.equal(sha256(dec.peek()), sha256(data));
  dec.consume(10);
  assert.equal(dec.available, data.length - 10);
  const rest = new Uint8Array(data.length);
  assert.equal(dec.read(rest), data.length - 10);
  assert.deepEqual(rest.subarray(0, data.length - 10), data.subarray(10));
  assert.equal(dec.counters.bytesOut, data.length);
  assert.equal(dec.counters.bytesIn, framed.length);
});

Deno.test("decode: read() hands out partial amounts and keeps the rest in order", () => {
  const data = makeInput("random", 3, 5000, 0);
  const dec = new SnappyFrameDecoder();
  dec.push(new SnappyFrameEncoder().encode(data));
  const parts: Uint8Array[] = [];
  for (const size of [1, 7, 100, 3000, 5000]) {
    const b = new Uint8Array(size);
    parts.push(b.subarray(0, dec.read(b)));
  }
  assert.deepEqual(concat(parts), data);
  assert.equal(dec.available, 0);
  assert.equal(dec.read(new Uint8Array(10)), 0);
});

Deno.test("decode: skippable chunks, padding, repeated identifiers and empty data chunks", () => {
  const a = new TextEncoder().encode("hello");
  const stream = concat([
    STREAM_IDENTIFIER,
    chunk(0xfe, new Uint8Array(10)),
    chunk(0x80, Uint8Array.of(1, 2, 3)),
    dataChunk(0x01, a),
    STREAM_IDENTIFIER,
    dataChunk(0x01, new Uint8Array(0)),
    chunk(0xfd, new Uint8Array(MAX_CHUNK_LENGTH)), // the longest chunk accepted
    dataChunk(0x00, a, Uint8Array.of(5, 0x10, ...a)),
  ]);
  const dec = new SnappyFrameDecoder();
  const [out, st] = decodeAll([stream], dec);
  assert.equal(st, SnappyStatus.Ok);
  assert.equal(new TextDecoder().decode(out), "hellohello");
  assert.equal(dec.counters.skippedChunks, 3);
  assert.equal(dec.counters.identifierChunks, 2);
  assert.equal(dec.counters.uncompressedChunks, 2);
  assert.equal(dec.counters.compressedChunks, 1);
});

/** Runs one corrupt stream (whole, then byte by byte) and checks the sticky status. */
function expectFailure(
  name: string,
  stream: Uint8Array,
  status: number,
  message: RegExp,
  delivered = "",
) {
  for (const parts of [[stream], Array.from(stream, (b) => Uint8Array.of(b))]) {
    const dec = new SnappyFrameDecoder();
    const [out] = decodeAll(parts, dec);
    assert.equal(dec.status, status, name);
    assert.match(dec.error ?? "", message, name);
    assert.equal(toHex(out), delivered, name);
    // Sticky: more input is ignored, the same status comes back.
    assert.equal(dec.push(concat([STREAM_IDENTIFIER, dataChunk(1, Uint8Array.of(1))])), status);
    assert.equal(dec.end(), status);
    assert.equal(dec.available, 0);
    assert.equal(dec.counters.corrupt + dec.counters.unsupported, 1);
  }
}

Deno.test("decode: corrupt and unsupported streams give a status and an error, never throw", () => {
  const syn = Uint8Array.of(1, 0, 0, 0, 3, 0, 0, 0);
  const good = dataChunk(1, syn);
  const C = SnappyStatus.Corrupt;
  const U = SnappyStatus.Unsupported;
  expectFailure(
    "no identifier",
    good,
    C,
    /^Snappy stream does not start with the stream identifier$/,
  );
  expectFailure(
    "padding first",
    concat([chunk(0xfe, new Uint8Array(2)), STREAM_IDENTIFIER]),
    C,
    /does not start/,
  );
  expectFailure(
    "identifier says sNaPpZ",
    concat([STREAM_IDENTIFIER.slice(0, 9), Uint8Array.of(0x5a)]),
    C,
    /sNaPpY/,
  );
  expectFailure("identifier length 7", chunk(0xff, new Uint8Array(7)), C, /length 6, got 7/);
  const badCrc = good.slice();
  badCrc[badCrc.length - 1] ^= 1;
  expectFailure("bad crc", concat([STREAM_IDENTIFIER, good, badCrc]), C, /checksum/, toHex(syn));
  const badCrc0 = dataChunk(0, Uint8Array.of(0x61), Uint8Array.of(1, 0x00, 0x62));
  expectFailure("bad crc, compressed", concat([STREAM_IDENTIFIER, badCrc0]), C, /checksum/);
  expectFailure(
    "type 0x02",
    concat([STREAM_IDENTIFIER, chunk(0x02, new Uint8Array(4))]),
    U,
    /type 0x02 is reserved/,
  );
  expectFailure(
    "type 0x7f",
    concat([STREAM_IDENTIFIER, good, chunk(0x7f, new Uint8Array(0))]),
    U,
    /0x7f/,
    toHex(syn),
  );
  // Oversized: detected from the header alone, before any body byte arrives.
  expectFailure(
    "length 76495",
    concat([STREAM_IDENTIFIER, chunk(0xfe, new Uint8Array(0), 76495)]),
    U,
    /at most 76494, got 76495/,
  );
  expectFailure(
    "length 0xffffff",
    concat([STREAM_IDENTIFIER, chunk(0x00, new Uint8Array(0), 0xffffff)]),
    U,
    /76494/,
  );
  expectFailure(
    "data chunk shorter than crc",
    concat([STREAM_IDENTIFIER, chunk(0x01, new Uint8Array(3))]),
    C,
    /shorter than its checksum/,
  );
  expectFailure(
    "compressed shorter than crc",
    concat([STREAM_IDENTIFIER, chunk(0x00, new Uint8Array(0))]),
    C,
    /shorter/,
  );
  const big = new Uint8Array(65537);
  expectFailure(
    "uncompressed 65537 bytes",
    concat([STREAM_IDENTIFIER, dataChunk(1, big)]),
    C,
    /at most 65536 bytes, got 65537/,
  );
  // A compressed chunk whose header claims 65537 bytes (a valid block of zeros).
  const zeros = Uint8Array.of(
    0x81,
    0x80,
    0x04,
    0x00,
    0x00,
    ...Array(1024).fill([0xfe, 0x01, 0x00]).flat(),
  );
  expectFailure(
    "compressed decodes to 65537",
    concat([STREAM_IDENTIFIER, dataChunk(0, big, zeros)]),
    C,
    /at most 65536 bytes, got 65537/,
  );
  expectFailure(
    "block header",
    concat([STREAM_IDENTIFIER, dataChunk(0, syn, Uint8Array.of(0x80))]),
    C,
    /length header/,
  );
  expectFailure(
    "corrupt block",
    concat([STREAM_IDENTIFIER, dataChunk(0, syn, Uint8Array.of(8, 0x01, 0x00))]),
    C,
    /corrupt block/,
  );
  // 65536 bytes are fine, in either form.
  const max = new Uint8Array(65536).fill(7);
  const [out, st] = decodeAll([
    concat([
      STREAM_IDENTIFIER,
      dataChunk(1, max),
      new SnappyFrameEncoder().encode(max).subarray(10),
    ]),
  ]);
  assert.equal(st, SnappyStatus.Ok);
  assert.equal(out.length, 131072);
});

Deno.test("decode: a stream cut inside a chunk is corrupt only at end()", () => {
  const framed = new SnappyFrameEncoder().encode(makeInput("alphabet", 8, 3000, 5)).slice();
  for (const cut of [1, 4, 9, 11, 14, 18, framed.length - 1]) {
    const dec = new SnappyFrameDecoder();
    assert.equal(dec.push(framed.subarray(0, cut)), SnappyStatus.Ok, `cut ${cut}`);
    assert.equal(dec.available, 0);
    assert.ok(dec.pending > 0);
    assert.equal(dec.end(), SnappyStatus.Corrupt);
    assert.match(dec.error ?? "", /ends inside a chunk/);
  }
  const dec = new SnappyFrameDecoder();
  assert.equal(dec.end(), SnappyStatus.Ok); // an empty stream ends cleanly
  assert.equal(dec.push(framed.subarray(0, 10)), SnappyStatus.Ok); // just the identifier
  assert.equal(dec.pending, 0);
  assert.equal(dec.end(), SnappyStatus.Ok);
  assert.equal(dec.push(framed.subarray(10)), SnappyStatus.Ok);
  assert.equal(dec.end(), SnappyStatus.Ok);
});

Deno.test("decode: random and mutated streams return a status, never throw (seeded)", () => {
  const rng = new XorShift32(0xfeedbeef);
  const enc = new SnappyFrameEncoder();
  const valid = concat([
    enc.encode(makeInput("lz", 5, 9000, 900)).slice(),
    enc.encode(makeInput("random", 6, 300, 0)).slice(),
    enc.encode(makeInput("alphabet", 7, 70000, 4)).slice(),
  ]);
  const seen = new Set<number>();
  for (let i = 0; i < 1500; i++) {
    let stream: Uint8Array;
    switch (i % 3) {
      case 0: // garbage, sometimes behind a valid identifier
        stream = concat([i % 2 ? STREAM_IDENTIFIER : new Uint8Array(0), rng.bytes(rng.below(200))]);
        break;
      case 1: // a few flipped bytes
        stream = valid.slice();
        for (let k = 1 + rng.below(3); k > 0; k--) {
          stream[rng.below(stream.length)] ^= 1 + rng.below(255);
        }
        break;
      default: // truncated or with garbage spliced in
        stream = concat([valid.subarray(0, rng.below(valid.length)), rng.bytes(rng.below(20))]);
    }
    const dec = new SnappyFrameDecoder();
    let st: number = SnappyStatus.Ok;
    let delivered = 0;
    for (const part of randomChunks(stream, rng, 5000)) {
      st = dec.push(part);
      delivered += dec.read(new Uint8Array(dec.available));
    }
    if (st === SnappyStatus.Ok) st = dec.end();
    seen.add(st);
    assert.ok(
      st === SnappyStatus.Ok || st === SnappyStatus.Corrupt || st === SnappyStatus.Unsupported,
    );
    assert.equal(st === SnappyStatus.Ok, dec.error === undefined);
    assert.ok(delivered <= dec.counters.bytesOut);
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [-2, -1, 0]);
});

Deno.test("decode: a flipped byte never delivers wrong data (checksums guard every chunk)", () => {
  const rng = new XorShift32(31337);
  const data = makeInput("lz", 11, 20000, 3000);
  const enc = new SnappyFrameEncoder();
  const framed = concat([
    enc.encode(data.subarray(0, 9000)).slice(),
    enc.encode(data.subarray(9000)).slice(),
  ]);
  // Flip anything but a chunk's type byte (turning a data chunk into a skippable one would
  // legitimately drop it).
  const typeBytes = new Set([10, 10 + 4 + (framed[11] | (framed[12] << 8) | (framed[13] << 16))]);
  assert.equal(framed[[...typeBytes][1]], 0x00);
  for (let i = 0; i < 300; i++) {
    const bad = framed.slice();
    let at = 10 + rng.below(framed.length - 10);
    if (typeBytes.has(at)) at++;
    bad[at] ^= 1 << rng.below(8);
    const [out] = decodeAll([bad]);
    assert.deepEqual(out, data.subarray(0, out.length), `flip at ${at}`);
  }
});
