/**
 * The tests' own reading of smux frames: an 8-byte header (version u8, cmd u8, length u16 LE,
 * sid u32 LE) then `length` payload bytes. Written from the wire spec, independent of lib/smux,
 * so it can check what lib/smux and the session layers emit. Not part of the library.
 *
 * @module
 */

import { concat, toHex } from "./bytes.ts";

/** Header size. */
const HEADER_SIZE = 8;
/** Offset of the version byte. */
const OFF_VERSION = 0;
/** Offset of the command byte. */
const OFF_CMD = 1;
/** Offset of the payload length (u16 LE). */
const OFF_LENGTH = 2;
/** Offset of the stream id (u32 LE). */
const OFF_SID = 4;

/** Payload length of the frame that starts at `o`. */
function lengthAt(b: Uint8Array, o: number): number {
  return b[o + OFF_LENGTH] | (b[o + OFF_LENGTH + 1] << 8);
}

/** A frame as an independent parser sees it (views into the parsed bytes). */
export class WireFrame {
  /** Protocol version byte. */
  readonly ver: number;
  /** Command byte. */
  readonly cmd: number;
  /** Payload length from the header. */
  readonly length: number;
  /** Stream id. */
  readonly sid: number;
  /** The whole frame (a view). */
  readonly bytes: Uint8Array;

  /** Reads the header of `bytes`, which must hold exactly one whole frame. */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.ver = bytes[OFF_VERSION];
    this.cmd = bytes[OFF_CMD];
    this.length = lengthAt(bytes, 0);
    this.sid = (bytes[OFF_SID] | (bytes[OFF_SID + 1] << 8) | (bytes[OFF_SID + 2] << 16) |
      (bytes[OFF_SID + 3] << 24)) >>> 0;
  }

  /** The payload (a view). */
  get data(): Uint8Array {
    return this.bytes.subarray(HEADER_SIZE);
  }

  /** The whole frame as hex. */
  get frame(): string {
    return toHex(this.bytes);
  }
}

/**
 * Splits a byte stream into its whole frames; `rest` counts the trailing bytes that do not
 * form a whole frame.
 */
export function splitFrames(b: Uint8Array): { frames: WireFrame[]; rest: number } {
  const frames: WireFrame[] = [];
  let o = 0;
  while (b.length - o >= HEADER_SIZE) {
    const length = lengthAt(b, o);
    if (b.length - o - HEADER_SIZE < length) break;
    frames.push(new WireFrame(b.subarray(o, o + HEADER_SIZE + length)));
    o += HEADER_SIZE + length;
  }
  return { frames, rest: b.length - o };
}

/**
 * Splits bytes that must be whole frames (as a session's `output` emits them). Throws if they
 * do not end on a frame boundary.
 */
export function parseFrames(b: Uint8Array): WireFrame[] {
  const { frames, rest } = splitFrames(b);
  if (rest !== 0) {
    const at = b.length - rest;
    const what = rest < HEADER_SIZE ? "header" : "payload";
    throw new Error(`Partial ${what} at ${at}`);
  }
  return frames;
}

/** Reassembles whole frames from arbitrarily chunked bytes. */
export class FrameAccumulator {
  #buf: Uint8Array = new Uint8Array(0);

  /** Adds bytes; returns the frames completed by them. */
  push(b: Uint8Array): WireFrame[] {
    const all = concat([this.#buf, b]);
    const { frames, rest } = splitFrames(all);
    this.#buf = all.slice(all.length - rest);
    return frames;
  }
}
