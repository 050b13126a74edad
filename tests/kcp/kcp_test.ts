import assert from "node:assert/strict";
import {
  CMD_ACK,
  CMD_PUSH,
  CMD_WASK,
  CMD_WINS,
  Kcp,
  KCP_OVERHEAD,
  type KcpOptions,
  MODE_PRESETS,
} from "../../lib/kcp/kcp.ts";
import { decodeKcpHeader, encodeKcpHeader, type KcpHeader } from "../../lib/kcp/header.ts";
import { Prng } from "../../lib/link/prng.ts";
import { fromHex, seededBytes, toHex } from "../_helpers/bytes.ts";
import { loadVector } from "../_helpers/vectors.ts";
import { forceSequence } from "./_sim.ts";

const CONV = 0x01020304;

interface Seg extends KcpHeader {
  data: Uint8Array;
}

/** Split a KCP packet into segments (the test's own reading of the format). */
function parse(pkt: Uint8Array, bigEndian = false): Seg[] {
  const out: Seg[] = [];
  let off = 0;
  for (;;) {
    const h = { conv: 0, cmd: 0, frg: 0, wnd: 0, ts: 0, sn: 0, una: 0, len: 0 };
    if (!decodeKcpHeader(pkt, off, h, bigEndian)) break;
    out.push({ ...h, data: pkt.slice(off + 24, off + 24 + h.len) });
    off += 24 + h.len;
  }
  assert.equal(off, pkt.length, "packet is whole segments");
  return out;
}

/** Build a packet from segments. */
function build(segs: Partial<Seg>[], bigEndian = false): Uint8Array {
  let total = 0;
  for (const s of segs) total += 24 + (s.data?.length ?? 0);
  const buf = new Uint8Array(total);
  let off = 0;
  for (const s of segs) {
    const data = s.data ?? new Uint8Array(0);
    off = encodeKcpHeader(buf, off, {
      conv: s.conv ?? CONV,
      cmd: s.cmd ?? CMD_PUSH,
      frg: s.frg ?? 0,
      wnd: s.wnd ?? 32,
      ts: s.ts ?? 0,
      sn: s.sn ?? 0,
      una: s.una ?? 0,
      len: s.len ?? data.length,
    }, bigEndian);
    buf.set(data, off);
    off += data.length;
  }
  return buf;
}

/** An engine whose output packets (KCP bytes only) are collected. */
function endpoint(
  opts: KcpOptions & {
    mtu?: number;
    stream?: boolean;
    nd?: [number, number, number, number];
    conv?: number;
  } = {},
): { kcp: Kcp; out: Uint8Array[]; sizes: number[] } {
  const out: Uint8Array[] = [];
  const sizes: number[] = [];
  const reserved = opts.reserved ?? 0;
  const kcp = new Kcp(opts.conv ?? CONV, (buf, size) => {
    sizes.push(size);
    out.push(buf.slice(reserved, size));
  }, opts);
  if (opts.mtu !== undefined) assert.equal(kcp.setMtu(opts.mtu), true);
  const [nodelay, interval, resend, nc] = opts.nd ?? [0, 30, 2, 1];
  kcp.setNoDelay(nodelay, interval, resend, nc);
  kcp.streamMode = opts.stream ?? true;
  return { kcp, out, sizes };
}

function allSegs(out: Uint8Array[], be = false): Seg[] {
  return out.flatMap((p) => parse(p, be));
}

// ---------------------------------------------------------------------------------------------
// Constants, presets, configuration

Deno.test("kcp: constants and presets match kcp-go / kcptun", () => {
  assert.deepEqual([KCP_OVERHEAD, CMD_PUSH, CMD_ACK, CMD_WASK, CMD_WINS], [24, 81, 82, 83, 84]);
  assert.deepEqual(Object.keys(MODE_PRESETS), ["normal", "fast", "fast2", "fast3"]);
  assert.deepEqual(MODE_PRESETS.normal, { nodelay: 0, interval: 40, resend: 2, nc: 1 });
  assert.deepEqual(MODE_PRESETS.fast, { nodelay: 0, interval: 30, resend: 2, nc: 1 });
  assert.deepEqual(MODE_PRESETS.fast2, { nodelay: 1, interval: 20, resend: 2, nc: 1 });
  assert.deepEqual(MODE_PRESETS.fast3, { nodelay: 1, interval: 10, resend: 2, nc: 1 });
  assert.ok(Object.isFrozen(MODE_PRESETS) && Object.isFrozen(MODE_PRESETS.fast));
});

Deno.test("kcp: defaults are ikcp's (mtu 1400, windows 32, rto 200)", () => {
  const kcp = new Kcp(5, () => {});
  assert.equal(kcp.conv, 5);
  assert.equal(kcp.mss, 1376);
  assert.equal(kcp.sndWnd, 32);
  assert.equal(kcp.rcvWnd, 32);
  assert.equal(kcp.rmtWnd, 32);
  assert.equal(kcp.rto, 200);
  assert.equal(kcp.srtt, 0);
  assert.equal(kcp.cwnd, 0);
  assert.equal(kcp.state, 0);
  assert.equal(kcp.streamMode, false);
  assert.equal(kcp.ackNoDelay, false);
  assert.equal(kcp.waitSnd(), 0);
  assert.equal(kcp.peekSize(), -1);
  assert.equal(kcp.recv(new Uint8Array(10)), -1);
});

Deno.test("kcp: constructor and setters reject bad configuration with named errors", () => {
  const f = () => {};
  assert.throws(() => new Kcp(-1, f), {
    name: "RangeError",
    message: "Conv must be 0..4294967295, got -1",
  });
  assert.throws(() => new Kcp(2 ** 32, f), RangeError);
  assert.throws(() => new Kcp(1.5, f), {
    name: "TypeError",
    message: "Conv must be an integer, got 1.5",
  });
  // deno-lint-ignore no-explicit-any
  assert.throws(() => new Kcp(1, "x" as any), TypeError);
  assert.throws(() => new Kcp(1, f, { reserved: 1376 }), {
    name: "RangeError",
    message: "Reserved must be 0..1375, got 1376",
  });
  assert.throws(() => new Kcp(1, f, { tailroom: -1 }), RangeError);
  assert.throws(() => new Kcp(1, f, { probeInit: 0 }), RangeError);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => new Kcp(1, f, { bigEndian: 1 as any }), TypeError);
  const kcp = new Kcp(1, f);
  assert.throws(() => kcp.setWindowSize(65536, 1), {
    name: "RangeError",
    message: "Send window must be -9007199254740991..65535, got 65536",
  });
  assert.throws(() => kcp.setWindowSize(1, 70000), RangeError);
  assert.throws(() => kcp.setNoDelay(0.5, 10, 2, 1), TypeError);
  // kcp-go: values <= 0 leave a window unchanged, negative NoDelay args leave settings unchanged.
  kcp.setWindowSize(0, -5);
  assert.deepEqual([kcp.sndWnd, kcp.rcvWnd], [32, 32]);
  kcp.setWindowSize(128, 512);
  assert.deepEqual([kcp.sndWnd, kcp.rcvWnd], [128, 512]);
});

