// Two engines back to back over a virtual pipe with a virtual clock: many streams, half-close,
// keepalive, receive budget, v2 window, stream ids, re-entrant callbacks.

import assert from "node:assert/strict";
import { SmuxSession } from "../../lib/smux/session.ts";
import { resolveSmuxConfig, type SmuxConfig } from "../../lib/smux/config.ts";
import {
  SMUX_HEADER_SIZE,
  SMUX_INITIAL_PEER_WINDOW,
  SMUX_PSH,
  SMUX_UPD,
  writeFrameHeader,
} from "../../lib/smux/frame.ts";
import { concat, sha256, toHex } from "../_helpers/bytes.ts";
import { Mulberry32 } from "../_helpers/rng.ts";
import { parseFrames } from "../_helpers/smux_frames.ts";
import { drain, Pair, type Side } from "./_harness.ts";

const enc = new TextEncoder();

/** Watches the wire: no v2 sender ever has more unacknowledged bytes than it was allowed. */
class WindowMonitor {
  #sent = new Map<string, number>();
  #acked = new Map<string, { consumed: number; window: number }>();
  violations = 0;
  maxInflight = 0;
  onFrame = (f: { writer: string; cmd: number; sid: number; length: number }) => {
    if (f.cmd !== SMUX_PSH) return;
    const key = `${f.writer}:${f.sid}`;
    const sent = (this.#sent.get(key) ?? 0) + f.length;
    this.#sent.set(key, sent);
    const a = this.#acked.get(key) ?? { consumed: 0, window: SMUX_INITIAL_PEER_WINDOW };
    const inflight = sent - a.consumed;
    if (inflight > a.window) this.violations++;
    if (inflight > this.maxInflight) this.maxInflight = inflight;
  };
  onDeliver = (to: Side, f: { cmd: number; sid: number; data: Uint8Array }) => {
    if (f.cmd !== SMUX_UPD) return;
    const d = new DataView(f.data.buffer, f.data.byteOffset, 8);
    this.#acked.set(`${to.name}:${f.sid}`, {
      consumed: d.getUint32(0, true),
      window: d.getUint32(4, true),
    });
  };
}

