/**
 * The 24-byte KCP segment header (`IKCP_OVERHEAD`), as a standalone codec for tools, tests and
 * packet inspection. The engine in {@link ./kcp.ts} writes the same layout inline.
 *
 * ```
 * off size field
 *   0    4 conv   conversation id
 *   4    1 cmd    81 PUSH, 82 ACK, 83 WASK, 84 WINS
 *   5    1 frg    fragment countdown (0 in stream mode)
 *   6    2 wnd    sender's free receive window, in segments
 *   8    4 ts     PUSH: send time; ACK: echo of the acknowledged PUSH's ts
 *  12    4 sn     sequence number (ACK: the acknowledged sn)
 *  16    4 una    every sn below this was received
 *  20    4 len    payload bytes that follow the header
 * ```
 *
 * kcp-go and ikcp write every field little-endian; kcptun-libev writes them big-endian.
 *
 * @module
 */

import { getU16, getU32, putU16, putU32 } from "./_bytes.ts";

/** Offset of `conv` (u32). */
export const KCP_OFF_CONV = 0;
/** Offset of `cmd` (u8). */
export const KCP_OFF_CMD = 4;
/** Offset of `frg` (u8). */
export const KCP_OFF_FRG = 5;
/** Offset of `wnd` (u16). */
export const KCP_OFF_WND = 6;
/** Offset of `ts` (u32). */
export const KCP_OFF_TS = 8;
/** Offset of `sn` (u32); kcp-go's `IKCP_SN_OFFSET`. */
export const KCP_OFF_SN = 12;
/** Offset of `una` (u32). */
export const KCP_OFF_UNA = 16;
/** Offset of `len` (u32). */
export const KCP_OFF_LEN = 20;
/** Header size in bytes; kcp-go's `IKCP_OVERHEAD`. */
export const KCP_HEADER_SIZE = 24;

/** Decoded fields of one segment header. All are unsigned integers. */
export interface KcpHeader {
  /** Conversation id (u32). */
  conv: number;
  /** Command (u8): 81 PUSH, 82 ACK, 83 WASK, 84 WINS; other values are invalid on the wire. */
  cmd: number;
  /** Fragment countdown (u8). */
  frg: number;
  /** Advertised free receive window (u16). */
  wnd: number;
  /** Timestamp (u32 ms). */
  ts: number;
  /** Sequence number (u32). */
  sn: number;
  /** Cumulative acknowledgement (u32). */
  una: number;
  /** Payload length (u32) as written in the header; not checked against the packet. */
  len: number;
}

/**
 * Read the segment header at `offset` into `out`.
 *
 * @returns `false` (and leaves `out` untouched) if fewer than 24 bytes remain at `offset`.
 *
 * @example
 * ```ts
 * import { decodeKcpHeader, encodeKcpHeader, type KcpHeader } from "./header.ts";
 * import assert from "node:assert/strict";
 *
 * // §11.1 of the wire spec: conv 0x11223344, PUSH, wnd 512, ts 1000, "hello"
 * const h: KcpHeader = { conv: 0x11223344, cmd: 81, frg: 0, wnd: 512, ts: 1000, sn: 0, una: 0, len: 5 };
 * const buf = new Uint8Array(24);
 * assert.equal(encodeKcpHeader(buf, 0, h), 24);
 * assert.equal(
 *   Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join(""),
 *   "4433221151000002e8030000000000000000000005000000",
 * );
 * const back = { conv: 0, cmd: 0, frg: 0, wnd: 0, ts: 0, sn: 0, una: 0, len: 0 };
 * assert.equal(decodeKcpHeader(buf, 0, back), true);
 * assert.deepEqual(back, h);
 * assert.equal(decodeKcpHeader(buf, 1, back), false);
 * ```
 */
export function decodeKcpHeader(
  src: Uint8Array,
  offset: number,
  out: KcpHeader,
  bigEndian = false,
): boolean {
  if (!(offset >= 0) || src.length - offset < KCP_HEADER_SIZE) return false;
  const le = !bigEndian;
  out.conv = getU32(src, offset + KCP_OFF_CONV, le);
  out.cmd = src[offset + KCP_OFF_CMD];
  out.frg = src[offset + KCP_OFF_FRG];
  out.wnd = getU16(src, offset + KCP_OFF_WND, le);
  out.ts = getU32(src, offset + KCP_OFF_TS, le);
  out.sn = getU32(src, offset + KCP_OFF_SN, le);
  out.una = getU32(src, offset + KCP_OFF_UNA, le);
  out.len = getU32(src, offset + KCP_OFF_LEN, le);
  return true;
}

/**
 * Write a segment header at `offset` (fields are truncated to their wire widths).
 *
 * @returns `offset + 24`, where the payload goes.
 * @throws {RangeError} If fewer than 24 bytes remain at `offset` (a caller bug, not input).
 */
export function encodeKcpHeader(
  dst: Uint8Array,
  offset: number,
  h: Readonly<KcpHeader>,
  bigEndian = false,
): number {
  if (!(offset >= 0) || dst.length - offset < KCP_HEADER_SIZE) {
    throw new RangeError(
      `KCP header needs 24 bytes at offset ${offset}, buffer has ${dst.length}`,
    );
  }
  const le = !bigEndian;
  putU32(dst, offset + KCP_OFF_CONV, h.conv, le);
  dst[offset + KCP_OFF_CMD] = h.cmd;
  dst[offset + KCP_OFF_FRG] = h.frg;
  putU16(dst, offset + KCP_OFF_WND, h.wnd, le);
  putU32(dst, offset + KCP_OFF_TS, h.ts, le);
  putU32(dst, offset + KCP_OFF_SN, h.sn, le);
  putU32(dst, offset + KCP_OFF_UNA, h.una, le);
  putU32(dst, offset + KCP_OFF_LEN, h.len, le);
  return offset + KCP_HEADER_SIZE;
}