Deno.test("kcp: setMtu uses the whole-datagram budget (mss = mtu − 24 − reserved) and bounds 50..1500", () => {
  const kcp = new Kcp(1, () => {}, { reserved: 28 });
  assert.equal(kcp.mss, 1400 - 24 - 28);
  assert.equal(kcp.setMtu(1350), true);
  assert.equal(kcp.mss, 1298); // kcptun default: aes + FEC 10/3
  for (const bad of [49, 1501, 0, -1, 1350.5, NaN]) {
    assert.equal(kcp.setMtu(bad), false, String(bad));
    assert.equal(kcp.mss, 1298);
  }
  assert.equal(kcp.setMtu(1500), true);
  assert.equal(kcp.mss, 1448);
  assert.equal(kcp.setMtu(52), false, "reserved 28 leaves no payload room in 52");
  assert.equal(kcp.setMtu(53), true);
  assert.equal(kcp.mss, 1);
  assert.equal(new Kcp(1, () => {}).setMtu(50), true);
  const big = new Kcp(1, () => {}, { reserved: 40 });
  assert.equal(big.setMtu(64), false); // 40 >= 64 − 24: no room left
  assert.equal(big.setMtu(65), true);
  assert.equal(big.mss, 1);
});

// ---------------------------------------------------------------------------------------------
// Golden: reproduce real kcp-go output byte for byte

Deno.test("kcp golden: kcp-go library sessions (packet.json) are reproduced byte-exact", () => {
  const v = loadVector("packet.json");
  let packets = 0;
  for (const s of v.library_sessions) {
    const header = s.crypt === null ? 0 : 20;
    const fec = s.data_shards > 0 && s.parity_shards > 0 ? 8 : 0;
    const reserved = header + fec;
    const { kcp, out, sizes } = endpoint({ reserved, mtu: 1350, conv: s.conv });
    kcp.setWindowSize(128, 512);
    const data = s.datagrams.filter((d: { kind: string }) => d.kind === "data");
    assert.equal(data.length, s.session_writes.length);
    s.session_writes.forEach((w: string, i: number) => {
      assert.equal(kcp.send(fromHex(w)), 0);
      kcp.flush(data[i].kcp_segments[0].ts);
      assert.equal(out.length, i + 1, `${s.name}: one packet per write`);
      assert.equal(toHex(out[i]), data[i].kcp_packet, `${s.name} write ${i}`);
      assert.ok(sizes[i] <= 1350);
      packets++;
    });
  }
  assert.equal(packets, 17);
});

interface ReplayCase {
  file: string;
  reserved: number;
  tailroom: number;
  mtu: number;
  probeInit: number;
}

/**
 * Replay the client side of a live capture: feed it the server's packets, make the same writes
 * (one `send` per captured PUSH segment, flushed at that PUSH's ts) and ticks, and compare every
 * packet the client emits with the capture. Server packets are held back while the captured
 * client packet shows it had not received them yet (their arrival raced the client's send).
 */
function replayClient(c: ReplayCase): number {
  const v = loadVector(c.file);
  // deno-lint-ignore no-explicit-any
  type D = any;
  const dgs: D[] = v.datagrams.filter((d: D) => d.kcp_segments);
  const mine = dgs.filter((d: D) => d.direction === "client_to_server");
  const conv = mine[0].kcp_segments[0].conv;
  const outs: string[] = [];
  const kcp = new Kcp(conv, (buf, size) => {
    assert.ok(size <= c.mtu && buf.length >= size + c.tailroom);
    outs.push(toHex(buf.subarray(c.reserved, size)));
  }, { reserved: c.reserved, tailroom: c.tailroom, probeInit: c.probeInit });
  // kcptun client, --mode fast, default windows.
  assert.equal(kcp.setMtu(c.mtu), true);
  kcp.setNoDelay(0, 30, 2, 1);
  kcp.setWindowSize(128, 512);
  kcp.streamMode = true;
  const base = mine[0].kcp_segments[0].ts - mine[0].time_ms;
  const clock = (t: number) => Math.floor(base + t) >>> 0;
  const dst = new Uint8Array(65536);
  const pending: D[] = [];
  const feed = (una: number) => {
    while (pending.length > 0) {
      const p = pending[0];
      if (p.kcp_segments.some((s: D) => s.cmd === CMD_PUSH && ((s.sn - una) | 0) >= 0)) break;
      pending.shift();
      assert.equal(kcp.input(fromHex(p.kcp_packet), true, clock(p.time_ms)), 0);
      while (kcp.recv(dst) > 0);
    }
  };
  let nextSn = 0;
  let matched = 0;
  for (const d of dgs) {
    if (d.direction !== "client_to_server") {
      pending.push(d);
      continue;
    }
    if (outs.length === 0) {
      feed(d.kcp_segments[0].una);
      const fresh = d.kcp_segments.filter((s: D) =>
        s.cmd === CMD_PUSH && ((s.sn - nextSn) | 0) >= 0
      );
      if (outs.length === 0) {
        if (fresh.length > 0) {
          // One send per captured segment: message mode keeps them from coalescing.
          kcp.streamMode = false;
          for (const s of fresh) {
            assert.equal(kcp.send(fromHex(s.data)), 0);
            nextSn = s.sn + 1;
          }
          kcp.streamMode = true;
          kcp.flush(fresh[0].ts);
        } else {
          kcp.flush(clock(d.time_ms)); // a timer tick that only carried ACKs
        }
      }
    }
    assert.equal(outs.shift(), d.kcp_packet, `${c.file} datagram #${d.index}`);
    matched++;
  }
  assert.equal(outs.length, 0);
  return matched;
}

Deno.test("kcp golden: client side of the 2021 captures is reproduced byte-exact", () => {
  assert.equal(
    replayClient({
      file: "capture-plain.json",
      reserved: 20,
      tailroom: 0,
      mtu: 1350,
      probeInit: 7000,
    }),
    19,
  );
  assert.equal(
    replayClient({
      file: "capture-default.json",
      reserved: 28,
      tailroom: 0,
      mtu: 1350,
      probeInit: 7000,
    }),
    37,
  );
});

Deno.test("kcp golden: client side of the latest captures is reproduced byte-exact", () => {
  const f = "latest/capture-latest-";
  assert.equal(
    replayClient({
      file: f + "null-plain.json",
      reserved: 0,
      tailroom: 0,
      mtu: 1350,
      probeInit: 500,
    }),
    26,
  );
  assert.equal(
    replayClient({
      file: f + "default.json",
      reserved: 28,
      tailroom: 0,
      mtu: 1350,
      probeInit: 500,
    }),
    49,
  );
  // aes-128-gcm: 12-byte nonce header + FEC 8 in front, 16-byte tag behind: kcp mtu = 1350 − 16.
  assert.equal(
    replayClient({
      file: f + "gcm-qpp.json",
      reserved: 20,
      tailroom: 16,
      mtu: 1334,
      probeInit: 500,
    }),
    48,
  );
});

Deno.test("kcp golden: big-endian engine answers a kcptun-libev PUSH exactly like its server", () => {
  const v = loadVector("libev/plain.json");
  const push = v.datagrams[2];
  const reply = v.datagrams[3];
  const conv = parseInt(push.decoded.segments[0].conv, 16);
  const outs: Uint8Array[] = [];
  const kcp = new Kcp(conv, (b, s) => outs.push(b.slice(0, s)), { bigEndian: true });
  kcp.setWindowSize(256, 256);
  kcp.streamMode = true;
  kcp.setNoDelay(1, 10, 2, 1);
  const replyTs = reply.decoded.segments[1].ts;
  assert.equal(kcp.input(fromHex(push.udp_payload_hex), true, replyTs - 99), 0);
  assert.equal(outs.length, 0, "the ACK waits for the next flush");
  const dst = new Uint8Array(100);
  assert.equal(toHex(dst.subarray(0, kcp.recv(dst))), push.decoded.segments[0].data_hex);
  assert.equal(kcp.send(fromHex(reply.decoded.segments[1].data_hex)), 0);
  kcp.flush(replyTs);
  assert.equal(outs.length, 1);
  assert.equal(toHex(outs[0]), reply.udp_payload_hex); // ACK(ts echoed) + PUSH, big-endian
});

