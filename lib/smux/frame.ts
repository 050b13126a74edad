/**
 * The smux frame: an 8-byte little-endian header followed by `length` bytes of data
 * (kcptun-wire.md §7.1, xtaci/smux `frame.go`).
 *
 * ```
 * offset 0      1      2             4                 8
 *        ┌──────┬──────┬─────────────┬─────────────────┬──────────────┐
 *        │ ver  │ cmd  │ length u16LE│ stream id u32LE │ data[length] │
 *        └──────┴──────┴─────────────┴─────────────────┴──────────────┘
 * ```
 *
 * @module
 */

/** Size of a frame header in bytes. */
export const SMUX_HEADER_SIZE = 8;

/** Offset of the version byte (1 or 2) in a frame header. */
export const SMUX_OFFSET_VERSION = 0;
/** Offset of the command byte in a frame header. */
export const SMUX_OFFSET_CMD = 1;
/** Offset of the payload length (u16 little-endian) in a frame header. */
export const SMUX_OFFSET_LENGTH = 2;
/** Offset of the stream id (u32 little-endian) in a frame header. */
export const SMUX_OFFSET_SID = 4;

/** SYN: opens stream `sid`. No payload. */
export const SMUX_SYN = 0;
/** FIN: the sender will write no more data on `sid` (EOF). No payload. */
export const SMUX_FIN = 1;
/** PSH: stream data, 1..65535 bytes. */
export const SMUX_PSH = 2;
/** NOP: keepalive, sid 0, no payload. */
export const SMUX_NOP = 3;
/** UPD: v2 window update, payload `consumed u32 LE ‖ window u32 LE`. */
export const SMUX_UPD = 4;

/** Size of a UPD payload in bytes. */
export const SMUX_UPD_SIZE = 8;
/** Offset of `consumed` (u32 little-endian) in a UPD payload. */
export const SMUX_UPD_OFFSET_CONSUMED = 0;
/** Offset of `window` (u32 little-endian) in a UPD payload. */
export const SMUX_UPD_OFFSET_WINDOW = 4;

/** Largest payload a frame can carry (the length field is a u16). */
export const SMUX_MAX_PAYLOAD = 0xffff;
/** A v2 sender's window before the peer's first UPD (smux `initialPeerWindow`). */
export const SMUX_INITIAL_PEER_WINDOW = 262144;

/**
 * Writes an 8-byte header at `dst[off]`. The caller guarantees `off + 8 <= dst.length`,
 * `length` in 0..65535 and `sid` in 0..0xFFFFFFFF; the values are masked, never checked.
 *
 * @param dst Buffer to write into.
 * @param off Offset of the header in `dst`.
 * @param version Protocol version byte (1 or 2).
 * @param cmd Command ({@link SMUX_SYN} … {@link SMUX_UPD}).
 * @param length Payload length that follows the header.
 * @param sid Stream id.
 *
 * @example
 * ```ts
 * import { SMUX_HEADER_SIZE, SMUX_SYN, writeFrameHeader } from "./frame.ts";
 * import assert from "node:assert/strict";
 * const buf = new Uint8Array(SMUX_HEADER_SIZE);
 * writeFrameHeader(buf, 0, 1, SMUX_SYN, 0, 3);
 * assert.deepEqual([...buf], [1, 0, 0, 0, 3, 0, 0, 0]);
 * ```
 */
export function writeFrameHeader(
  dst: Uint8Array,
  off: number,
  version: number,
  cmd: number,
  length: number,
  sid: number,
): void {
  dst[off + SMUX_OFFSET_VERSION] = version;
  dst[off + SMUX_OFFSET_CMD] = cmd;
  dst[off + SMUX_OFFSET_LENGTH] = length & 0xff;
  dst[off + SMUX_OFFSET_LENGTH + 1] = (length >>> 8) & 0xff;
  dst[off + SMUX_OFFSET_SID] = sid & 0xff;
  dst[off + SMUX_OFFSET_SID + 1] = (sid >>> 8) & 0xff;
  dst[off + SMUX_OFFSET_SID + 2] = (sid >>> 16) & 0xff;
  dst[off + SMUX_OFFSET_SID + 3] = (sid >>> 24) & 0xff;
}
