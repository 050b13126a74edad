import assert from "node:assert/strict";
import {
  decodeKcpHeader,
  encodeKcpHeader,
  KCP_HEADER_SIZE,
  KCP_OFF_SN,
  type KcpHeader,
} from "../../lib/kcp/header.ts";
import { Prng } from "../../lib/link/prng.ts";
import { fromHex, toHex } from "../_helpers/bytes.ts";
import { loadVector } from "../_helpers/vectors.ts";
import { collectKcpPackets, LE_VECTOR_FILES, LIBEV_VECTOR_FILES } from "./_vectors.ts";

function blank(): KcpHeader {
  return { conv: 0, cmd: 0, frg: 0, wnd: 0, ts: 0, sn: 0, una: 0, len: 0 };
}

Deno.test("header: wire spec §11.1 segment encodes and decodes exactly", () => {
  const h: KcpHeader = {
    conv: 0x11223344,
    cmd: 81,
    frg: 0,
    wnd: 512,
    ts: 1000,
    sn: 0,
    una: 0,
    len: 5,
  };
  const buf = new Uint8Array(29);
  assert.equal(encodeKcpHeader(buf, 0, h), 24);
  buf.set(new TextEncoder().encode("hello"), 24);
  assert.equal(
    toHex(buf),
    "4433221151000002e8030000000000000000000005000000" + "68656c6c6f",
  );
  const back = blank();
  assert.equal(decodeKcpHeader(buf, 0, back), true);
  assert.deepEqual(back, h);
  assert.equal(KCP_OFF_SN, 12); // kcp-go IKCP_SN_OFFSET
});

Deno.test("header: every kcp-go vector segment decodes field-exact and re-encodes byte-exact", () => {
  let segments = 0;
  let packets = 0;
  const h = blank();
  for (const file of LE_VECTOR_FILES) {
    for (const p of collectKcpPackets(loadVector(file), file)) {
      packets++;
      const bytes = fromHex(p.kcpPacket);
      const rebuilt = new Uint8Array(bytes.length);
      let off = 0;
      for (const want of p.segments) {
        assert.ok(decodeKcpHeader(bytes, off, h), `${p.where}: header at ${off}`);
        assert.deepEqual(
          [h.conv, h.cmd, h.frg, h.wnd, h.ts, h.sn, h.una, h.len],
          [want.conv, want.cmd, want.frg, want.wnd, want.ts, want.sn, want.una, want.len],
          p.where,
        );
        const dataOff = encodeKcpHeader(rebuilt, off, h);
        const data = bytes.subarray(dataOff, dataOff + h.len);
        assert.equal(toHex(data), want.data ?? "", p.where);
        rebuilt.set(data, dataOff);
        off = dataOff + h.len;
        segments++;
      }
      assert.equal(off, bytes.length, `${p.where}: no trailing bytes`);
      assert.equal(toHex(rebuilt), p.kcpPacket, p.where);
    }
  }
  // Every capture and library session of both kcp-go versions contributes.
  assert.ok(packets >= 400, `packets ${packets}`);
  assert.ok(segments >= 500, `segments ${segments}`);
});

Deno.test("header: kcptun-libev (big-endian) segments decode and re-encode exactly", () => {
  let segments = 0;
  const h = blank();
  for (const file of LIBEV_VECTOR_FILES) {
    const v = loadVector(file);
    for (const d of v.datagrams) {
      if (d.decoded?.kind !== "kcp") continue;
      // The KCP packet is the plaintext minus its padding (the whole payload when unencrypted).
      const plain = fromHex(d.plaintext_hex ?? d.udp_payload_hex);
      const packet = plain.subarray(0, plain.length - d.decoded.pad_len);
      let off = 0;
      for (const s of d.decoded.segments) {
        assert.ok(decodeKcpHeader(packet, off, h, true));
        assert.deepEqual(
          [h.conv, h.cmd, h.frg, h.wnd, h.ts, h.sn, h.una, h.len],
          [parseInt(s.conv, 16), s.cmd, s.frg, s.wnd, s.ts, s.sn, s.una, s.len],
          `${file} #${d.index}`,
        );
        const hdr = new Uint8Array(KCP_HEADER_SIZE);
        encodeKcpHeader(hdr, 0, h, true);
        assert.equal(toHex(hdr), s.header_hex.toLowerCase());
        assert.equal(toHex(packet.subarray(off, off + 24)), s.header_hex.toLowerCase());
        assert.equal(
          toHex(packet.subarray(off + 24, off + 24 + h.len)),
          (s.data_hex ?? "").toLowerCase(),
        );
        // The same header read little-endian is different (the byte order really matters).
        const le = blank();
        decodeKcpHeader(packet, off, le, false);
        assert.notEqual(le.conv === h.conv && le.wnd === h.wnd && le.ts === h.ts, true);
        off += 24 + h.len;
        segments++;
      }
      assert.equal(off, packet.length, `${file} #${d.index}: segments fill the packet`);
    }
  }
  assert.ok(segments >= 60, `segments ${segments}`);
});

Deno.test("header: decode rejects short or out-of-range input without throwing", () => {
  const h = blank();
  const before = { ...h };
  assert.equal(decodeKcpHeader(new Uint8Array(0), 0, h), false);
  assert.equal(decodeKcpHeader(new Uint8Array(23), 0, h), false);
  assert.equal(decodeKcpHeader(new Uint8Array(48), 25, h), false);
  assert.equal(decodeKcpHeader(new Uint8Array(48), -1, h), false);
  assert.equal(decodeKcpHeader(new Uint8Array(48), NaN, h), false);
  assert.equal(decodeKcpHeader(new Uint8Array(48), 100, h), false);
  assert.deepEqual(h, before);
  // Random buffers and offsets (seeded): true exactly when 24 bytes remain, never a throw.
  const rng = new Prng(11);
  for (let i = 0; i < 2000; i++) {
    const buf = new Uint8Array(rng.int(64));
    for (let j = 0; j < buf.length; j++) buf[j] = rng.next();
    const off = rng.int(80) - 8;
    const ok = decodeKcpHeader(buf, off, h, rng.int(2) === 1);
    assert.equal(ok, off >= 0 && buf.length - off >= 24);
    if (ok) assert.ok(h.conv >= 0 && h.conv <= 0xffffffff && h.len >= 0 && h.wnd <= 0xffff);
  }
});

Deno.test("header: encode needs 24 bytes and truncates fields to wire widths", () => {
  const h: KcpHeader = {
    conv: 0xffffffff,
    cmd: 0x1ff,
    frg: 0x100,
    wnd: 0x12345,
    ts: 0xdeadbeef,
    sn: 0x80000000,
    una: 1,
    len: 0,
  };
  assert.throws(() => encodeKcpHeader(new Uint8Array(23), 0, h), RangeError);
  assert.throws(() => encodeKcpHeader(new Uint8Array(30), 7, h), RangeError);
  const buf = new Uint8Array(24);
  encodeKcpHeader(buf, 0, h, true);
  assert.equal(
    toHex(buf),
    "ffffffff" + "ff" + "00" + "2345" + "deadbeef" + "80000000" + "00000001" + "00000000",
  );
  const back = blank();
  decodeKcpHeader(buf, 0, back, true);
  assert.deepEqual(back, { ...h, cmd: 0xff, frg: 0, wnd: 0x2345 });
});
