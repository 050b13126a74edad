import assert from "node:assert/strict";
import { compress as snappyjsCompress, uncompress as snappyjsUncompress } from "snappyjs";
import {
  BLOCK_CORRUPT,
  BLOCK_OK,
  decodeBlockBody,
  encodeBlock,
  HASH_TABLE_SIZE,
  maxEncodedLen,
  readBlockHeader,
} from "../../lib/snappy/_block.ts";
import { fromHex, sha256, toHex } from "../_helpers/bytes.ts";
import { XorShift32 } from "../_helpers/rng.ts";
import { loadVector } from "../_helpers/vectors.ts";
import { loadTestdata, makeInput } from "./_helpers.ts";

const table = new Uint16Array(HASH_TABLE_SIZE);

function encode(input: Uint8Array): Uint8Array {
  const dst = new Uint8Array(maxEncodedLen(input.length) + 5);
  return dst.subarray(0, encodeBlock(input, 0, input.length, dst, 0, table));
}

/** Decodes a whole block (header + body); returns the bytes or the failing status. */
function decode(block: Uint8Array): Uint8Array | number {
  const h = readBlockHeader(block, 0, block.length);
  if (h < 0) return h;
  const n = Math.floor(h / 16);
  if (n > 1 << 20) return BLOCK_CORRUPT;
  const out = new Uint8Array(n);
  const st = decodeBlockBody(block, h % 16, block.length, out, 0, n);
  return st === BLOCK_OK ? out : st;
}

Deno.test("encodeBlock: every snappy.json `block` byte for byte", () => {
  for (const c of loadVector("snappy.json").cases) {
    assert.equal(toHex(encode(fromHex(c.input))), c.block, c.name);
  }
});

Deno.test("encodeBlock: matches golang/snappy Encode on 248 synthetic inputs (16 B .. 195 KiB)", () => {
  let n = 0;
  for (const c of loadTestdata("go_snappy_cases.json").cases) {
    const input = makeInput(c.kind, c.seed, c.length, c.param);
    assert.equal(sha256(input), c.input_sha256);
    const block = encode(input);
    assert.equal(block.length, c.block_length, `${c.kind}/${c.param}/${c.length}`);
    assert.equal(sha256(block), c.block_sha256, `${c.kind}/${c.param}/${c.length}`);
    assert.deepEqual(decode(block), input);
    n++;
  }
  assert.equal(n, 248);
});

Deno.test("encodeBlock: writes at an offset and leaves the source range and table size alone", () => {
  const input = makeInput("lz", 7, 5000, 300);
  const src = new Uint8Array(5000 + 20);
  src.set(input, 9);
  const dst = new Uint8Array(maxEncodedLen(5000) + 40).fill(0xee);
  const end = encodeBlock(src, 9, 9 + 5000, dst, 33, table);
  assert.deepEqual(dst.subarray(33, end), encode(input));
  assert.ok(dst.subarray(0, 33).every((b) => b === 0xee));
});

Deno.test("decodeBlockBody: decodes blocks from another encoder (snappyjs) exactly", () => {
  const rng = new XorShift32(42);
  for (let i = 0; i < 60; i++) {
    const kind = ["random", "alphabet", "lz"][i % 3];
    const input = makeInput(kind, rng.next(), rng.below(70000), 2 + rng.below(5000));
    assert.deepEqual(decode(snappyjsCompress(input)), input);
  }
});

Deno.test("decodeBlockBody: every element form, including the legacy 4-byte-offset copy", () => {
  // "ab" literal, copy1 len 4 off 2, copy2 len 3 off 1, copy4 len 2 off 8, 61-tag literal.
  const lit300 = new Uint8Array(300).fill(0x7a);
  const block = new Uint8Array([
    2 + 4 + 3 + 2 + 300,
    2, // varint 311 = 0xb7 0x02
    0x04,
    0x61,
    0x62,
    0x01,
    0x02,
    0x0a,
    0x01,
    0x00,
    0x07,
    0x08,
    0x00,
    0x00,
    0x00,
    0xf4,
    0x2b,
    0x01,
    ...lit300,
  ]);
  block[0] = 0xb7;
  const out = decode(block);
  assert.ok(out instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(out.subarray(0, 11)), "abababbbbba");
  assert.deepEqual(out.subarray(11), lit300);
});