// ---------------------------------------------------------------------------------------------
// Sending, flushing, packing

Deno.test("kcp: stream mode coalesces writes into the last queued segment, never into sent ones", () => {
  const { kcp, out } = endpoint({ mtu: 200 }); // mss 176
  assert.equal(kcp.send(new Uint8Array(0)), -1);
  assert.equal(kcp.send(new Uint8Array(10).fill(1)), 0);
  assert.equal(kcp.send(new Uint8Array(10).fill(2)), 0);
  assert.equal(kcp.waitSnd(), 1);
  assert.equal(kcp.send(new Uint8Array(300).fill(3)), 0); // tops up to 176, then 144 more
  assert.equal(kcp.waitSnd(), 2);
  kcp.flush(0);
  assert.equal(kcp.send(new Uint8Array(5).fill(4)), 0); // queued segments were sent: new one
  kcp.flush(1);
  const segs = allSegs(out);
  assert.deepEqual(segs.map((s) => [s.sn, s.len, s.frg]), [[0, 176, 0], [1, 144, 0], [2, 5, 0]]);
  assert.deepEqual(Array.from(segs[0].data.subarray(0, 21)), [
    ...new Array(10).fill(1),
    ...new Array(10).fill(2),
    3,
  ]);
  // Stream mode has no 255-fragment limit.
  assert.equal(kcp.send(new Uint8Array(176 * 300)), 0);
  assert.equal(kcp.waitSnd(), 3 + 300);
});

Deno.test("kcp: message mode fragments, reassembles, and refuses > 255 fragments", () => {
  const a = endpoint({ mtu: 200, stream: false });
  const b = endpoint({ mtu: 200, stream: false });
  const msg = seededBytes(176 * 2 + 50, 3);
  assert.equal(a.kcp.send(new Uint8Array(176 * 256)), -2);
  assert.equal(a.kcp.waitSnd(), 0, "nothing queued on error");
  assert.equal(a.kcp.send(msg), 0);
  a.kcp.flush(0);
  const segs = allSegs(a.out);
  assert.deepEqual(segs.map((s) => s.frg), [2, 1, 0]);
  // Deliver the fragments one packet at a time: incomplete until the last.
  for (let i = 0; i < a.out.length; i++) {
    assert.equal(b.kcp.input(a.out[i], true, 5), 0);
    if (i < a.out.length - 1) assert.equal(b.kcp.peekSize(), -1);
  }
  assert.equal(b.kcp.peekSize(), msg.length);
  assert.equal(b.kcp.recv(new Uint8Array(msg.length - 1)), -2);
  const dst = new Uint8Array(1000);
  assert.equal(b.kcp.recv(dst), msg.length);
  assert.deepEqual(dst.subarray(0, msg.length), msg);
  assert.equal(b.kcp.recv(dst), -1);
});

Deno.test("kcp: flush order is ACKs, WASK, WINS, PUSH; WASK/WINS reuse the last ACK's sn and ts", () => {
  const { kcp, out } = endpoint({ mtu: 1350 });
  kcp.send(new Uint8Array(7));
  kcp.flush(0); // sn 0 in flight, RTO at 200
  // The peer closes its window; the first zero-window flush only arms the probe timer.
  assert.equal(kcp.input(build([{ cmd: CMD_WINS, wnd: 0 }]), true, 1000), 0);
  kcp.flush(1000);
  out.length = 0;
  // Then it asks for our window and sends two PUSH (one in order, one ahead).
  const pkt = build([
    { cmd: CMD_WASK, wnd: 0 },
    { cmd: CMD_PUSH, sn: 0, ts: 111, wnd: 0, data: new Uint8Array(3) },
    { cmd: CMD_PUSH, sn: 5, ts: 222, wnd: 0, data: new Uint8Array(3) },
  ]);
  assert.equal(kcp.input(pkt, true, 1500), 0);
  kcp.flush(1500);
  assert.equal(out.length, 1, "all in one packet");
  assert.deepEqual(
    allSegs(out).map((s) => [s.cmd, s.sn, s.ts, s.una, s.wnd]),
    [
      [CMD_ACK, 5, 222, 1, 31], // ACK sn 0 is below una = 1 and not last: filtered
      [CMD_WASK, 5, 222, 1, 31], // probe fired (500 ms after arming); scratch header of the ACK
      [CMD_WINS, 5, 222, 1, 31], // answer to the peer's WASK
      [CMD_PUSH, 0, 1500, 1, 31], // RTO retransmission still goes out with rmt_wnd 0
    ],
  );
  assert.equal(kcp.rmtWnd, 0);
  // Without pending ACKs the scratch header's sn and ts are 0.
  out.length = 0;
  assert.equal(kcp.input(build([{ cmd: CMD_WASK, wnd: 0 }]), true, 1600), 0);
  kcp.flush(1600);
  assert.deepEqual(allSegs(out).map((s) => [s.cmd, s.sn, s.ts]), [[CMD_WINS, 0, 0]]);
});

Deno.test("kcp: packets are filled up to mtu and cut before the segment that would overflow", () => {
  for (const reserved of [0, 28]) {
    const tailroom = 16;
    const { kcp, out, sizes } = endpoint({ mtu: 1350, reserved, tailroom, stream: false });
    kcp.setWindowSize(64, 64);
    const r = new Kcp(CONV, () => {});
    r.setWindowSize(64, 64);
    // Raise rmt_wnd to 64 with a WINS.
    assert.equal(kcp.input(build([{ cmd: CMD_WINS, wnd: 64 }]), true, 0), 0);
    for (let i = 0; i < 30; i++) kcp.send(new Uint8Array(100).fill(i));
    kcp.flush(0);
    const per = Math.floor((1350 - reserved) / 124);
    assert.deepEqual(out.map((p) => parse(p).length), [per, per, 30 - 2 * per]);
    for (const s of sizes.slice(0, 2)) {
      assert.ok(s <= 1350 && s + 124 > 1350, `size ${s}`);
    }
    assert.deepEqual(allSegs(out).map((s) => s.sn), Array.from({ length: 30 }, (_, i) => i));
    assert.equal(kcp.stats.outPkts, 3);
    assert.equal(kcp.stats.outSegs, 30);
    assert.equal(kcp.stats.outBytes, 30 * 124);
  }
});

Deno.test("kcp: output buffer has reserved headroom and tailroom the caller may overwrite", () => {
  const reserved = 28;
  const tailroom = 16;
  const seen: Uint8Array[] = [];
  const kcp = new Kcp(CONV, (buf, size) => {
    assert.ok(buf.length >= size + tailroom);
    seen.push(buf.slice(reserved, size));
    buf.fill(0xee, 0, reserved); // caller writes its headers in place …
    buf.fill(0xdd, size, size + tailroom); // … and its AEAD tag behind
    buf.fill(0xcc, reserved, size); // … and even encrypts the payload in place
  }, { reserved, tailroom });
  kcp.setMtu(1350);
  kcp.setNoDelay(0, 30, 2, 1);
  kcp.streamMode = true;
  kcp.send(seededBytes(3000, 9));
  kcp.flush(0);
  kcp.send(seededBytes(10, 10));
  kcp.flush(1);
  const segs = allSegs(seen);
  assert.deepEqual(segs.map((s) => [s.sn, s.len, s.conv]), [
    [0, 1298, CONV],
    [1, 1298, CONV],
    [2, 404, CONV],
    [3, 10, CONV],
  ]);
  assert.deepEqual(segs[3].data, seededBytes(10, 10));
});

