/**
 * Shared helpers for the session tests: hex, capture loading, a seeded random fill and a
 * plain smux frame parser used as an independent oracle.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { Prng } from "../../lib/link/prng.ts";
import {
  SMUX_HEADER_SIZE,
  SMUX_OFFSET_CMD,
  SMUX_OFFSET_LENGTH,
  SMUX_OFFSET_SID,
  SMUX_OFFSET_VERSION,
} from "../../lib/smux/frame.ts";

/** Hex (no separators) → bytes. */
export function hex(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new RangeError(`Odd-length hex string: ${s.length}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes → lowercase hex. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

/** Hex sha-256 of bytes. */
export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A deterministic `(dst) => void` random source (nonces, junk). */
export function seededFill(seed: number): (dst: Uint8Array) => void {
  const rng = new Prng(seed);
  return (dst) => rng.fill(dst);
}

/** Deterministic pseudo-random bytes. */
export function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  new Prng(seed).fill(out);
  return out;
}

/** One datagram record of a live capture (the fields these tests read). */
export interface CaptureDatagram {
  index: number;
  direction: "client_to_server" | "server_to_client";
  time_ms: number;
  length: number;
  datagram: string;
  kind: string;
  fec_seqid?: number;
  kcp_segments: { conv: number; cmd: number; sn: number; len: number }[];
}

/** One smux frame record of a capture. */
export interface CaptureFrame {
  version: number;
  cmd: number;
  cmd_name: string;
  sid: number;
  length: number;
  data: string;
}

/** One direction of a capture, decoded by the vector generator. */
export interface CaptureStream {
  direction: "client_to_server" | "server_to_client";
  kcp_stream: string;
  smux_stream?: string;
  smux_frames: CaptureFrame[];
  stream_payloads?: { sid: number | string; payload: string; qpp_decrypted?: string }[];
}

/** A live capture file (2021 or latest). */
export interface Capture {
  settings: {
    key: string;
    crypt: string;
    datashard: number;
    parityshard: number;
    nocomp: boolean;
    smuxver?: number;
    qpp?: boolean;
    qpp_count?: number;
    message_hex: string;
    rounds: number;
  };
  pass: string;
  conv?: number[];
  datagrams: CaptureDatagram[];
  streams: CaptureStream[];
}

/** Reads a JSON file under tests/vectors (e.g. `"latest/capture-latest-default.json"`). */
export function loadCapture(name: string): Capture {
  const url = new URL(`../vectors/${name}`, import.meta.url);
  return JSON.parse(Deno.readTextFileSync(url)) as Capture;
}

/** A parsed smux frame. */
export interface ParsedFrame {
  version: number;
  cmd: number;
  sid: number;
  length: number;
  data: Uint8Array;
}

/**
 * Splits a complete smux byte stream into frames (the test's own oracle, independent of
 * lib/smux). Returns the frames and how many trailing bytes did not form a whole frame.
 */
export function parseFrames(stream: Uint8Array): { frames: ParsedFrame[]; rest: number } {
  const frames: ParsedFrame[] = [];
  let at = 0;
  while (stream.length - at >= SMUX_HEADER_SIZE) {
    const length = stream[at + SMUX_OFFSET_LENGTH] | stream[at + SMUX_OFFSET_LENGTH + 1] << 8;
    if (stream.length - at - SMUX_HEADER_SIZE < length) break;
    const sid = (stream[at + SMUX_OFFSET_SID] | stream[at + SMUX_OFFSET_SID + 1] << 8 |
      stream[at + SMUX_OFFSET_SID + 2] << 16 | stream[at + SMUX_OFFSET_SID + 3] << 24) >>> 0;
    frames.push({
      version: stream[at + SMUX_OFFSET_VERSION],
      cmd: stream[at + SMUX_OFFSET_CMD],
      sid,
      length,
      data: stream.slice(at + SMUX_HEADER_SIZE, at + SMUX_HEADER_SIZE + length),
    });
    at += SMUX_HEADER_SIZE + length;
  }
  return { frames, rest: stream.length - at };
}
