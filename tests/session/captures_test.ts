/**
 * The five live captures (2021 Debian kcptun and latest kcptun) decoded by our stack down to the
 * payload the tunnel carried: client→server datagrams through a server-mode TunnelConnection
 * (crypt, compression and smux version detected), server→client datagrams through KcpSession +
 * SnappyFrameDecoder + an independent frame parser.
 */

import assert from "node:assert/strict";
import { createPacketCrypt, type PacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { deriveKey } from "../../lib/crypt/kdf.ts";
import { KcpSession, payloadConv } from "../../lib/session/kcp_session.ts";
import { TunnelConnection } from "../../lib/session/connection.ts";
import { detectCrypt, DETECTION_ORDER } from "../../lib/session/detect.ts";
import { SnappyFrameDecoder, SnappyStatus } from "../../lib/snappy/framing.ts";
import { SMUX_PSH } from "../../lib/smux/frame.ts";
import { SMUX_DEFAULTS } from "../../lib/smux/config.ts";
import { Qpp } from "../../lib/qpp/qpp.ts";
import { concat, fromHex, seededFill, toHex } from "../_helpers/bytes.ts";
import { splitFrames } from "../_helpers/smux_frames.ts";
import {
  type Capture,
  type CaptureDatagram,
  KCPTUN_CAPTURES,
  loadCapture,
} from "../_helpers/vectors.ts";

/** Arbitrary start of the receiver's clock; capture `time_ms` is added to it. */
const T0 = 7_000_000;
const SID = 3;

function sideDatagrams(cap: Capture, dir: CaptureDatagram["direction"]): CaptureDatagram[] {
  return cap.datagrams.filter((d) => d.direction === dir);
}

/** The capture's conv: recorded for latest captures, read from the first segment for 2021. */
function captureConv(cap: Capture): number {
  if (cap.conv !== undefined) return cap.conv[0];
  const first = cap.datagrams.find((d) => d.kcp_segments.length > 0)!;
  return first.kcp_segments[0].conv;
}

/** What the application wrote on stream 3 in each direction: `rounds` × the message. */
function expectedPayload(cap: Capture): Uint8Array {
  const msg = fromHex(cap.settings.message_hex);
  return concat(Array.from({ length: cap.settings.rounds }, () => msg));
}

function qppFor(cap: Capture): Qpp | undefined {
  if (cap.settings.qpp !== true) return undefined;
  // kcptun seeds QPP with the raw --key bytes, not the PBKDF2 pass
  return new Qpp(new TextEncoder().encode(cap.settings.key), cap.settings.qpp_count ?? 61);
}

function cryptFor(cap: Capture, seed: number): PacketCrypt {
  return createPacketCrypt(cap.settings.crypt, fromHex(cap.pass), seededFill(seed));
}

function recordedPayload(cap: Capture, dir: CaptureDatagram["direction"]) {
  const s = cap.streams.find((x) => x.direction === dir)!;
  const fromFrames = concat(
    s.smux_frames.filter((f) => f.cmd === SMUX_PSH && f.sid === SID).map((f) => fromHex(f.data)),
  );
  const rec = s.stream_payloads?.find((p) => Number(p.sid) === SID);
  return { stream: s, fromFrames, recorded: rec };
}

for (const file of KCPTUN_CAPTURES) {
  Deno.test(`captures: ${file} key derivation gives the recorded pass`, () => {
    const cap = loadCapture(file);
    assert.equal(toHex(deriveKey(cap.settings.key)), cap.pass);
  });

  for (const dir of ["client_to_server", "server_to_client"] as const) {
    Deno.test(`captures: ${file} ${dir} decodes via KcpSession + snappy + frames to the payload`, () => {
      const cap = loadCapture(file);
      const conv = captureConv(cap);
      const session = new KcpSession(
        {
          conv,
          crypt: cryptFor(cap, 1),
          dataShards: cap.settings.datashard,
          parityShards: cap.settings.parityshard,
        },
        () => {},
        T0,
      );
      const parts: Uint8Array[] = [];
      const rx = new Uint8Array(65536);
      const datagrams = sideDatagrams(cap, dir);
      for (const d of datagrams) {
        const b = fromHex(d.datagram);
        assert.equal(b.length, d.length);
        assert.ok(session.input(b, b.length, T0 + d.time_ms), `datagram ${d.index} opens`);
        for (let n = session.recv(rx); n > 0; n = session.recv(rx)) parts.push(rx.slice(0, n));
      }
      const kcpStream = concat(parts);
      const { stream, fromFrames, recorded } = recordedPayload(cap, dir);
      assert.equal(toHex(kcpStream), stream.kcp_stream);

      let smuxStream = kcpStream;
      if (!cap.settings.nocomp) {
        const dec = new SnappyFrameDecoder();
        assert.equal(dec.push(kcpStream), SnappyStatus.Ok);
        assert.equal(dec.end(), SnappyStatus.Ok);
        smuxStream = dec.peek().slice();
        assert.equal(toHex(smuxStream), stream.smux_stream);
      }
      const { frames, rest } = splitFrames(smuxStream);
      assert.equal(rest, 0);
      assert.deepEqual(
        frames.map((f) => [f.ver, f.cmd, f.sid, f.length, toHex(f.data)]),
        stream.smux_frames.map((f) => [f.version, f.cmd, f.sid, f.length, f.data]),
      );
      const version = cap.settings.smuxver ?? 1;
      assert.ok(frames.every((f) => f.ver === version));

      const payload = concat(frames.filter((f) => f.cmd === SMUX_PSH).map((f) => f.data));
      assert.deepEqual(payload, fromFrames);
      if (recorded !== undefined) assert.equal(toHex(payload), recorded.payload);
      const qpp = qppFor(cap);
      if (qpp !== undefined) {
        qpp.decrypt(payload, qpp.createPrng()); // fresh PRNG per stream direction
        assert.equal(toHex(payload), recorded!.qpp_decrypted);
      }
      assert.deepEqual(payload, expectedPayload(cap));

      const snmp = session.snmp;
      assert.equal(snmp.InPkts, datagrams.length);
      assert.equal(snmp.InCsumErrors, 0);
      assert.equal(snmp.InErrs, 0);
      assert.equal(snmp.KCPInErrors, 0);
      assert.equal(snmp.FECErrs, 0);
      assert.equal(snmp.FECRecovered, 0);
      assert.equal(snmp.FECParityShards, datagrams.filter((d) => d.kind === "parity").length);
      assert.equal(snmp.BytesReceived, kcpStream.length);
    });
  }
}

/** Result of replaying a capture's client→server datagrams into a server connection. */
interface ServerReplay {
  server: TunnelConnection;
  accepted: number[];
  payload: Uint8Array;
  eof: boolean;
  sent: Uint8Array[];
}

/**
 * Feeds the client's datagrams (in capture order) into a server-mode TunnelConnection with
 * compression and smux version on "auto". With `detect`, the server knows only the key: the
 * first datagram picks the crypt and the conv, as lib/tunnel/server.ts does.
 */
function replayToServer(
  cap: Capture,
  opts: { detect: boolean; drop?: (d: CaptureDatagram) => boolean },
): ServerReplay {
  const rx = new Uint8Array(65536);
  const parts: Uint8Array[] = [];
  const accepted: number[] = [];
  const sent: Uint8Array[] = [];
  const dirty = new Set<number>();
  let eof = false;
  let server: TunnelConnection | undefined;
  const make = (crypt: PacketCrypt, conv: number, now: number) =>
    new TunnelConnection({
      conv,
      crypt,
      isClient: false,
      dataShards: cap.settings.datashard,
      parityShards: cap.settings.parityshard,
      sndwnd: 1024,
      rcvwnd: 1024,
      compress: "auto",
      smux: { ...SMUX_DEFAULTS, version: "auto" },
    }, {
      datagram: (b, n) => sent.push(b.slice(0, n)),
      accept: (sid) => {
        accepted.push(sid);
        dirty.add(sid);
      },
      readable: (sid) => dirty.add(sid),
    }, now);
  const drain = (now: number) => {
    for (const sid of dirty) {
      for (;;) {
        const n = server!.read(sid, rx, now);
        if (n > 0) parts.push(rx.slice(0, n));
        else {
          if (n < 0) eof = true;
          break;
        }
      }
    }
    dirty.clear();
  };
  const candidates = DETECTION_ORDER.map((m) =>
    createPacketCrypt(m, fromHex(cap.pass), seededFill(2))
  );
  const scratch = new Uint8Array(2048);
  for (const d of sideDatagrams(cap, "client_to_server")) {
    if (opts.drop?.(d)) continue;
    const now = T0 + d.time_ms;
    const b = fromHex(d.datagram);
    if (server === undefined) {
      if (opts.detect) {
        const found = detectCrypt(b, b.length, candidates, scratch);
        assert.ok(found, `datagram ${d.index} is recognised`);
        assert.equal(found.crypt.method, cap.settings.crypt);
        const off = found.crypt.headerSize;
        const conv = payloadConv(scratch, off, found.payloadLength);
        assert.equal(conv, captureConv(cap));
        server = make(found.crypt, conv, now);
        server.inputPayload(scratch, off, found.payloadLength, now);
      } else {
        server = make(cryptFor(cap, 3), captureConv(cap), now);
        assert.ok(server.input(b, b.length, now));
      }
    } else {
      assert.ok(server.input(b, b.length, now), `datagram ${d.index} opens`);
    }
    drain(now);
    server.tick(now);
  }
  return { server: server!, accepted, payload: concat(parts), eof, sent };
}

function assertServerGotPayload(cap: Capture, r: ServerReplay): void {
  assert.deepEqual(r.accepted, [SID]);
  assert.equal(r.server.closedReason, undefined);
  assert.equal(r.server.compress, !cap.settings.nocomp);
  assert.equal(r.server.smuxVersion, cap.settings.smuxver ?? 1);
  assert.ok(r.eof, "the client's FIN ends the stream after its data");
  const { recorded } = recordedPayload(cap, "client_to_server");
  if (recorded !== undefined) assert.equal(toHex(r.payload), recorded.payload);
  const qpp = qppFor(cap);
  if (qpp !== undefined) qpp.decrypt(r.payload, qpp.createPrng());
  assert.deepEqual(r.payload, expectedPayload(cap));
}

for (const file of KCPTUN_CAPTURES) {
  Deno.test(`captures: ${file} client datagrams into a server TunnelConnection (auto compress/version)`, () => {
    const cap = loadCapture(file);
    const r = replayToServer(cap, { detect: false });
    assertServerGotPayload(cap, r);
    const snmp = r.server.session.snmp;
    assert.equal(snmp.InCsumErrors, 0);
    assert.equal(snmp.KCPInErrors, 0);
    assert.equal(snmp.InErrs, 0);
    // the server answered (ACKs, and UPD frames for v2) with datagrams a peer can open
    assert.ok(r.sent.length > 0);
    const check = cryptFor(cap, 4);
    for (const dg of r.sent) {
      const n = check.open(dg, dg.length);
      assert.ok(n >= 0);
      const conv = payloadConv(dg, check.headerSize, n);
      assert.ok(conv === captureConv(cap) || conv === -1);
    }
  });

  Deno.test(`captures: ${file} a server knowing only the key detects the crypt from the first datagram`, () => {
    const cap = loadCapture(file);
    assertServerGotPayload(cap, replayToServer(cap, { detect: true }));
  });

  Deno.test(`captures: ${file} detectCrypt names the method of every datagram`, () => {
    const cap = loadCapture(file);
    const candidates = DETECTION_ORDER.map((m) =>
      createPacketCrypt(m, fromHex(cap.pass), seededFill(5))
    );
    const scratch = new Uint8Array(2048);
    for (const d of cap.datagrams) {
      const b = fromHex(d.datagram);
      const found = detectCrypt(b, b.length, candidates, scratch);
      assert.ok(found, `datagram ${d.index}`);
      assert.equal(found.crypt.method, cap.settings.crypt, `datagram ${d.index}`);
      assert.equal(toHex(b), d.datagram, "the input is left untouched");
      const overhead = found.crypt.headerSize + found.crypt.trailerSize;
      assert.equal(found.payloadLength, b.length - overhead);
    }
  });
}

/** Seqids of the complete FEC groups (every data and parity packet captured) of a direction. */
function completeGroupData(cap: Capture): CaptureDatagram[] {
  const ds = cap.settings.datashard;
  const total = ds + cap.settings.parityshard;
  const c2s = sideDatagrams(cap, "client_to_server");
  const count = new Map<number, number>();
  for (const d of c2s) {
    const g = d.fec_seqid! - d.fec_seqid! % total;
    count.set(g, (count.get(g) ?? 0) + 1);
  }
  return c2s.filter((d) =>
    d.kind === "data" && count.get(d.fec_seqid! - d.fec_seqid! % total) === total
  );
}

for (const file of ["capture-default.json", "latest/capture-latest-gcm-qpp.json"]) {
  Deno.test(`captures: ${file} losing any one data datagram of a complete group is repaired by FEC`, () => {
    const cap = loadCapture(file);
    const victims = completeGroupData(cap);
    assert.ok(victims.length >= 10, `${victims.length} candidates`);
    for (const victim of victims) {
      const r = replayToServer(cap, { detect: false, drop: (d) => d.index === victim.index });
      assertServerGotPayload(cap, r);
      assert.equal(r.server.session.snmp.FECRecovered, 1, `datagram ${victim.index}`);
    }
  });
}