// ---------------------------------------------------------------------------------------------
// Receiving

Deno.test("kcp: receiver ACKs every accepted PUSH, drops out-of-window ones, counts repeats", () => {
  const { kcp, out } = endpoint();
  const d = new Uint8Array([1, 2, 3]);
  // rcv_wnd 32: sn 32 is outside, sn 31 is inside.
  assert.equal(kcp.input(build([{ sn: 32, ts: 9, data: d }]), true, 0), 0);
  assert.equal(kcp.input(build([{ sn: 31, ts: 8, data: d }]), true, 0), 0);
  assert.equal(kcp.stats.repeatSegs, 1);
  assert.equal(kcp.input(build([{ sn: 31, ts: 7, data: d }]), true, 0), 0); // duplicate
  assert.equal(kcp.stats.repeatSegs, 2);
  assert.equal(kcp.input(build([{ sn: 31, ts: 6, data: d }]), false, 0), 0); // FEC: not counted
  assert.equal(kcp.stats.repeatSegs, 2);
  kcp.flush(0);
  assert.deepEqual(allSegs(out).map((s) => [s.cmd, s.sn, s.ts, s.una]), [
    [CMD_ACK, 31, 8, 0],
    [CMD_ACK, 31, 7, 0],
    [CMD_ACK, 31, 6, 0],
  ]);
  assert.equal(kcp.peekSize(), -1, "sn 31 waits for 0..30");
  assert.equal(kcp.stats.inSegs, 4);
});

Deno.test("kcp: ACKs below rcv_nxt are filtered except the last (kcp-go jitter filter)", () => {
  const { kcp, out } = endpoint();
  const d = new Uint8Array(1);
  assert.equal(
    kcp.input(build([{ sn: 0, ts: 1, data: d }, { sn: 1, ts: 2, data: d }]), true, 0),
    0,
  );
  assert.equal(
    kcp.input(build([{ sn: 3, ts: 3, data: d }, { sn: 0, ts: 4, data: d }]), true, 0),
    0,
  );
  kcp.flush(0);
  // acklist 0,1,3,0 with rcv_nxt 2: 0 and 1 dropped, 3 kept, trailing 0 kept as the last one.
  assert.deepEqual(allSegs(out).map((s) => [s.sn, s.ts, s.una]), [[3, 3, 2], [0, 4, 2]]);
});

Deno.test("kcp: advertised wnd is rcv_wnd − rcv_queue, and fast recover sends WINS after a full queue drains", () => {
  const { kcp, out } = endpoint();
  kcp.setWindowSize(32, 8);
  const pkts = [];
  for (let sn = 0; sn < 10; sn++) pkts.push({ sn, data: new Uint8Array([sn]) });
  assert.equal(kcp.input(build(pkts.slice(0, 5)), true, 0), 0);
  kcp.flush(0);
  assert.equal(allSegs(out).at(-1)!.wnd, 3);
  out.length = 0;
  assert.equal(kcp.input(build(pkts.slice(5)), true, 0), 0); // 8 queued, 2 waiting in rcv_buf
  kcp.flush(0);
  assert.equal(allSegs(out).at(-1)!.wnd, 0);
  assert.equal(allSegs(out).at(-1)!.una, 8, "rcv_nxt stops at the full queue");
  out.length = 0;
  const dst = new Uint8Array(3);
  assert.equal(kcp.recv(dst), 3); // queue was full → ASK_TELL
  kcp.flush(1);
  const segs = allSegs(out);
  // 3 one-byte segments read, 2 more moved in from rcv_buf: 7 queued → wnd 1.
  assert.deepEqual(segs.map((s) => [s.cmd, s.wnd, s.una]), [[CMD_WINS, 1, 10]]);
  const rest = new Uint8Array(16);
  assert.equal(kcp.recv(rest), 7);
  assert.deepEqual(Array.from(dst), [0, 1, 2]);
  assert.deepEqual(Array.from(rest.subarray(0, 7)), [3, 4, 5, 6, 7, 8, 9]);
});

Deno.test("kcp: stream recv splits segments across calls; peekSize counts every queued byte", () => {
  const { kcp } = endpoint();
  const a = seededBytes(100, 1);
  const b = seededBytes(100, 2);
  assert.equal(kcp.input(build([{ sn: 0, data: a }, { sn: 1, data: b }]), true, 0), 0);
  assert.equal(kcp.peekSize(), 200);
  assert.equal(kcp.recv(new Uint8Array(0)), -2);
  const first = new Uint8Array(30);
  assert.equal(kcp.recv(first), 30);
  assert.equal(kcp.peekSize(), 170);
  const rest = new Uint8Array(1000);
  assert.equal(kcp.recv(rest), 170);
  assert.deepEqual([...first, ...rest.subarray(0, 170)], [...a, ...b]);
  assert.equal(kcp.recv(rest), -1);
  assert.equal(kcp.peekSize(), -1);
});

Deno.test("kcp: a segment longer than the largest mss is accepted and delivered intact", () => {
  const { kcp } = endpoint();
  const big = seededBytes(4000, 5);
  assert.equal(kcp.input(build([{ sn: 0, data: big }]), true, 0), 0);
  const dst = new Uint8Array(5000);
  assert.equal(kcp.recv(dst), 4000);
  assert.deepEqual(dst.subarray(0, 4000), big);
});

// ---------------------------------------------------------------------------------------------
// Input status codes and robustness

Deno.test("kcp: input status codes: -1 short/conv, -2 length, -3 cmd; earlier segments still count", () => {
  const { kcp } = endpoint();
  assert.equal(kcp.input(new Uint8Array(0), true, 0), -1);
  assert.equal(kcp.input(new Uint8Array(23), true, 0), -1);
  assert.equal(kcp.input(build([{ conv: CONV + 1, sn: 0 }]), true, 0), -1);
  assert.equal(kcp.input(build([{ sn: 0, len: 5, data: new Uint8Array(4) }]), true, 0), -2);
  assert.equal(kcp.input(build([{ sn: 0, len: 0xffffffff }]), true, 0), -2);
  assert.equal(kcp.input(build([{ cmd: 80 }]), true, 0), -3);
  assert.equal(kcp.input(build([{ cmd: 85 }]), true, 0), -3);
  assert.equal(kcp.stats.inErrs, 7);
  assert.equal(kcp.peekSize(), -1, "nothing was accepted");
  // A good PUSH followed by a bad segment: the PUSH is kept (kcp-go processes in order).
  const pkt = build([{ sn: 0, data: new Uint8Array([42]) }, { cmd: 99 }]);
  assert.equal(kcp.input(pkt, true, 0), -3);
  assert.equal(kcp.peekSize(), 1);
  // Trailing bytes shorter than a header are ignored.
  const tail = new Uint8Array(24 + 1 + 10);
  tail.set(build([{ sn: 1, data: new Uint8Array([43]) }]));
  assert.equal(kcp.input(tail, true, 0), 0);
  assert.equal(kcp.peekSize(), 2);
  assert.equal(kcp.stats.inErrs, 8);
});

