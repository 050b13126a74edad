import assert from "node:assert/strict";
import { Qpp, QppPrng, qppWarnings } from "../../lib/qpp/qpp.ts";
import { fromHex, sha256, toHex } from "../_helpers/bytes.ts";
import { XorShift32 } from "../_helpers/rng.ts";
import { loadVector } from "../_helpers/vectors.ts";
import { counterStream, loadTestdata, splits } from "./_helpers.ts";

const vectors = loadVector("latest/qpp.json");
const enc = (s: string) => new TextEncoder().encode(s);

/** One Qpp per case, built once (pad generation is the slow part). */
const built = new Map<string, Qpp>();
function qppFor(seedHex: string, count: number, legacy = false): Qpp {
  const id = `${seedHex}/${count}/${legacy}`;
  let q = built.get(id);
  if (!q) {
    q = new Qpp(fromHex(seedHex), count, { legacy });
    built.set(id, q);
  }
  return q;
}

/** Encrypts (or decrypts) a copy of `input` with a fresh PRNG, split as `sizes`. */
function run(q: Qpp, input: Uint8Array, sizes: number[], decrypt = false): Uint8Array {
  const data = input.slice();
  const prng = q.createPrng();
  let p = 0;
  for (const n of sizes) {
    if (decrypt) q.decrypt(data, prng, p, p + n);
    else q.encrypt(data, prng, p, p + n);
    p += n;
  }
  assert.equal(p, data.length);
  assert.equal(prng.position, data.length % 8);
  return data;
}

for (const c of vectors.cases) {
  Deno.test(`qpp.json ${c.name}: every pad and inverse pad`, () => {
    const q = qppFor(c.seed, c.count);
    assert.equal(q.numPads, c.count);
    assert.equal(c.pads.length, c.count);
    for (let i = 0; i < c.count; i++) {
      assert.equal(toHex(q.pad(i)), c.pads[i], `pad ${i}`);
      assert.equal(toHex(q.rpad(i)), c.rpads[i], `rpad ${i}`);
    }
  });

  Deno.test(`qpp.json ${c.name}: streams with the recorded chunking, random chunking, decrypt`, () => {
    const q = qppFor(c.seed, c.count);
    const rng = new XorShift32(c.count * 1000 + c.seed_length);
    for (const s of c.streams) {
      if (s.name === "decrypt_direction_arbitrary_input") {
        const input = fromHex(s.input);
        assert.equal(toHex(run(q, input, [input.length], true)), s.decrypted);
        assert.equal(
          toHex(run(q, fromHex(s.decrypted), splits(input.length, rng), false)),
          s.input,
        );
        continue;
      }
      const pt = fromHex(s.plaintext);
      assert.equal(toHex(run(q, pt, [pt.length])), s.ciphertext, `${s.name} whole`);
      assert.equal(
        toHex(run(q, pt, splits(pt.length, s.chunked_as))),
        s.ciphertext,
        `${s.name} chunked`,
      );
      for (const max of [1, 9, 100]) {
        assert.equal(
          toHex(run(q, pt, splits(pt.length, rng, max))),
          s.ciphertext,
          `${s.name} random`,
        );
      }
      const ct = fromHex(s.ciphertext);
      assert.equal(
        toHex(run(q, ct, splits(ct.length, rng), true)),
        s.plaintext,
        `${s.name} decrypt`,
      );
    }
  });
}

Deno.test("qpp.json one_mib_check: 1 MiB encrypted in random pieces, SHA-256 of both sides", () => {
  const m = vectors.one_mib_check;
  const q = qppFor(toHex(enc(m.password)), m.count);
  const pt = counterStream("qpp/1mib", 1 << 20);
  assert.equal(sha256(pt), m.plaintext_sha256);
  const rng = new XorShift32(1);
  const ct = run(q, pt, splits(pt.length, rng, 70000));
  assert.equal(sha256(ct), m.ciphertext_sha256);
  assert.equal(sha256(run(q, ct, splits(ct.length, rng, 5000), true)), m.plaintext_sha256);
});