Deno.test("decodeBlockBody: rejects every kind of corrupt block with a status", () => {
  const bad: [string, number[]][] = [
    ["truncated 1-byte-offset copy", [5, 0x00, 0x61, 0x01]],
    ["output shorter than the header says", [5, 0x00, 0x61]],
    ["output longer than the header says", [1, 0x04, 0x61, 0x62]],
    ["copy offset 0", [5, 0x00, 0x61, 0x01, 0x00]],
    ["copy offset before the start", [5, 0x00, 0x61, 0x01, 0x02]],
    ["copy overruns the output", [5, 0x00, 0x61, 0x1d, 0x01]],
    ["literal overruns the input", [5, 0x10, 0x61]],
    ["literal length bytes missing", [5, 0xf0]],
    ["2-byte-offset copy truncated", [5, 0x00, 0x61, 0x02, 0x01]],
    ["4-byte-offset copy truncated", [5, 0x00, 0x61, 0x03, 0x01, 0, 0]],
    ["4-byte-offset copy, offset 2^32-1", [5, 0x00, 0x61, 0x03, 0xff, 0xff, 0xff, 0xff]],
    // A 4-byte literal length with the top bit set: snappyjs loops forever on this one.
    ["literal length 0xfffffffa", [10, 0x00, 0x61, 0xfc, 0xfa, 0xff, 0xff, 0xff, 0x62, 0x63]],
  ];
  for (const [name, bytes] of bad) {
    assert.equal(decode(Uint8Array.from(bytes)), BLOCK_CORRUPT, name);
  }
  // Headers: truncated, 2^32, and 11 bytes of continuation.
  assert.equal(readBlockHeader(Uint8Array.of(0x80), 0, 1), -1);
  assert.equal(readBlockHeader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x10), 0, 5), -1);
  assert.equal(readBlockHeader(new Uint8Array(11).fill(0x80), 0, 11), -1);
  assert.equal(
    readBlockHeader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), 0, 5),
    0xffffffff * 16 + 5,
  );
  // A non-minimal varint is accepted, as Go's binary.Uvarint accepts it.
  assert.equal(readBlockHeader(Uint8Array.of(0x81, 0x80, 0x00), 0, 3), 1 * 16 + 3);
});

Deno.test("decodeBlockBody: random and mutated input returns a status, never throws", () => {
  const rng = new XorShift32(0xbad5eed);
  const valid = encode(makeInput("lz", 99, 3000, 500));
  let ok = 0;
  for (let i = 0; i < 3000; i++) {
    let block: Uint8Array;
    if (i % 2 === 0) {
      block = rng.bytes(rng.below(64));
    } else {
      block = valid.slice(0, 1 + rng.below(valid.length));
      for (let k = rng.below(4); k > 0; k--) block[rng.below(block.length)] = rng.next() & 0xff;
    }
    const h = readBlockHeader(block, 0, block.length);
    if (h < 0) continue;
    const n = Math.min(Math.floor(h / 16), 70000);
    const st = decodeBlockBody(block, h % 16, block.length, new Uint8Array(n), 0, n);
    assert.ok(st === BLOCK_OK || st === BLOCK_CORRUPT);
    if (st === BLOCK_OK) ok++;
  }
  assert.ok(ok > 0 && ok < 3000);
});

// The two facts below are why lib/snappy has its own block codec instead of using snappyjs;
// if a snappyjs upgrade changes them, revisit that choice.
Deno.test("snappyjs (pinned 0.7.0): its encoder differs from Go's on some inputs", () => {
  const c = loadTestdata("go_snappy_cases.json").cases.find((
    x: { kind: string; param: number; length: number },
  ) => x.kind === "alphabet" && x.param === 2 && x.length === 64);
  const input = makeInput(c.kind, c.seed, c.length, c.param);
  assert.notEqual(sha256(snappyjsCompress(input)), c.block_sha256);
  assert.equal(sha256(encode(input)), c.block_sha256);
});

Deno.test("snappyjs (pinned 0.7.0): its decoder accepts a truncated block Go rejects", () => {
  const truncated = Uint8Array.of(5, 0x00, 0x61, 0x01);
  assert.deepEqual(snappyjsUncompress(truncated), Uint8Array.of(0x61, 0, 0, 0, 0));
  assert.equal(decode(truncated), BLOCK_CORRUPT);
});