Deno.test("kcp fuzz: random, truncated and oversized packets return a status and never throw", () => {
  const rng = new Prng(2024);
  const { kcp } = endpoint();
  kcp.setWindowSize(128, 128);
  const valid = build([
    { cmd: CMD_ACK, sn: 3, ts: 5 },
    { sn: 0, data: seededBytes(40, 1) },
    { cmd: CMD_WINS, wnd: 9 },
    { sn: 1, data: seededBytes(300, 2) },
  ]);
  const statuses = new Map<number, number>();
  const tally = (r: number) => statuses.set(r, (statuses.get(r) ?? 0) + 1);
  // Every truncation of a valid packet.
  for (let n = 0; n <= valid.length; n++) {
    const r = kcp.input(valid.subarray(0, n), true, 100);
    assert.ok([0, -1, -2].includes(r), `truncated to ${n}: ${r}`);
    if (n < 24) assert.equal(r, -1);
    tally(r);
  }
  // Random bytes, random lengths (up to 64 KiB), with and without the right conv in front.
  for (let i = 0; i < 3000; i++) {
    const len = i % 50 === 0 ? rng.int(65536) : rng.int(200);
    const junk = new Uint8Array(len);
    for (let j = 0; j < len; j++) junk[j] = rng.next();
    if (i % 2 === 0 && len >= 4) junk.set(build([{}]).subarray(0, 4));
    const r = kcp.input(junk, rng.int(2) === 0, rng.next());
    assert.ok([0, -1, -2, -3].includes(r), `random ${i}: ${r}`);
    tally(r);
  }
  assert.ok((statuses.get(-1) ?? 0) > 1000);
  assert.ok((statuses.get(-2) ?? 0) + (statuses.get(-3) ?? 0) > 500);
  // The engine still works: flush and recv do not throw either.
  kcp.flush(200);
  kcp.update(300);
  const dst = new Uint8Array(100000);
  while (kcp.recv(dst) > 0);
  assert.equal(typeof kcp.check(300), "number");
});

// ---------------------------------------------------------------------------------------------
// Timers, RTT, retransmission

Deno.test("kcp: RTT estimator follows kcp-go (RFC 6298, minrto 100 or 30, interval floor)", () => {
  for (const [nodelay, rtt, want] of [[0, 50, 150], [1, 50, 150], [0, 10, 100], [1, 10, 40]]) {
    const { kcp } = endpoint({ nd: [nodelay, 30, 2, 1] });
    kcp.send(new Uint8Array(10));
    kcp.flush(1000);
    assert.equal(
      kcp.input(build([{ cmd: CMD_ACK, sn: 0, ts: 1000, una: 1 }]), true, 1000 + rtt),
      0,
    );
    assert.equal(kcp.srtt, rtt);
    assert.equal(kcp.rto, want, `nodelay ${nodelay} rtt ${rtt}`);
  }
  // FEC-recovered (regular = false) ACKs feed neither the RTT nor the remote window.
  const { kcp } = endpoint();
  kcp.send(new Uint8Array(10));
  kcp.flush(1000);
  assert.equal(
    kcp.input(build([{ cmd: CMD_ACK, sn: 0, ts: 1000, una: 1, wnd: 7 }]), false, 1050),
    0,
  );
  assert.equal(kcp.srtt, 0);
  assert.equal(kcp.rto, 200);
  assert.equal(kcp.rmtWnd, 32);
  assert.equal(kcp.waitSnd(), 0, "but una still acknowledges");
});

/** Drive one endpoint with update/check only (no peer); return the times PUSH sn 0 was sent. */
function rtoSchedule(nodelay: number, start: number, until: number): { times: number[]; kcp: Kcp } {
  const times: number[] = [];
  let now = start;
  const kcp = new Kcp(CONV, (buf, size) => {
    for (const s of parse(buf.slice(0, size))) if (s.cmd === CMD_PUSH) times.push(now);
  });
  kcp.setNoDelay(nodelay, 10, 2, 1);
  kcp.streamMode = true;
  kcp.update(now >>> 0);
  kcp.send(new Uint8Array(10));
  kcp.flush(now >>> 0);
  while (now < until) {
    const next = kcp.check(now >>> 0);
    const step = (next - (now >>> 0)) | 0;
    assert.ok(step > 0 && step <= 10, `step ${step}`);
    now += step;
    kcp.update(now >>> 0);
  }
  return { times, kcp };
}

Deno.test("kcp: rtoSrttFactor keeps the RTO at least that multiple of the smoothed RTT", () => {
  const rtoAfter = (factor: number, rtts: number[]): number[] => {
    const { kcp } = endpoint();
    kcp.rtoSrttFactor = factor;
    let now = 1000;
    return rtts.map((rtt, sn) => {
      kcp.send(new Uint8Array(10));
      kcp.flush(now);
      kcp.input(build([{ cmd: CMD_ACK, sn, ts: now, una: sn + 1 }]), true, now + rtt);
      now += rtt;
      return kcp.rto;
    });
  };
  // steady 200 ms samples: rttvar shrinks toward 0 and kcp-go's RTO toward srtt + interval
  const steady = Array(12).fill(200);
  const plain = rtoAfter(0, steady);
  assert.equal(plain[0], 600); // srtt 200 + 4 × 100
  assert.equal(plain.at(-1), 230); // the 30 ms interval floor of the variance term
  // with the factor, never below 1.5 × srtt = 300
  const floored = rtoAfter(1.5, steady);
  assert.equal(floored[0], 600);
  assert.equal(floored.at(-1), 300);
  assert.ok(floored.every((r, i) => r === Math.max(plain[i], 300)), `${floored}`);
});

Deno.test("kcp: RTO backoff adds rx_rto per retransmission (rx_rto/2 with nodelay); dead link after 20", () => {
  const normal = rtoSchedule(0, 5000, 5000 + 30000).times.map((t) => t - 5000);
  assert.deepEqual(normal.slice(0, 6), [0, 200, 600, 1200, 2000, 3000]);
  const nd = rtoSchedule(1, 5000, 5000 + 30000).times.map((t) => t - 5000);
  assert.deepEqual(nd.slice(0, 6), [0, 200, 500, 900, 1400, 2000]);
  const long = rtoSchedule(1, 0, 60000);
  assert.ok(long.times.length >= 20);
  assert.equal(long.kcp.state, 0xffffffff);
  assert.equal(long.kcp.stats.lostSegs, long.times.length - 1);
  assert.equal(long.kcp.stats.retransSegs, long.times.length - 1);
  const short = rtoSchedule(1, 0, 5000);
  assert.equal(short.kcp.state, 0);
});

/** PUSH send times per sn of a sender of `segments` full segments, driven by update/check. */
function headProbeRun(
  headProbe: boolean,
  segments: number,
  until: number,
  ackAt?: { at: number; una: number },
): Map<number, number[]> {
  const times = new Map<number, number[]>();
  let now = 0;
  const kcp = new Kcp(CONV, (buf, size) => {
    for (const s of parse(buf.slice(0, size))) {
      if (s.cmd === CMD_PUSH) times.set(s.sn, [...times.get(s.sn) ?? [], now]);
    }
  });
  kcp.setNoDelay(0, 10, 2, 1);
  kcp.streamMode = true;
  kcp.headProbe = headProbe;
  kcp.update(now);
  kcp.send(new Uint8Array(kcp.mss * segments));
  kcp.flush(now);
  let acked = false;
  while (now < until) {
    const next = kcp.check(now);
    let step = next - now;
    if (ackAt !== undefined && !acked && now + step > ackAt.at) step = ackAt.at - now;
    now += step;
    if (ackAt !== undefined && !acked && now === ackAt.at) {
      acked = true;
      // an ACK the RTT estimator ignores (as for an FEC-recovered packet), so rx_rto stays 200
      kcp.input(build([{ cmd: CMD_ACK, sn: 0, una: ackAt.una, ts: 0 }]), false, now);
    }
    kcp.update(now);
  }
  return times;
}

