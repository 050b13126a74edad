import assert from "node:assert/strict";
import {
  SMUX_FIN,
  SMUX_HEADER_SIZE,
  SMUX_NOP,
  SMUX_PSH,
  SMUX_SYN,
  SMUX_UPD,
  writeFrameHeader,
} from "../../lib/smux/frame.ts";
import { toHex } from "../_helpers/bytes.ts";
import { loadVector } from "../_helpers/vectors.ts";

// deno-lint-ignore no-explicit-any
type VFrame = any;

function allVectorFrames(): VFrame[] {
  const out: VFrame[] = [];
  const smux = loadVector("smux.json");
  for (const v of smux.versions) {
    out.push(...v.library_dialog, ...v.library_keepalive);
    for (const c of v.chosen_stream_ids) out.push(...c.frames_sent, ...c.library_replies);
  }
  const latest = loadVector("latest/smux-latest.json");
  out.push(...latest.library_dialog_v2.frames, ...latest.window_and_upd_cadence.non_psh_frames);
  out.push(...latest.write_after_fin.frames, ...latest.kcptun_pipe_closewait.frames);
  out.push(...latest.smux_v1_5_55.close_write_half_close.frames);
  for (const file of ["capture-default.json", "latest/capture-latest-default.json"]) {
    for (const st of loadVector(file).streams) out.push(...st.smux_frames);
  }
  return out;
}

Deno.test("command codes match the vectors", () => {
  assert.deepEqual(loadVector("smux.json").commands, {
    SYN: SMUX_SYN,
    FIN: SMUX_FIN,
    PSH: SMUX_PSH,
    NOP: SMUX_NOP,
    UPD: SMUX_UPD,
  });
  assert.equal(SMUX_HEADER_SIZE, 8);
});

Deno.test("writeFrameHeader reproduces every vector frame header, at any offset", () => {
  const frames = allVectorFrames();
  assert.ok(frames.length > 100);
  const buf = new Uint8Array(3 + SMUX_HEADER_SIZE + 2).fill(0xee);
  for (const f of frames) {
    writeFrameHeader(buf, 3, f.version, f.cmd, f.length, f.sid);
    assert.equal(toHex(buf.subarray(3, 3 + SMUX_HEADER_SIZE)), f.frame.slice(0, 16));
    assert.equal(buf[2], 0xee, "nothing written before the offset");
    assert.equal(buf[3 + SMUX_HEADER_SIZE], 0xee, "nothing written after the header");
  }
});

Deno.test("writeFrameHeader: little-endian length and sid extremes", () => {
  const b = new Uint8Array(8);
  writeFrameHeader(b, 0, 2, SMUX_PSH, 0xffff, 0xffff_ffff);
  assert.equal(toHex(b), "0202ffffffffffff");
  writeFrameHeader(b, 0, 1, SMUX_UPD, 0x0102, 0x0a0b0c0d);
  assert.equal(toHex(b), "010402010d0c0b0a");
});