function manyStreams(version: 1 | 2, seed: number) {
  const cfg = resolveSmuxConfig({
    version,
    maxFrameSize: version === 1 ? 32768 : 8192,
    maxStreamBuffer: 65536,
    maxReceiveBuffer: 1 << 20,
  });
  const rng = new Mulberry32(seed);
  const mon = new WindowMonitor();
  const p = new Pair(cfg, cfg, {
    chunkRng: new Mulberry32(seed + 1),
    onFrame: mon.onFrame,
    onDeliver: mon.onDeliver,
  });
  const N = 100;
  interface Flow {
    data: Uint8Array;
    off: number;
    finSent: boolean;
    got: Uint8Array[];
    eof: boolean;
  }
  const flows = new Map<Side, Map<number, Flow>>([[p.client, new Map()], [p.server, new Map()]]);
  const flow = (len: number): Flow => ({
    data: rng.bytes(len),
    off: 0,
    finSent: false,
    got: [],
    eof: false,
  });
  const sids: number[] = [];
  for (let i = 0; i < N; i++) {
    const sid = p.client.session.openStream(p.now);
    sids.push(sid);
    flows.get(p.client)!.set(sid, flow(rng.inRange(0, 120_000)));
  }
  const serverData = new Map(sids.map((sid) => [sid, flow(rng.inRange(0, 120_000))]));
  assert.deepEqual(sids, Array.from({ length: N }, (_, i) => 3 + 2 * i));

  const dst = new Uint8Array(70_000);
  let rounds = 0;
  let blocked = 0;
  for (; rounds < 100_000; rounds++) {
    for (const sid of p.server.accepted) {
      if (!flows.get(p.server)!.has(sid)) flows.get(p.server)!.set(sid, serverData.get(sid)!);
    }
    for (const side of [p.client, p.server]) {
      const s = side.session;
      for (const [sid, f] of flows.get(side)!) {
        // write one bounded chunk per stream per turn (round robin)
        if (f.off < f.data.length) {
          const n = s.write(sid, f.data.subarray(f.off, f.off + rng.inRange(1, 40_000)), p.now);
          assert.ok(n >= 0, `write ${side.name} ${sid}`);
          if (n === 0) blocked++;
          f.off += n;
        } else if (!f.finSent) {
          s.closeWrite(sid, p.now);
          f.finSent = true;
        }
      }
    }
    p.pump();
    let done = true;
    for (const side of [p.client, p.server]) {
      const s = side.session;
      for (const [sid, f] of flows.get(side)!) {
        done &&= f.eof && f.finSent;
        if (f.eof || rng.inRange(0, 3) !== 0) continue; // lazy readers: windows fill up
        for (;;) {
          const n = s.read(sid, dst.subarray(0, rng.inRange(1, dst.length)), p.now);
          if (n === 0) break;
          if (n < 0) {
            f.eof = true;
            break;
          }
          f.got.push(dst.slice(0, n));
        }
      }
    }
    if (done && flows.get(p.server)!.size === N) break;
  }
  assert.ok(rounds < 100_000, "finished");
  for (const sid of sids) {
    const up = flows.get(p.client)!.get(sid)!, down = flows.get(p.server)!.get(sid)!;
    assert.equal(sha256(concat(down.got)), sha256(up.data), `upstream ${sid}`);
    assert.equal(sha256(concat(up.got)), sha256(down.data), `downstream ${sid}`);
    assert.ok(up.eof && down.eof);
  }
  for (const side of [p.client, p.server]) {
    const s = side.session;
    assert.equal(s.streamCount, 0, `${side.name} forgot every stream`);
    assert.equal(s.bufferedBytes, 0);
    assert.equal(s.stats.protocolErrors, 0);
    assert.equal(s.stats.discardedPsh, 0);
    assert.equal(s.isClosed, false);
  }
  assert.deepEqual(p.server.accepted, sids);
  // Streams interleave on the wire: the first 1000 PSH frames come from many streams.
  const firstPsh = p.log.filter((f) => f.cmd === SMUX_PSH).slice(0, 1000);
  assert.ok(new Set(firstPsh.map((f) => f.sid)).size >= 90);
  return { p, mon, blocked };
}

Deno.test("100 concurrent streams, v1: every byte delivered both ways (sha-256)", () => {
  const { p, blocked } = manyStreams(1, 11);
  assert.equal(blocked, 0, "v1 writes never block");
  assert.ok(p.log.every((f) => f.cmd !== SMUX_UPD && f.ver === 1));
});

Deno.test("100 concurrent streams, v2: every byte delivered, window never exceeded", () => {
  const { p, mon, blocked } = manyStreams(2, 21);
  assert.equal(mon.violations, 0);
  assert.ok(blocked > 0, "writers did hit the window");
  assert.ok(p.client.writable.length > 0 && p.server.writable.length > 0);
  assert.ok(p.log.some((f) => f.cmd === SMUX_UPD));
});

function v2pair(opts: Partial<SmuxConfig> = {}): Pair {
  const cfg = resolveSmuxConfig({ version: 2, maxFrameSize: 8192, ...opts });
  return new Pair(cfg, cfg);
}