Deno.test("kcp: headProbe retransmits the segment at una every RTO, the others back off", () => {
  // kcp-go: every segment backs off by rx_rto per retransmission
  const plain = headProbeRun(false, 2, 1000);
  assert.deepEqual(plain.get(0), [0, 200, 600]);
  assert.deepEqual(plain.get(1), [0, 200, 600]);
  // the head keeps its RTO; the segment behind it still backs off
  const probe = headProbeRun(true, 2, 1000);
  assert.deepEqual(probe.get(0), [0, 200, 400, 600, 800, 1000]);
  assert.deepEqual(probe.get(1), [0, 200, 600]);
  // once sn 0 is acknowledged, sn 1 is the head: due one RTO after its last send (600 + 200),
  // not at its backed-off deadline (1200)
  const moved = headProbeRun(true, 2, 1300, { at: 650, una: 1 });
  assert.deepEqual(moved.get(0), [0, 200, 400, 600]);
  assert.deepEqual(moved.get(1), [0, 200, 600, 800, 1000, 1200]);
});

Deno.test("kcp: pipeLimit counts only unacknowledged segments, so a hole keeps the window open", () => {
  for (const pipe of [false, true]) {
    const { kcp, out } = endpoint();
    kcp.setWindowSize(4, 128);
    if (pipe) kcp.pipeLimit = 4;
    kcp.update(0);
    kcp.send(new Uint8Array(kcp.mss * 10));
    kcp.flush(0);
    assert.deepEqual(allSegs(out).map((s) => s.sn), [0, 1, 2, 3]);
    out.length = 0;
    // sn 0 is lost; 1..3 arrive and are acknowledged one by one (una stays 0)
    const acks = [1, 2, 3].map((sn) => ({ cmd: CMD_ACK, sn, una: 0, ts: 0, wnd: 128 }));
    kcp.input(build(acks), true, 5);
    kcp.flush(5);
    // (sn 0 itself is fast-retransmitted either way: three later segments were acknowledged)
    const pushes = allSegs(out).filter((s) => s.cmd === CMD_PUSH).map((s) => s.sn);
    assert.equal(kcp.sacked, 3);
    assert.deepEqual(pushes, pipe ? [0, 4, 5, 6] : [0], `pipeLimit ${pipe}`);
    // the peer's window still bounds snd_nxt − snd_una: with rmtWnd 5 only sn 4 may leave
    if (pipe) {
      const { kcp: k2, out: o2 } = endpoint();
      k2.setWindowSize(4, 128);
      k2.pipeLimit = 4;
      k2.update(0);
      k2.send(new Uint8Array(k2.mss * 10));
      k2.flush(0);
      o2.length = 0;
      const acks5 = [1, 2, 3].map((sn) => ({ cmd: CMD_ACK, sn, una: 0, ts: 0, wnd: 5 }));
      k2.input(build(acks5), true, 5);
      k2.flush(5);
      assert.deepEqual(allSegs(o2).filter((s) => s.cmd === CMD_PUSH).map((s) => s.sn), [0, 4]);
    }
  }
});

Deno.test("kcp: spuriousSegs counts retransmissions whose earlier transmission was acknowledged", () => {
  const { kcp, out } = endpoint();
  kcp.setWindowSize(8, 128);
  kcp.update(0);
  kcp.send(new Uint8Array(kcp.mss * 3));
  kcp.flush(0); // sn 0..2 sent at ts 0
  kcp.flush(300); // RTO (200 ms): all three sent again at ts 300
  assert.equal(kcp.stats.lostSegs, 3);
  assert.equal(kcp.sent, kcp.mss * 6);
  out.length = 0;
  // sn 1: its first transmission (ts 0) arrived late: spurious. sn 2: the second one (ts 300)
  // arrived: the retransmission was needed. sn 0: acknowledged by una in the same packet before
  // its own ACK (ts 0) is read: still found spurious
  const acks = [
    { cmd: CMD_ACK, sn: 1, una: 0, ts: 0, wnd: 128 },
    { cmd: CMD_WINS, una: 1, wnd: 128 },
    { cmd: CMD_ACK, sn: 0, una: 1, ts: 0, wnd: 128 },
    { cmd: CMD_ACK, sn: 2, una: 1, ts: 300, wnd: 128 },
  ];
  assert.equal(kcp.input(build(acks), true, 350), 0);
  assert.equal(kcp.stats.spuriousSegs, 2);
  // a repeated ACK counts nothing more
  kcp.input(build([{ cmd: CMD_ACK, sn: 0, una: 3, ts: 0, wnd: 128 }]), true, 360);
  assert.equal(kcp.stats.spuriousSegs, 2);
  // RTT samples (from each input's last ACK): 350 − 300, then 360 − 0; the lowest, then none
  assert.equal(kcp.takeLowRtt(), 50);
  assert.equal(kcp.takeLowRtt(), 0);
});

Deno.test("kcp: rangeAcks receiver repeats the previous flush's ACKs still out of order, as runs", () => {
  const d = new Uint8Array(1);
  // sn 0 missing; 1..3, 5 (alone) and 7..306 (300 segments) arrive in one packet: one flush
  const first = [1, 2, 3, 5, ...Array.from({ length: 300 }, (_, i) => 7 + i)];
  const flushes = (rangeAcks: boolean) => {
    const { kcp, out } = endpoint();
    kcp.setWindowSize(32, 512);
    kcp.rangeAcks = rangeAcks;
    const seen: number[][][] = [];
    const take = () => {
      seen.push(allSegs(out).map((s) => [s.cmd, s.frg, s.sn, s.ts, s.una]));
      out.length = 0;
    };
    // a packet's worth of ACKs: input flushes them itself (ACK clocking)
    kcp.input(build(first.map((sn) => ({ sn, ts: 1000 + sn, data: d }))), true, 0);
    take();
    kcp.input(build([{ sn: 2, ts: 77, data: d }, { sn: 400, ts: 88, data: d }]), true, 10);
    kcp.flush(10);
    take();
    kcp.flush(20); // no new ACKs: nothing, ranges included
    take();
    kcp.input(build([{ sn: 0, ts: 99, data: d }]), true, 30); // 0..3 in order now: una 4
    kcp.flush(30);
    take();
    return seen;
  };
  const on = flushes(true);
  assert.equal(on[0].length, first.length);
  assert.deepEqual(on[0].filter((s) => s[1] !== 0), [], "nothing to repeat before");
  assert.deepEqual(on.slice(1), [
    [
      [CMD_ACK, 2, 3, 1003, 0], // 1..3
      [CMD_ACK, 255, 262, 1262, 0], // 7..262
      [CMD_ACK, 43, 306, 1306, 0], // 263..306; 5 alone is not repeated
      [CMD_ACK, 0, 2, 77, 0],
      [CMD_ACK, 0, 400, 88, 0],
    ],
    [],
    // 2 is below una now, 400 alone: no range; ACK 0 is kept as the last (kcp-go)
    [[CMD_ACK, 0, 0, 99, 4]],
  ]);
  // off (kcp-go): the new ACKs only
  const off = flushes(false);
  assert.deepEqual(off[1], [[CMD_ACK, 0, 2, 77, 0], [CMD_ACK, 0, 400, 88, 0]]);
});