Deno.test("qpp.json through_kcptun_qppport: each direction starts its own keystream", () => {
  const t = vectors.through_kcptun_qppport;
  const q = qppFor(toHex(enc("it's a secrect")), 61);
  const client = run(q, fromHex(t.client_plaintext), [fromHex(t.client_plaintext).length]);
  const server = run(q, fromHex(t.server_plaintext), [fromHex(t.server_plaintext).length]);
  assert.equal(toHex(client), t.client_ciphertext);
  assert.equal(toHex(server), t.server_ciphertext);
  const psh = t.frames.filter((f: { cmd_name: string }) => f.cmd_name === "PSH");
  assert.deepEqual(psh.map((f: { data: string }) => f.data), [
    t.client_ciphertext,
    t.server_ciphertext,
  ]);
});

Deno.test("kcptun-wire.md §11.6: current and legacy outputs, also split 3 + 17", () => {
  const key = enc("it's a secrect");
  const cases: [boolean, string, string][] = [
    [false, "40ebc9233de08c12b17d7d7c5624c50a5e93f56f", "e960a5a3b6efeb06fb3ce620c399f514"],
    [true, "25c641ec78b41169011f1f298d8aa64faf2f347f", "5ddd719b8643c6ab9c1da3ba047f8c2c"],
  ];
  for (const [legacy, hello, zeros] of cases) {
    const q = qppFor(toHex(key), 61, legacy);
    assert.equal(q.legacy, legacy);
    assert.equal(toHex(run(q, enc("hello, quantum world"), [20])), hello);
    assert.equal(toHex(run(q, enc("hello, quantum world"), [3, 17])), hello);
    assert.equal(toHex(run(q, new Uint8Array(16), [16])), zeros);
  }
});

Deno.test("legacy (qpp v1.1.18): every case's pads and streams match the Go library", () => {
  const legacy = loadTestdata("qpp_legacy_v1_1_18.json");
  assert.equal(legacy.cases.length, 4);
  for (const c of legacy.cases) {
    const q = qppFor(c.seed, c.count, true);
    const pads = new Uint8Array(256 * c.count);
    const rpads = new Uint8Array(256 * c.count);
    for (let i = 0; i < c.count; i++) {
      pads.set(q.pad(i), 256 * i);
      rpads.set(q.rpad(i), 256 * i);
    }
    assert.equal(toHex(q.pad(0)), c.pad0, c.name);
    assert.equal(toHex(q.pad(c.count - 1)), c.pad_last, c.name);
    assert.equal(sha256(pads), c.pads_sha256, c.name);
    assert.equal(sha256(rpads), c.rpads_sha256, c.name);
    for (const s of c.streams) {
      const pt = fromHex(s.plaintext);
      assert.equal(
        toHex(run(q, pt, splits(pt.length, s.chunked_as))),
        s.ciphertext,
        `${c.name} ${s.name}`,
      );
      assert.equal(toHex(run(q, fromHex(s.ciphertext), [pt.length], true)), s.plaintext);
    }
    if (c.one_mib_check) {
      const ct = run(q, counterStream("qpp/1mib", 1 << 20), [1 << 20]);
      assert.equal(sha256(ct), c.one_mib_check.ciphertext_sha256);
    }
    // Current and legacy pads differ for the same key.
    assert.notEqual(toHex(qppFor(c.seed, c.count).pad(0)), c.pad0);
  }
});

Deno.test("capture-latest-gcm-qpp: PSH payloads decrypt to qpp_decrypted, frame by frame", () => {
  const cap = loadVector("latest/capture-latest-gcm-qpp.json");
  assert.equal(cap.settings.qpp_count, 61);
  const q = qppFor(toHex(enc(cap.settings.key)), cap.settings.qpp_count);
  for (const stream of cap.streams) {
    for (const p of stream.stream_payloads) {
      assert.equal(
        toHex(run(q, fromHex(p.payload), [p.payload.length / 2], true)),
        p.qpp_decrypted,
      );
      assert.equal(toHex(run(q, fromHex(p.qpp_decrypted), [p.payload.length / 2])), p.payload);
      assert.equal(p.qpp_decrypted, cap.settings.message_hex.repeat(cap.settings.rounds));
      // As a receiver sees it: one PRNG, one decrypt per PSH frame.
      const prng = q.createPrng();
      const plain = stream.smux_frames
        .filter((f: { cmd_name: string; sid: number }) => f.cmd_name === "PSH" && f.sid === p.sid)
        .map((f: { data: string }) => {
          const d = fromHex(f.data);
          q.decrypt(d, prng);
          return toHex(d);
        })
        .join("");
      assert.equal(plain, p.qpp_decrypted);
    }
  }
});