Deno.test("half-close, client first: server replies after the client's FIN", () => {
  const p = v2pair();
  const c = p.client.session, s = p.server.session;
  const sid = c.openStream(p.now);
  c.write(sid, enc.encode("question"), p.now);
  c.closeWrite(sid, p.now);
  c.closeWrite(sid, p.now); // idempotent
  assert.equal(c.write(sid, enc.encode("more"), p.now), -1, "no writes after our FIN");
  p.pump();
  const q = drain(s, sid);
  assert.deepEqual(q.data, enc.encode("question"));
  assert.equal(q.last, -1);
  assert.equal(s.read(sid, new Uint8Array(4), p.now), -1, "EOF is sticky");
  assert.equal(s.write(sid, enc.encode("answer"), p.now), 6);
  s.closeWrite(sid, p.now);
  assert.equal(s.streamCount, 0, "both FINs passed and everything was read");
  p.pump();
  assert.equal(c.streamCount, 1, "unread reply keeps the client's stream");
  const a = drain(c, sid);
  assert.deepEqual(a.data, enc.encode("answer"));
  assert.equal(a.last, -1);
  assert.equal(c.streamCount, 0);
  assert.deepEqual(p.log.map((f) => `${f.writer[0]}${f.frame.slice(2, 4)}`), [
    "c00", // SYN
    "c02", // PSH question
    "c01", // FIN
    "s04", // UPD after the server's first read
    "s02", // PSH answer (after the client's FIN)
    "s01", // FIN
    "c04", // UPD after the client's first read (after its own FIN)
  ]);
});

Deno.test("half-close, client first: the reply is delivered in full (never truncated)", () => {
  const p = v2pair();
  const c = p.client.session, s = p.server.session;
  const sid = c.openStream(p.now);
  c.closeWrite(sid, p.now);
  p.pump();
  assert.equal(s.read(sid, new Uint8Array(4), p.now), -1);
  const answer = new Mulberry32(2).bytes(200_000);
  const got: Uint8Array[] = [];
  let off = 0;
  for (let i = 0; i < 1000 && (off < answer.length || got.length === 0); i++) {
    const n = s.write(sid, answer.subarray(off), p.now);
    off += n;
    if (off === answer.length) s.closeWrite(sid, p.now);
    p.pump();
    const r = drain(c, sid, 5000);
    got.push(r.data);
    if (r.last === -1) break;
    p.pump();
  }
  assert.equal(sha256(concat(got)), sha256(answer));
  assert.equal(c.read(sid, new Uint8Array(4), p.now), -1);
  assert.equal(c.streamCount + s.streamCount, 0);
});

Deno.test("half-close, server first: client keeps writing after the server's FIN", () => {
  const p = v2pair();
  const c = p.client.session, s = p.server.session;
  const sid = c.openStream(p.now);
  p.pump();
  assert.equal(s.write(sid, enc.encode("banner"), p.now), 6);
  s.closeWrite(sid, p.now);
  p.pump();
  const b = drain(c, sid);
  assert.deepEqual(b.data, enc.encode("banner"));
  assert.equal(b.last, -1);
  const upload = new Mulberry32(3).bytes(100_000);
  assert.equal(c.write(sid, upload, p.now), 100_000, "write after the peer's FIN is allowed");
  c.closeWrite(sid, p.now);
  assert.equal(c.streamCount, 0, "both FINs passed and everything was read");
  p.pump();
  const r = drain(s, sid, 7000);
  assert.equal(sha256(r.data), sha256(upload));
  assert.equal(r.last, -1);
  assert.equal(s.streamCount, 0);
  // the server's UPD for the first read still reached the (forgotten) client stream harmlessly
  assert.equal(c.stats.protocolErrors, 0);
});

Deno.test("data then FIN in one input chunk: all data, then EOF", () => {
  for (const version of [1, 2] as const) {
    const cfg = resolveSmuxConfig({ version });
    const out: Uint8Array[] = [];
    const c = new SmuxSession(true, cfg, { output: (b) => out.push(b.slice()) }, 0);
    const data = new Mulberry32(4).bytes(100_000);
    const sid = c.openStream(0);
    c.write(sid, data, 0);
    c.closeWrite(sid, 0);
    const s = new SmuxSession(false, cfg, { output: () => {} }, 0);
    s.input(concat(out), 0);
    assert.equal(s.readableBytes(sid), 100_000);
    assert.equal(s.bufferedBytes, 100_000);
    const r = drain(s, sid, 1000);
    assert.equal(sha256(r.data), sha256(data));
    assert.equal(r.last, -1);
    assert.equal(s.bufferedBytes, 0);
  }
});