Deno.test("kcp: rangeAcks sender marks a range acknowledged, with no RTT sample and no fastack", () => {
  const run = (rangeAcks: boolean) => {
    const { kcp, out } = endpoint();
    kcp.setWindowSize(64, 128);
    kcp.rangeAcks = rangeAcks;
    kcp.update(0);
    kcp.send(new Uint8Array(kcp.mss * 10));
    kcp.flush(0); // sn 0..9 at ts 0
    out.length = 0;
    // sn 0 lost; the ACK packet for 1..6 lost; a range for 1..6 (frg 5) then a new ACK of 7
    kcp.input(
      build([
        { cmd: CMD_ACK, sn: 6, frg: 5, ts: 0, una: 0, wnd: 128 },
        { cmd: CMD_ACK, sn: 7, ts: 0, una: 0, wnd: 128 },
      ]),
      true,
      100,
    );
    kcp.flush(101);
    return { kcp, resent: allSegs(out).filter((s) => s.cmd === CMD_PUSH).map((s) => s.sn) };
  };
  const on = run(true);
  assert.equal(on.kcp.sacked, 7);
  // fastack: only the new ACK of 7 counted; the hole at 0 goes out by early retransmit (a
  // flush with no new data), the segments the lost ACK packet covered do not
  assert.deepEqual(on.resent, [0]);
  assert.equal(on.kcp.takeLowRtt(), 100, "one sample, from the new ACK");
  // off: frg is ignored, as in kcp-go: sn 6 is acknowledged, 1..5 are not, and the two ACKs
  // count twice towards 0..5, which are all resent
  const off = run(false);
  assert.equal(off.kcp.sacked, 2);
  assert.deepEqual(off.resent, [0, 1, 2, 3, 4, 5]);
});

Deno.test("kcp: timers are wrap-safe when the clock crosses 2^32", () => {
  const start = 2 ** 32 - 700; // the 2nd retransmission happens after the wrap
  const times = rtoSchedule(0, start, start + 3000).times.map((t) => t - start);
  assert.deepEqual(times.slice(0, 4), [0, 200, 600, 1200]);
});

Deno.test("kcp: update flushes on the interval tick and at a due retransmission; check reports both", () => {
  const { kcp, out } = endpoint({ nd: [0, 5000, 0, 1] });
  assert.equal(kcp.check(123), 123, "before the first update: now");
  kcp.update(1000);
  assert.equal(kcp.check(1000), 6000, "next tick");
  kcp.send(new Uint8Array(10));
  kcp.flush(1000);
  assert.equal(out.length, 1);
  assert.equal(kcp.check(1000), 1200, "retransmission deadline is earlier than the tick");
  kcp.update(1199);
  assert.equal(out.length, 1);
  kcp.update(1200);
  assert.equal(out.length, 2, "retransmitted at its deadline, not at the 6000 ms tick");
  assert.equal(kcp.check(1200), 1600);
  // A clock jump of more than 10 s resynchronises the tick (ikcp).
  // Here the tick moves to 105000, and the overdue segment is resent with rto 400 + 200.
  kcp.update(100000);
  assert.equal(out.length, 3);
  assert.equal(kcp.check(100000), 100600);
  kcp.update(100600);
  assert.equal(out.length, 4);
  assert.equal(kcp.check(100600), 101400, "next: rto 600 + 200");
});

Deno.test("kcp: fast retransmit at `resend` duplicate ACKs, once until the RTO", () => {
  const { kcp, out } = endpoint({ mtu: 100 }); // mss 76
  kcp.send(new Uint8Array(76 * 4));
  kcp.flush(0);
  assert.deepEqual(allSegs(out).map((s) => s.sn), [0, 1, 2, 3]);
  out.length = 0;
  // ACKs for 1 and 2 in one packet: sn 0 gets fastack 2 = resend → retransmitted inside input.
  const acks = build([{ cmd: CMD_ACK, sn: 1, ts: 0 }, { cmd: CMD_ACK, sn: 2, ts: 0 }]);
  assert.equal(kcp.input(acks, true, 10), 0);
  assert.deepEqual(allSegs(out).map((s) => [s.cmd, s.sn, s.ts]), [[CMD_PUSH, 0, 10]]);
  assert.equal(kcp.stats.fastRetransSegs, 1);
  out.length = 0;
  // More duplicate ACKs do not resend it again before its RTO.
  assert.equal(kcp.input(build([{ cmd: CMD_ACK, sn: 3, ts: 0 }]), true, 20), 0);
  kcp.flush(30);
  assert.equal(allSegs(out).filter((s) => s.sn === 0).length, 0);
  kcp.flush(10 + 200);
  assert.deepEqual(allSegs(out).map((s) => s.sn), [0]);
  assert.equal(kcp.stats.lostSegs, 1);
  assert.equal(kcp.stats.retransSegs, 2);
});

Deno.test("kcp: fast-ACK counts of a whole input match ikcp's count per ACK (random ACK sets)", () => {
  const N = 30; // within the peer's initial window of 32
  const RESEND = 5;
  const rnd = new Prng(4);
  const int = (n: number) => Math.floor(rnd.float() * n);
  let flushes = 0;
  for (let trial = 0; trial < 300; trial++) {
    const { kcp, out } = endpoint({ mtu: 100, nd: [0, 30, RESEND, 1] });
    kcp.setWindowSize(128, 128);
    // segment s sent alone at time s: every segment has its own ts
    for (let t = 0; t < N; t++) {
      kcp.send(new Uint8Array(76));
      kcp.flush(t);
    }
    out.length = 0;
    // the model: ikcp's parse_fastack for each ACK in turn, then kcp-go's flush
    const ts = Array.from({ length: N }, (_, s) => s);
    const count = new Array<number>(N).fill(0);
    const done = new Array<boolean>(N).fill(false);
    const acked = new Array<boolean>(N).fill(false);
    for (let round = 0; round < 6; round++) {
      const now = 50 + 10 * round;
      const acks: Partial<Seg>[] = [];
      const m = 1 + int(20);
      for (let j = 0; j < m; j++) {
        const sn = 1 + int(N + 2); // never 0, so una stays 0; N.. are beyond snd_nxt
        const t = sn < N && rnd.float() < 0.7 ? ts[sn] : int(now);
        acks.push({ cmd: CMD_ACK, sn, ts: t, wnd: 128 });
      }
      let should = false;
      for (const a of acks) {
        if (a.sn! >= N) continue;
        acked[a.sn!] = true;
        for (let s = 0; s < a.sn!; s++) {
          if (done[s] || ts[s] > a.ts!) continue;
          count[s]++;
          if (count[s] >= RESEND) should = true;
        }
      }
      const expected: number[] = [];
      if (should) {
        flushes++;
        for (let s = 0; s < N; s++) {
          if (acked[s] || done[s] || count[s] === 0) continue;
          expected.push(s); // fast (count ≥ RESEND) or early (no new data in this flush)
          done[s] = true;
          ts[s] = now;
        }
      }
      assert.equal(kcp.input(build(acks), true, now), 0);
      const resent = allSegs(out).filter((x) => x.cmd === CMD_PUSH).map((x) => x.sn);
      assert.deepEqual(resent, expected, `trial ${trial} round ${round}`);
      out.length = 0;
    }
  }
  assert.ok(flushes > 100, `fast resends exercised: ${flushes}`);
});

Deno.test("kcp: early retransmit (fastack > 0 and no new data in the flush), kcp-go", () => {
  for (const withNewData of [false, true]) {
    const { kcp, out } = endpoint({ mtu: 100 });
    kcp.send(new Uint8Array(76 * 2));
    kcp.flush(0);
    out.length = 0;
    assert.equal(kcp.input(build([{ cmd: CMD_ACK, sn: 1, ts: 0 }]), true, 5), 0);
    assert.equal(out.length, 0, "one dup ACK is below resend = 2");
    if (withNewData) kcp.send(new Uint8Array(76));
    kcp.flush(10);
    const sns = allSegs(out).map((s) => s.sn);
    assert.deepEqual(sns, withNewData ? [2] : [0]);
    assert.equal(kcp.stats.earlyRetransSegs, withNewData ? 0 : 1);
  }
  // An ACK whose echoed ts predates a segment's last send does not count against it.
  const { kcp, out } = endpoint({ mtu: 100 });
  kcp.send(new Uint8Array(76));
  kcp.flush(0);
  kcp.send(new Uint8Array(76));
  kcp.flush(50); // sn 1 sent at 50
  out.length = 0;
  kcp.flush(200); // sn 0 RTO-retransmitted at 200
  out.length = 0;
  assert.equal(kcp.input(build([{ cmd: CMD_ACK, sn: 1, ts: 50 }]), true, 210), 0);
  kcp.flush(220);
  assert.equal(allSegs(out).length, 0, "sn 0 was resent after ts 50: no early retransmit");
});

