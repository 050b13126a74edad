// Untrusted input never throws: random, truncated, oversized and structured-random frames
// (seeded) end as a status (isClosed, stats), and the accounting stays consistent.

import assert from "node:assert/strict";
import { SmuxSession } from "../../lib/smux/session.ts";
import { resolveSmuxConfig } from "../../lib/smux/config.ts";
import { SMUX_MAX_PAYLOAD, writeFrameHeader } from "../../lib/smux/frame.ts";
import { concat, fromHex } from "../_helpers/bytes.ts";
import { Mulberry32 } from "../_helpers/rng.ts";
import { loadVector } from "../_helpers/vectors.ts";

function session(version: 1 | 2, isClient: boolean, sids: Set<number>) {
  const closed: string[] = [];
  const s = new SmuxSession(isClient, resolveSmuxConfig({ version }), {
    output: (b) => assert.ok(b.length >= 8),
    accept: (sid) => sids.add(sid),
    closed: (r) => closed.push(r),
  }, 0);
  return { s, closed };
}

function frame(rng: Mulberry32, version: number): Uint8Array {
  const cmd = rng.inRange(0, 99) === 0 ? rng.inRange(0, 255) : rng.inRange(0, 4);
  const sid = rng.inRange(0, 3) === 0 ? rng.next() : rng.inRange(0, 12);
  let len = rng.inRange(0, 4) === 0 ? rng.inRange(0, SMUX_MAX_PAYLOAD) : rng.inRange(0, 40);
  if (cmd === 4 && rng.inRange(0, 3) !== 0) len = 8;
  if (cmd !== 2 && rng.inRange(0, 2) !== 0) len = cmd === 4 ? 8 : 0;
  const b = new Uint8Array(8 + len);
  const ver = rng.inRange(0, 199) === 0 ? rng.inRange(0, 255) : version;
  writeFrameHeader(b, 0, ver, cmd, len, sid);
  b.set(rng.bytes(Math.min(len, 64)), 8);
  return b;
}

function checkAccounting(s: SmuxSession, sids: Set<number>) {
  let sum = 0;
  for (const sid of sids) sum += s.readableBytes(sid);
  assert.equal(s.bufferedBytes, sum);
  assert.ok(s.bufferedBytes >= 0);
  assert.ok(s.stats.protocolErrors <= 1);
  assert.equal(s.isClosed || s.stats.protocolErrors === 0, true);
}

Deno.test("fuzz: random bytes in random chunks never throw", () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rng = new Mulberry32(seed);
    const sids = new Set<number>();
    const { s, closed } = session(rng.inRange(1, 2) as 1 | 2, rng.inRange(0, 1) === 1, sids);
    const data = rng.bytes(rng.inRange(0, 5000));
    for (let o = 0; o < data.length;) {
      const n = rng.inRange(1, 300);
      s.input(data.subarray(o, o + n), 0);
      o += n;
    }
    checkAccounting(s, sids);
    assert.ok(closed.length <= 1);
    if (s.isClosed) assert.match(closed[0], /^Protocol error: /);
  }
});

Deno.test("fuzz: structured random frames mixed with application calls", () => {
  let closedCount = 0, discarded = 0, accepted = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const rng = new Mulberry32(1000 + seed);
    const version = rng.inRange(1, 2) as 1 | 2;
    const sids = new Set<number>();
    const { s } = session(version, rng.inRange(0, 1) === 1, sids);
    const dst = new Uint8Array(512);
    for (let i = 0; i < 60; i++) {
      const bytes = frame(rng, version);
      for (let o = 0; o < bytes.length;) {
        const n = rng.inRange(1, bytes.length);
        s.input(bytes.subarray(o, o + n), i);
        o += n;
      }
      const sid = rng.inRange(0, 12);
      switch (rng.inRange(0, 7)) {
        case 0:
          s.read(sid, dst, i);
          break;
        case 1:
          assert.ok(s.write(sid, rng.bytes(rng.inRange(0, 300)), i) >= -1);
          break;
        case 2:
          s.closeWrite(sid, i);
          break;
        case 3:
          s.closeStream(sid, i);
          break;
        case 4: {
          const id = s.openStream(i);
          if (id > 0) sids.add(id);
          break;
        }
        case 5:
          s.tick(i * 100);
          break;
      }
      checkAccounting(s, sids);
    }
    if (s.isClosed) closedCount++;
    discarded += s.stats.discardedPsh;
    accepted += s.stats.streamsAccepted;
  }
  // The generator reaches every branch: some sessions survive, some die, data gets dropped.
  assert.ok(closedCount > 30 && closedCount < 300, `closed ${closedCount}`);
  assert.ok(discarded > 0 && accepted > 0);
});