Deno.test("encrypt/decrypt touch only [start, end) and need no particular alignment", () => {
  const q = qppFor(toHex(enc("it's a secrect")), 61);
  const buf = new Uint8Array(64).fill(0x5a);
  q.encrypt(buf, q.createPrng(), 13, 33);
  assert.ok(buf.subarray(0, 13).every((b) => b === 0x5a));
  assert.ok(buf.subarray(33).every((b) => b === 0x5a));
  q.decrypt(buf, q.createPrng(), 13, 33);
  assert.ok(buf.every((b) => b === 0x5a));
  // An empty range is a no-op that leaves the position alone.
  const prng = q.createPrng();
  q.encrypt(buf, prng, 5, 5);
  assert.equal(prng.position, 0);
});

Deno.test("any key length and pad count: pads are permutations and decrypt inverts encrypt", () => {
  const rng = new XorShift32(2024);
  for (const [len, count] of [[0, 1], [1, 2], [31, 5], [32, 7], [33, 3], [300, 11]]) {
    const seed = Uint8Array.from({ length: len }, () => rng.next() & 0xff);
    const q = new Qpp(seed, count);
    for (let i = 0; i < count; i++) {
      const pad = q.pad(i);
      const rpad = q.rpad(i);
      assert.deepEqual([...pad].sort((a, b) => a - b), Array.from({ length: 256 }, (_, k) => k));
      for (let x = 0; x < 256; x++) assert.equal(rpad[pad[x]], x);
    }
    const pt = counterStream(`roundtrip/${len}`, 777);
    const ct = run(q, pt, splits(777, rng, 40));
    assert.notDeepEqual(ct, pt);
    assert.deepEqual(run(q, ct, splits(777, rng, 40), true), pt);
  }
});

Deno.test("Qpp constructor: config errors name the value", () => {
  const key = enc("k");
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new Qpp(key, bad), {
      name: "RangeError",
      message: `QPP pad count must be greater than 0, got ${bad}`,
    });
  }
  assert.throws(() => new Qpp(key, 65536), {
    name: "RangeError",
    message: "QPP pad count must be 1..65535, got 65536",
  });
  assert.throws(() => new Qpp("key" as unknown as Uint8Array, 61), TypeError);
  assert.throws(() => new QppPrng(new Uint8Array(31)), RangeError);
});

Deno.test("qppWarnings: kcptun's three warnings, word for word", () => {
  const short = enc("it's a secrect");
  const long = new Uint8Array(211);
  assert.deepEqual(qppWarnings(long, 61), []);
  assert.deepEqual(qppWarnings(long, 7), []);
  assert.deepEqual(qppWarnings(new Uint8Array(210), 61), [
    "QPP Warning: 'key' has size of 210 bytes, required 211 bytes at least",
  ]);
  assert.deepEqual(qppWarnings(short, 6), [
    "QPP Warning: 'key' has size of 14 bytes, required 211 bytes at least",
    "QPP Warning: QPPCount 6, required 7 at least",
    "QPP Warning: QPPCount 6, choose a prime number for security",
  ]);
  assert.deepEqual(qppWarnings(long, 8), [
    "QPP Warning: QPPCount 8, choose a prime number for security",
  ]);
  assert.deepEqual(qppWarnings(long, 1), ["QPP Warning: QPPCount 1, required 7 at least"]);
  assert.throws(() => qppWarnings(long, 0), RangeError); // kcptun: fatal
});