Deno.test("closeStream drops unread data; later frames for it are discarded", () => {
  const p = new Pair(resolveSmuxConfig(), resolveSmuxConfig());
  const c = p.client.session, s = p.server.session;
  const sid = c.openStream(p.now);
  c.write(sid, new Uint8Array(10_000), p.now);
  p.pump();
  assert.equal(s.bufferedBytes, 10_000);
  s.closeStream(sid, p.now);
  assert.equal(s.bufferedBytes, 0);
  assert.equal(s.streamCount, 0);
  assert.equal(s.read(sid, new Uint8Array(4), p.now), -1);
  assert.equal(s.write(sid, new Uint8Array(4), p.now), -1);
  c.write(sid, new Uint8Array(500), p.now); // crosses the server's FIN
  p.pump();
  assert.equal(s.stats.discardedPsh, 1);
  assert.equal(s.bufferedBytes, 0);
  assert.equal(c.read(sid, new Uint8Array(4), p.now), -1, "client saw the server's FIN");
  c.closeStream(sid, p.now);
  p.pump();
  assert.equal(c.streamCount + s.streamCount, 0);
  assert.deepEqual(p.framesBy("server").map((f) => f.slice(0, 4)), ["0101"]);
});

Deno.test("keepalive: a silent session closes at exactly keepAliveTimeout, not before", () => {
  const closed: string[] = [];
  const out: Uint8Array[] = [];
  const s = new SmuxSession(true, resolveSmuxConfig(), {
    output: (b) => out.push(b.slice()),
    closed: (r) => closed.push(r),
  }, 0);
  assert.equal(s.tick(0), 10_000);
  assert.equal(s.tick(10_000), 20_000);
  assert.equal(s.tick(20_000), 30_000);
  assert.equal(s.tick(29_999), 30_000);
  assert.equal(s.isClosed, false);
  s.tick(30_000);
  assert.equal(s.isClosed, true);
  assert.equal(closed.length, 1);
  assert.match(closed[0], /Keepalive timeout/);
  s.tick(60_000);
  s.close("again");
  assert.equal(closed.length, 1, "closed fires once");
  assert.equal(s.stats.nopsSent, 3);
  assert.equal(out.length, 3);
  assert.equal(s.openStream(60_000), -1);
});

Deno.test("keepalive: any frame in a period keeps the session for that check", () => {
  const cfg = resolveSmuxConfig();
  const s = new SmuxSession(false, cfg, { output: () => {} }, 0);
  s.tick(5_000);
  s.input(Uint8Array.of(1, 3, 0, 0, 0, 0, 0, 0), 5_000); // a NOP at 5 s
  s.tick(30_000);
  assert.equal(s.isClosed, false);
  s.tick(59_999);
  assert.equal(s.isClosed, false);
  s.tick(60_000);
  assert.equal(s.isClosed, true);
});

Deno.test("keepalive: NOPs keep two idle engines alive for 10 virtual minutes", () => {
  const p = new Pair(resolveSmuxConfig({ version: 2 }), resolveSmuxConfig({ version: 2 }));
  for (let t = 0; t <= 600_000; t += 1000) {
    p.now = t;
    p.client.session.tick(t);
    p.server.session.tick(t);
    p.pump();
  }
  assert.equal(p.client.closed.length + p.server.closed.length, 0);
  assert.equal(p.client.session.stats.nopsSent, 60);
  assert.equal(p.server.session.stats.nopsSent, 60);
  assert.ok(p.log.every((f) => f.frame === "0203000000000000"));
});

Deno.test("keepalive: a late tick sends one NOP and keeps the schedule; wrap-safe clock", () => {
  const start = 0xffff_f000;
  const out: string[] = [];
  const s = new SmuxSession(true, resolveSmuxConfig({ keepAliveTimeout: 100_000 }), {
    output: (b) => out.push(toHex(b)),
  }, start);
  const wrapped = (ms: number) => (start + ms) >>> 0;
  assert.equal(s.tick(wrapped(9_999)) - wrapped(9_999), 1);
  assert.equal(out.length, 0);
  assert.equal(s.tick(wrapped(35_000)) - wrapped(35_000), 5_000, "next NOP at 40 s");
  assert.equal(out.length, 1);
  s.tick(wrapped(40_000));
  assert.equal(out.length, 2);
  assert.equal(s.isClosed, false);
});