Deno.test("fuzz: every prefix of real frame streams is accepted without error", () => {
  const smux = loadVector("smux.json");
  const latest = loadVector("latest/smux-latest.json");
  // deno-lint-ignore no-explicit-any
  const clientBytes = (frames: any[]) =>
    fromHex(frames.filter((f) => f.writer === "client").map((f) => f.frame).join(""));
  const streams: [1 | 2, Uint8Array][] = [];
  for (const v of smux.versions) streams.push([v.version, clientBytes(v.library_dialog)]);
  streams.push([2, clientBytes(latest.library_dialog_v2.frames)]);
  const pshBytes = (b: Uint8Array) => {
    let n = 0;
    for (let o = 0; o < b.length; o += 8 + (b[o + 2] | (b[o + 3] << 8))) {
      if (b[o + 1] === 2) n += b[o + 2] | (b[o + 3] << 8);
    }
    return n;
  };
  for (const [version, bytes] of streams) {
    const cuts = [0, 1, 7, 8, 9, 15, 16, 23, 24, 30, 100, 40000, bytes.length - 1];
    for (const cut of cuts) {
      const sids = new Set<number>();
      const { s } = session(version, false, sids);
      s.input(bytes.subarray(0, cut), 0);
      assert.equal(s.isClosed, false, `prefix ${cut}`);
      checkAccounting(s, sids);
      s.input(bytes.subarray(cut), 0); // and the rest completes it
      assert.equal(s.stats.protocolErrors, 0);
      assert.equal(s.readableBytes(3), pshBytes(bytes));
    }
  }
});

Deno.test("fuzz: oversized and malformed frames are statuses, not exceptions", () => {
  const cases: [string, 1 | 2, Uint8Array, boolean][] = [];
  const f = (ver: number, cmd: number, len: number, sid: number, payload = len) => {
    const b = new Uint8Array(8 + payload);
    writeFrameHeader(b, 0, ver, cmd, len, sid);
    return b;
  };
  cases.push(["max PSH to an unknown sid", 2, f(2, 2, 0xffff, 9), false]);
  cases.push(["max PSH, truncated", 2, concat([f(2, 0, 0, 9), f(2, 2, 0xffff, 9, 100)]), false]);
  cases.push(["NOP with 65535 payload bytes", 1, f(1, 3, 0xffff, 0), false]);
  cases.push(["FIN with payload for unknown sid", 1, f(1, 1, 12, 77), false]);
  cases.push(["UPD of length 9", 2, f(2, 4, 9, 3), true]);
  cases.push(["UPD of length 0", 2, f(2, 4, 0, 3), true]);
  cases.push(["UPD of length 8 in v1 (ignored)", 1, f(1, 4, 8, 3), false]);
  cases.push(["cmd 255", 1, f(1, 255, 0, 3), true]);
  cases.push(["version 0", 1, f(0, 0, 0, 3), true]);
  cases.push(["v2 frame on v1", 1, f(2, 0, 0, 3), true]);
  cases.push(["empty", 1, new Uint8Array(0), false]);
  for (const [name, version, bytes, error] of cases) {
    const sids = new Set<number>();
    const { s, closed } = session(version, false, sids);
    s.input(bytes, 0);
    assert.equal(s.isClosed, error, name);
    assert.equal(s.stats.protocolErrors, error ? 1 : 0, name);
    assert.equal(closed.length, error ? 1 : 0, name);
    checkAccounting(s, sids);
    // Protocol errors stop the parser: nothing after them is processed. (A truncated frame
    // instead swallows the next bytes as its payload.)
    const before = s.stats.framesIn;
    s.input(f(version, 0, 0, 99), 0);
    if (!name.includes("truncated")) assert.equal(s.stats.framesIn, before + (error ? 0 : 1), name);
  }
});
