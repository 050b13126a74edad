/**
 * KcpSession unit checks that the whole-stack tests rely on.
 */

import assert from "node:assert/strict";
import { KcpSession, payloadConv, payloadFirstSn } from "../../lib/session/kcp_session.ts";
import { createPacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { Prng } from "../../lib/link/prng.ts";
import { fromHex, seededBytes, seededFill } from "../_helpers/bytes.ts";
import { KCPTUN_CAPTURES, loadCapture } from "../_helpers/vectors.ts";

const U32 = 2 ** 32;

Deno.test("kcp session: update returns its next deadline in the caller's clock, across 2^32", () => {
  // Drivers pass an unbounded monotonic ms clock (lib/tunnel/driver.ts); KCP keeps uint32 time.
  // The deadline must stay within one interval ahead of `now` however large `now` is, or a
  // driver scheduling `next - now` spins (negative) or sleeps 49 days (wrapped forward).
  for (const start of [1000, U32 - 45, U32 - 1, U32, U32 + 12345, 3 * U32 - 7]) {
    const crypt = createPacketCrypt("aes", new Uint8Array(32), seededFill(1));
    const s = new KcpSession({ conv: 9, crypt, interval: 30 }, () => {}, start);
    let now = start;
    for (let i = 0; i < 8; i++) {
      const next = s.update(now);
      assert.ok(next >= now && next <= now + 30, `start ${start} step ${i}: ${next - now}`);
      now = Math.max(next, now + 1);
    }
  }
});

Deno.test("kcp session: update deadlines also work for a uint32-wrapped clock (wrap-safe difference)", () => {
  const crypt = createPacketCrypt("none", new Uint8Array(32), seededFill(2));
  const s = new KcpSession({ conv: 9, crypt, interval: 20 }, () => {}, U32 - 50);
  let clock = U32 - 50;
  for (let i = 0; i < 10; i++) {
    const now = clock >>> 0;
    const next = s.update(now);
    const wait = (next - now) | 0;
    assert.ok(wait >= 0 && wait <= 20, `step ${i}: ${wait}`);
    clock += Math.max(wait, 1);
  }
});

Deno.test("kcp session: payloadConv / payloadFirstSn read every capture datagram as recorded", () => {
  for (const file of KCPTUN_CAPTURES) {
    const cap = loadCapture(file);
    const crypt = createPacketCrypt(cap.settings.crypt, fromHex(cap.pass), seededFill(4));
    for (const d of cap.datagrams) {
      const b = fromHex(d.datagram);
      const n = crypt.open(b, b.length);
      assert.ok(n >= 0);
      const off = crypt.headerSize;
      const where = `${file} #${d.index}`;
      // parity packets carry no KCP header: no conv, no sn
      const first = d.kind === "parity" ? { conv: -1, sn: -1 } : d.kcp_segments[0];
      assert.equal(payloadConv(b, off, n), first.conv, where);
      assert.equal(payloadFirstSn(b, off, n), first.sn, where);
      // every truncation reads as "none" or as the same values, never throws
      for (let len = 0; len < n; len++) {
        const c = payloadConv(b, off, len);
        assert.ok(c === -1 || c === first.conv, `${where} cut to ${len}`);
        const sn = payloadFirstSn(b, off, len);
        assert.ok(sn === -1 || sn === first.sn, `${where} cut to ${len}`);
      }
    }
  }
});

Deno.test("kcp session: truncated and random payloads only move error counters", () => {
  const cap = loadCapture("capture-default.json");
  const conv = cap.datagrams[0].kcp_segments[0].conv;
  const crypt = createPacketCrypt("aes", fromHex(cap.pass), seededFill(5));
  const s = new KcpSession({ conv, crypt }, () => {}, 0);
  const rng = new Prng(6);
  let fed = 0;
  for (const d of cap.datagrams.filter((x) => x.direction === "client_to_server")) {
    const b = fromHex(d.datagram);
    const n = crypt.open(b, b.length);
    for (const len of [0, 1, 7, 8, 9, 23, 24, 31, 32, n - 1]) {
      if (len < 0 || len >= n) continue;
      s.inputPayload(b.slice(), crypt.headerSize, len, 0);
      fed++;
    }
    const junk = seededBytes(rng.int(1500), rng.next());
    s.inputPayload(junk, 0, junk.length, 0);
    fed++;
  }
  const snmp = s.snmp;
  assert.equal(snmp.InPkts, fed);
  assert.equal(snmp.InCsumErrors, 0);
  assert.ok(snmp.InErrs > 0 && snmp.KCPInErrors > 0);
  // nothing valid was fed whole, so nothing reached the stream
  assert.equal(s.recv(new Uint8Array(65536)) > 0, false);
  assert.equal(snmp.BytesReceived, 0);
});

Deno.test("kcp session: --ratelimit caps rate control's pacing, so nothing waits outside KCP", () => {
  // Two sessions over an instant link, 1 ms steps. Unlimited, the rate controller finds a
  // high rate; with a 100 kB/s datagram limit, KCP's pacing stays below the limit's data share,
  // and the datagrams leaving in a second stay within the limit (plus the start's burst).
  const run = (paceLimit: number) => {
    const crypt = createPacketCrypt("none", new Uint8Array(32), seededFill(3));
    const wire: { to: KcpSession; bytes: Uint8Array }[] = [];
    let sentBytes = 0;
    const opts = { conv: 5, crypt, rateControl: true, sndwnd: 256, rcvwnd: 256 };
    const sender: KcpSession[] = []; // b's datagrams go to a, created after it
    const b = new KcpSession(
      opts,
      (buf, n) => wire.push({ to: sender[0], bytes: buf.slice(0, n) }),
      0,
    );
    const a = new KcpSession({ ...opts, paceLimit }, (buf, n) => {
      sentBytes += n;
      wire.push({ to: b, bytes: buf.slice(0, n) });
    }, 0);
    sender.push(a);
    const data = seededBytes(400_000, 4);
    let off = 0;
    const sink = new Uint8Array(65536);
    let maxRate = 0;
    let got = 0;
    for (let now = 0; now < 2000; now++) {
      while (off < data.length && a.canSend()) {
        assert.equal(a.send(data.subarray(off, off + 4096), now), 0);
        off += 4096;
      }
      a.update(now);
      b.update(now);
      for (const d of wire.splice(0)) d.to.input(d.bytes, d.bytes.length, now);
      for (let n = b.recv(sink); n > 0; n = b.recv(sink)) got += n;
      maxRate = Math.max(maxRate, a.kcp.pacingRate);
    }
    return { sentBytes, maxRate, got };
  };
  const free = run(0);
  const limited = run(100_000);
  const cap = 100_000 * 0.95; // before the FEC and header shares make it smaller still
  assert.equal(free.got, 400_000);
  assert.ok(free.maxRate > 2 * cap, `unlimited pacing ${free.maxRate}`);
  assert.ok(limited.maxRate > 0 && limited.maxRate <= cap, `limited pacing ${limited.maxRate}`);
  // 2 s at 100 kB/s, plus the first flight before any rate sample; and most of it used
  assert.ok(limited.sentBytes <= 200_000 + 64_000, `sent ${limited.sentBytes}`);
  assert.ok(limited.sentBytes >= 150_000, `sent ${limited.sentBytes}`);
});