Deno.test("kcp: congestion window (nc=0): starts at 0, slow start, collapses to 1 on RTO, halves on fast resend", () => {
  const { kcp, out } = endpoint({ mtu: 100, nd: [0, 10, 2, 0] });
  kcp.setWindowSize(64, 64);
  assert.equal(kcp.input(build([{ cmd: CMD_WINS, wnd: 64 }]), true, 0), 0);
  kcp.send(new Uint8Array(76 * 40));
  kcp.flush(0);
  assert.equal(out.length, 0, "cwnd 0: the first flush sends nothing");
  assert.equal(kcp.cwnd, 1);
  kcp.flush(1);
  assert.deepEqual(allSegs(out).map((s) => s.sn), [0]);
  // Each una advance grows cwnd by one in slow start (ssthresh 2), then congestion avoidance.
  let una = 0;
  const grow: number[] = [];
  for (let i = 0; i < 6; i++) {
    una++;
    assert.equal(
      kcp.input(build([{ cmd: CMD_ACK, sn: una - 1, ts: 1, una, wnd: 64 }]), true, 20 + i),
      0,
    );
    grow.push(kcp.cwnd);
  }
  // mss 76: slow start to ssthresh 2, then incr += mss²/incr + mss/16 per ACK.
  assert.deepEqual(grow, [2, 2, 2, 4, 4, 4]);
  const before = kcp.cwnd;
  out.length = 0;
  kcp.flush(5000); // every in-flight segment's RTO has passed
  assert.ok(kcp.stats.lostSegs > 0);
  assert.equal(kcp.cwnd, 1);
  assert.ok(before > 1);
  // Fast retransmit: cwnd = ssthresh + resend where ssthresh = inflight / 2.
  const f = endpoint({ mtu: 100, nd: [0, 10, 2, 0] });
  f.kcp.setWindowSize(64, 64);
  f.kcp.input(build([{ cmd: CMD_WINS, wnd: 64 }]), true, 0);
  f.kcp.send(new Uint8Array(76 * 40));
  f.kcp.flush(0);
  for (let i = 1; i <= 8; i++) {
    f.kcp.flush(i);
    f.kcp.input(build([{ cmd: CMD_ACK, sn: i - 1, ts: i, una: i, wnd: 64 }]), true, i);
  }
  const sent = allSegs(f.out).filter((s) => s.cmd === CMD_PUSH).map((s) => s.sn);
  const top = Math.max(...sent);
  const inflight = top + 1 - 8;
  assert.ok(inflight >= 4, `inflight ${inflight}`);
  f.kcp.input(
    build([{ cmd: CMD_ACK, sn: 9, ts: 100, una: 8 }, { cmd: CMD_ACK, sn: 10, ts: 100, una: 8 }]),
    true,
    101,
  );
  assert.equal(f.kcp.stats.fastRetransSegs, 1);
  assert.equal(f.kcp.cwnd, Math.max(Math.floor(inflight / 2), 2) + 2);
});

Deno.test("kcp: zero remote window → WASK after probeInit, backing off ×1.5; peer answers WINS", () => {
  // Probe times land on the next 10 ms tick: 500, 750, 1125 → 1130.
  for (
    const [probeInit, gaps] of [[undefined, [500, 750, 1130]], [7000, [
      7000,
      10500,
      15750,
    ]]] as const
  ) {
    const a = endpoint({ nd: [0, 10, 2, 1], probeInit });
    const b = endpoint({ nd: [0, 10, 2, 1] });
    let now = 10000;
    a.kcp.update(now);
    assert.equal(a.kcp.input(build([{ cmd: CMD_WINS, wnd: 0 }]), true, now), 0);
    const wask: number[] = [];
    while (now < 10000 + gaps.reduce((x, y) => x + y, 0) + 100) {
      now += 10;
      a.out.length = 0;
      a.kcp.update(now);
      for (const s of allSegs(a.out)) {
        assert.equal(s.cmd, CMD_WASK);
        wask.push(now);
        assert.equal(b.kcp.input(a.out[0], true, now), 0);
      }
    }
    const first = wask[0] - 10010; // the tick that saw wnd 0 armed the timer
    assert.deepEqual([first, wask[1] - wask[0], wask[2] - wask[1]], gaps);
    b.kcp.flush(now);
    assert.deepEqual(allSegs(b.out).map((s) => [s.cmd, s.wnd]), [[CMD_WINS, 32]]);
    assert.equal(a.kcp.input(b.out[0], true, now), 0);
    assert.equal(a.kcp.rmtWnd, 32);
  }
});

Deno.test("kcp: ackNoDelay and ACK clocking (mtu/24 pending ACKs) flush ACKs inside input", () => {
  const { kcp, out } = endpoint({ mtu: 1350 });
  kcp.setWindowSize(128, 128);
  const segs = [];
  for (let sn = 1; sn <= 57; sn++) segs.push({ sn, ts: sn, data: new Uint8Array(1) });
  assert.equal(kcp.input(build(segs), true, 0), 0); // sn 0 missing: every ACK is kept
  assert.deepEqual(out.map((p) => parse(p).length), [56, 1], "56 ACKs fill 1344 of 1350 bytes");
  assert.ok(allSegs(out).every((s) => s.cmd === CMD_ACK && s.una === 0));
  out.length = 0;
  assert.equal(kcp.input(build([{ sn: 0, data: new Uint8Array(1) }]), true, 0), 0);
  assert.equal(out.length, 0, "one ACK waits for the next flush");
  kcp.ackNoDelay = true;
  assert.equal(kcp.input(build([{ sn: 58, ts: 7, data: new Uint8Array(1) }]), true, 0), 0);
  assert.deepEqual(allSegs(out).map((s) => [s.cmd, s.sn, s.una]), [[CMD_ACK, 58, 59]]);
});

Deno.test("kcp: forced sequence near 2^32 wraps sn and una correctly", () => {
  const a = endpoint({ mtu: 100 });
  const b = endpoint({ mtu: 100 });
  forceSequence(a.kcp, 2 ** 32 - 2);
  forceSequence(b.kcp, 2 ** 32 - 2);
  const msg = seededBytes(76 * 4, 4);
  a.kcp.send(msg);
  a.kcp.flush(0);
  assert.deepEqual(allSegs(a.out).map((s) => s.sn), [2 ** 32 - 2, 2 ** 32 - 1, 0, 1]);
  // Deliver in reverse order: reassembly must still be in sn order across the wrap.
  for (const p of [...a.out].reverse()) assert.equal(b.kcp.input(p, true, 5), 0);
  const dst = new Uint8Array(1000);
  assert.equal(b.kcp.recv(dst), msg.length);
  assert.deepEqual(dst.subarray(0, msg.length), msg);
  b.kcp.flush(6);
  assert.equal(allSegs(b.out).at(-1)!.una, 2);
  assert.equal(a.kcp.input(b.out[0], true, 7), 0);
  assert.equal(a.kcp.waitSnd(), 0);
});
