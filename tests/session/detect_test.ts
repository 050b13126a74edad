/**
 * detectCrypt / plausiblePayload: every capture datagram is recognised (captures_test.ts);
 * here truncated, random and oversized inputs return undefined (or at worst the structural
 * `null` guess) and never throw.
 */

import assert from "node:assert/strict";
import {
  detectCrypt,
  DETECTION_ORDER,
  LazyCandidates,
  plausiblePayload,
} from "../../lib/session/detect.ts";
import { createPacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { Prng } from "../../lib/link/prng.ts";
import { fromHex, seededBytes, seededFill } from "../_helpers/bytes.ts";
import { KCPTUN_CAPTURES, loadCapture } from "../_helpers/vectors.ts";

Deno.test("detect: truncated capture datagrams are not recognised as their method", () => {
  for (const file of KCPTUN_CAPTURES) {
    const cap = loadCapture(file);
    const crypts = DETECTION_ORDER.map((m) =>
      createPacketCrypt(m, fromHex(cap.pass), seededFill(1))
    );
    const scratch = new Uint8Array(2048);
    for (const d of cap.datagrams.slice(0, 12)) {
      const full = fromHex(d.datagram);
      for (let len = 0; len < full.length; len++) {
        const found = detectCrypt(full, len, crypts, scratch);
        if (cap.settings.crypt === "null") {
          // no integrity at all: a cut KCP chain can still look like a shorter valid one
          if (found !== undefined) assert.equal(found.crypt.method, "null");
        } else {
          assert.equal(found, undefined, `${file} #${d.index} cut to ${len}`);
        }
      }
    }
  }
});

Deno.test("detect: random, short and oversized datagrams never throw and match no authenticated method", () => {
  const crypts = DETECTION_ORDER.map((m) =>
    createPacketCrypt(m, seededBytes(32, 2), seededFill(3))
  );
  const scratch = new Uint8Array(8192);
  const rng = new Prng(4);
  let nullGuesses = 0;
  for (let i = 0; i < 3000; i++) {
    const len = i < 100 ? i : i < 2900 ? rng.int(1501) : 1501 + rng.int(4000);
    const b = seededBytes(len, rng.next());
    const found = detectCrypt(b, len, crypts, scratch);
    if (found !== undefined) {
      assert.equal(found.crypt.method, "null", `length ${len}`);
      nullGuesses++;
    }
  }
  // a structural guess needs FEC type bytes or a well-formed KCP chain: rare in random data
  assert.ok(nullGuesses < 10, `${nullGuesses}`);
});

Deno.test("detect: plausiblePayload accepts kcptun shapes and rejects near misses", () => {
  const seg = (cmd: number, len: number) => {
    const s = new Uint8Array(24 + len);
    s[4] = cmd;
    s[20] = len & 0xff;
    s[21] = len >>> 8;
    return s;
  };
  const fecData = (kcp: Uint8Array) => {
    const p = new Uint8Array(8 + kcp.length);
    p[4] = 0xf1;
    const size = kcp.length + 2;
    p[6] = size & 0xff;
    p[7] = size >>> 8;
    p.set(kcp, 8);
    return p;
  };
  const ok = (b: Uint8Array) => plausiblePayload(b, 0, b.length);
  assert.ok(ok(seg(81, 10)));
  assert.ok(ok(new Uint8Array([...seg(82, 0), ...seg(81, 5)])));
  assert.ok(ok(fecData(seg(81, 100))));
  assert.ok(ok(Uint8Array.of(0, 0, 0, 0, 0xf2, 0, 1, 2)));
  assert.ok(!ok(seg(80, 0)));
  assert.ok(!ok(seg(85, 0)));
  assert.ok(!ok(seg(81, 10).subarray(0, 30)));
  assert.ok(!ok(new Uint8Array(23)));
  const bad = fecData(seg(81, 100));
  bad[6]++; // size field disagrees with the length
  assert.ok(!ok(bad));
  assert.ok(!ok(Uint8Array.of(0, 0, 0, 0, 0xf2, 0, 1)));
});

Deno.test("detect: LazyCandidates creates each crypt once, in order, only as far as detection goes", () => {
  const cap = loadCapture(KCPTUN_CAPTURES.find((f) => loadCapture(f).settings.crypt === "aes")!);
  const made: string[] = [];
  const lazy = new LazyCandidates(DETECTION_ORDER, (m) => {
    made.push(m);
    return createPacketCrypt(m, fromHex(cap.pass), seededFill(5));
  });
  assert.equal(lazy.created, 0);
  const scratch = new Uint8Array(2048);
  const first = fromHex(cap.datagrams[0].datagram);
  const found = detectCrypt(first, first.length, lazy, scratch);
  assert.equal(found?.crypt.method, "aes");
  assert.deepEqual(made, ["aes-128-gcm", "aes"]);
  // the same objects are tried again; nothing new is built for a second aes datagram
  const second = fromHex(cap.datagrams[1].datagram);
  assert.equal(detectCrypt(second, second.length, lazy, scratch)?.crypt, found?.crypt);
  assert.equal(lazy.created, 2);
  // junk walks the whole order once, then reuses every crypt
  const junk = seededBytes(300, 6);
  assert.equal(detectCrypt(junk, junk.length, lazy, scratch), undefined);
  assert.deepEqual(made, [...DETECTION_ORDER]);
  assert.equal(detectCrypt(junk, junk.length, lazy, scratch), undefined);
  assert.equal(lazy.created, DETECTION_ORDER.length);
});