Deno.test("keepalive: no timeout while the receive budget is exhausted", () => {
  const cfg = resolveSmuxConfig({ maxReceiveBuffer: 65536, maxStreamBuffer: 65536 });
  const c = new SmuxSession(true, cfg, { output: (b) => s.input(b, 0) }, 0);
  const s = new SmuxSession(false, cfg, { output: () => {} }, 0);
  const sid = c.openStream(0);
  c.write(sid, new Uint8Array(65536), 0);
  assert.equal(s.bufferedBytes, 65536);
  for (let t = 0; t <= 120_000; t += 1000) s.tick(t);
  assert.equal(s.isClosed, false, "the transport was told to stop: silence is expected");
  assert.equal(s.read(sid, new Uint8Array(1), 120_000), 1);
  s.tick(150_000);
  assert.equal(s.isClosed, true, "budget available again and still silent");
});

Deno.test("maxReceiveBuffer: bufferedBytes backpressures the transport", () => {
  const cfg = resolveSmuxConfig({ maxReceiveBuffer: 256 * 1024, maxStreamBuffer: 128 * 1024 });
  let gated = 0;
  let maxBuffered = 0;
  const p = new Pair(cfg, cfg, {
    chunkRng: new Mulberry32(9),
    gate: (to) => {
      const ok = to.session.bufferedBytes < cfg.maxReceiveBuffer;
      if (!ok) gated++;
      return ok;
    },
  });
  const c = p.client.session, s = p.server.session;
  const data = new Mulberry32(10).bytes(4 << 20);
  const sid = c.openStream(p.now);
  for (let o = 0; o < data.length; o += 65536) {
    assert.equal(c.write(sid, data.subarray(o, o + 65536), p.now), 65536, "v1: never blocks");
  }
  c.closeWrite(sid, p.now);
  const got: Uint8Array[] = [];
  const dst = new Uint8Array(10_000);
  for (let i = 0; i < 10_000; i++) {
    p.pump();
    maxBuffered = Math.max(maxBuffered, s.bufferedBytes);
    const n = s.read(sid, dst, p.now);
    if (n < 0) break;
    if (n > 0) got.push(dst.slice(0, n));
  }
  assert.equal(sha256(concat(got)), sha256(data));
  assert.ok(gated > 0, "the gate engaged");
  assert.ok(maxBuffered >= cfg.maxReceiveBuffer);
  assert.ok(maxBuffered < cfg.maxReceiveBuffer + 65536 + SMUX_HEADER_SIZE);
});

Deno.test("v2 write: exactly 262144 bytes before a UPD, 0 while blocked, -1 on ErrConsumed", () => {
  const out: Uint8Array[] = [];
  const writable: number[] = [];
  const cfg = resolveSmuxConfig({ version: 2, maxFrameSize: 65535 });
  const c = new SmuxSession(true, cfg, {
    output: (b) => out.push(b.slice()),
    writable: (sid) => writable.push(sid),
  }, 0);
  const sid = c.openStream(0);
  assert.equal(c.write(sid, new Uint8Array(300_000), 0), 262144);
  assert.equal(c.write(sid, new Uint8Array(1), 0), 0);
  assert.equal(c.write(sid, new Uint8Array(0), 0), 0);
  const frames = parseFrames(concat(out));
  assert.deepEqual(frames.map((f) => f.length), [0, 65535, 65535, 65535, 65535, 4]);
  const upd = (consumed: number, window: number) => {
    const b = new Uint8Array(16);
    writeFrameHeader(b, 0, 2, SMUX_UPD, 8, sid);
    new DataView(b.buffer).setUint32(8, consumed, true);
    new DataView(b.buffer).setUint32(12, window, true);
    c.input(b, 0);
  };
  upd(100, 262144); // window still full: 262044 in flight < 262144 → 100 more
  assert.deepEqual(writable, [3]);
  assert.equal(c.write(sid, new Uint8Array(1000), 0), 100);
  upd(262244, 1000); // everything acknowledged
  assert.deepEqual(writable, [3, 3]);
  assert.equal(c.write(sid, new Uint8Array(5000), 0), 1000);
  upd(400_000, 1000); // the peer claims more than we sent: smux ErrConsumed
  assert.equal(c.write(sid, new Uint8Array(10), 0), -1);
  assert.equal(c.isClosed, false);
});

Deno.test("v2 read: UPD after the first read and every maxStreamBuffer/2 bytes", () => {
  const cfg = resolveSmuxConfig({ version: 2, maxStreamBuffer: 10_000, maxFrameSize: 1000 });
  const p = new Pair(cfg, cfg);
  const c = p.client.session, s = p.server.session;
  const sid = c.openStream(p.now);
  c.write(sid, new Uint8Array(30_000), p.now);
  p.pump();
  const reads = [1, 999, 4000, 1, 3999, 1, 5000, 6000, 9999];
  for (const n of reads) assert.equal(s.read(sid, new Uint8Array(n), p.now), n);
  const upds = p.log.filter((f) => f.writer === "server");
  assert.ok(upds.every((f) => f.cmd === SMUX_UPD && f.sid === sid));
  const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);
  const consumed = upds.map((f) => u32(f.data, 0));
  assert.deepEqual(consumed, [1, 5001, 14001, 20001, 30000]);
  assert.ok(upds.every((f) => u32(f.data, 4) === 10_000));
});

Deno.test("stream ids: client odd from 3, server even from 2, go-away on overflow", () => {
  const cfg = resolveSmuxConfig();
  const c = new SmuxSession(true, cfg, { output: () => {} }, 0);
  const s = new SmuxSession(false, cfg, { output: () => {} }, 0);
  assert.deepEqual([c.openStream(0), c.openStream(0), c.openStream(0)], [3, 5, 7]);
  assert.deepEqual([s.openStream(0), s.openStream(0)], [2, 4]);
  // Jump near the end of the id space (white-box: the counter is private).
  (c as unknown as { nextStreamId: number }).nextStreamId = 0xffff_fffd;
  (s as unknown as { nextStreamId: number }).nextStreamId = 0xffff_fffc;
  assert.equal(c.openStream(0), 0xffff_ffff);
  assert.equal(c.openStream(0), -1);
  assert.equal(c.openStream(0), -1, "go-away is permanent");
  assert.equal(s.openStream(0), 0xffff_fffe);
  assert.equal(s.openStream(0), -1);
  assert.equal(c.stats.streamsOpened, 4);
  assert.equal(c.isClosed, false);
  // A client never reuses an id the peer opened.
  const c2 = new SmuxSession(true, cfg, { output: () => {} }, 0);
  c2.input(Uint8Array.of(1, 0, 0, 0, 5, 0, 0, 0), 0);
  assert.deepEqual([c2.openStream(0), c2.openStream(0)], [3, 7]);
});

Deno.test("SYN for an existing sid is ignored; FIN and PSH for unknown sids are harmless", () => {
  const accepted: number[] = [];
  const s = new SmuxSession(false, resolveSmuxConfig(), {
    output: () => {},
    accept: (sid) => accepted.push(sid),
  }, 0);
  const f = (cmd: number, sid: number, data = new Uint8Array(0)) => {
    const b = new Uint8Array(8 + data.length);
    writeFrameHeader(b, 0, 1, cmd, data.length, sid);
    b.set(data, 8);
    return b;
  };
  s.input(concat([f(0, 9), f(2, 9, enc.encode("ab")), f(0, 9), f(2, 9, enc.encode("cd"))]), 0);
  assert.deepEqual(accepted, [9]);
  assert.deepEqual(drain(s, 9).data, enc.encode("abcd"));
  s.input(concat([f(1, 11), f(2, 11, enc.encode("zz")), f(2, 9, new Uint8Array(0))]), 0);
  assert.equal(s.stats.discardedPsh, 1);
  assert.equal(s.stats.framesIn, 7);
  assert.equal(s.isClosed, false);
});

Deno.test("close(): nothing sent, unread data stays readable, then EOF; calls refused", () => {
  const cfg = resolveSmuxConfig({ version: 2 });
  const p = new Pair(cfg, cfg);
  const c = p.client.session, s = p.server.session;
  const sid = c.openStream(p.now);
  c.write(sid, enc.encode("last words"), p.now);
  p.pump();
  const before = p.log.length;
  s.close("bye");
  assert.deepEqual(p.server.closed, ["bye"]);
  assert.equal(s.isClosed, true);
  assert.equal(s.write(sid, enc.encode("x"), p.now), -1);
  assert.equal(s.openStream(p.now), -1);
  s.closeWrite(sid, p.now);
  const r = drain(s, sid);
  assert.deepEqual(r.data, enc.encode("last words"));
  assert.equal(r.last, -1);
  assert.equal(s.streamCount, 0);
  s.input(Uint8Array.of(2, 0, 0, 0, 5, 0, 0, 0), p.now);
  assert.equal(s.stats.framesIn, 2, "input ignored after close");
  assert.equal(p.log.length, before, "no UPD, FIN or NOP after close");
  s.tick(100_000);
  assert.equal(p.log.length, before);
});

Deno.test("re-entrant callbacks: synchronous loopback echo over 10 streams", () => {
  const cfg = resolveSmuxConfig({ version: 2, maxFrameSize: 4096, maxStreamBuffer: 16384 });
  const got = new Map<number, Uint8Array[]>();
  const buf = new Uint8Array(3000);
  const pendingEcho = new Map<number, Uint8Array[]>();
  const flushEcho = (sid: number) => {
    const q = pendingEcho.get(sid) ?? [];
    while (q.length > 0) {
      const n = s.write(sid, q[0], 0);
      if (n <= 0) return;
      if (n < q[0].length) q[0] = q[0].subarray(n);
      else q.shift();
    }
  };
  const s: SmuxSession = new SmuxSession(false, cfg, {
    output: (b) => c.input(b, 0), // input copies what it keeps
    readable: (sid) => {
      for (;;) {
        const n = s.read(sid, buf, 0);
        if (n <= 0) break;
        if (!pendingEcho.has(sid)) pendingEcho.set(sid, []);
        pendingEcho.get(sid)!.push(buf.slice(0, n));
        flushEcho(sid);
      }
    },
    writable: (sid) => flushEcho(sid),
  }, 0);
  const cbuf = new Uint8Array(5000);
  const c: SmuxSession = new SmuxSession(true, cfg, {
    output: (b) => s.input(b, 0),
    readable: (sid) => {
      for (;;) {
        const n = c.read(sid, cbuf, 0);
        if (n <= 0) break;
        got.get(sid)!.push(cbuf.slice(0, n));
      }
    },
  }, 0);
  const sent = new Map<number, Uint8Array>();
  const rng = new Mulberry32(5);
  for (let i = 0; i < 10; i++) {
    const sid = c.openStream(0);
    got.set(sid, []);
    sent.set(sid, rng.bytes(50_000));
  }
  const off = new Map<number, number>([...sent.keys()].map((k) => [k, 0]));
  for (let round = 0; round < 1000; round++) {
    let busy = false;
    for (const [sid, data] of sent) {
      const o = off.get(sid)!;
      if (o === data.length) continue;
      const n = c.write(sid, data.subarray(o, o + 7000), 0);
      off.set(sid, o + n);
      busy ||= n > 0;
    }
    if (!busy) break;
  }
  for (const [sid, data] of sent) {
    assert.equal(sha256(concat(got.get(sid)!)), sha256(data), `stream ${sid}`);
  }
  assert.equal(c.stats.protocolErrors + s.stats.protocolErrors, 0);
  assert.equal(c.bufferedBytes + s.bufferedBytes, 0);
});
