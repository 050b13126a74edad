/**
 * Crypt detection for a server that knows only the key: the first datagram of a new peer is
 * tried against every `--crypt` method (authenticated ones first, then the CRC-checked ones,
 * `null` last with a structural check). None of the Go peers does this; explicit flags pin the
 * method instead.
 *
 * @module
 */

import type { PacketCrypt } from "../crypt/packet_crypt.ts";
import { CRYPT_METHODS } from "../crypt/block_crypt.ts";
import { FEC_TYPE_DATA, FEC_TYPE_OOB, FEC_TYPE_PARITY, fecType } from "../fec/fec.ts";

const KCP_OVERHEAD = 24;
const CMD_MIN = 81;
const CMD_MAX = 84;

/**
 * Order in which methods are tried: AEAD (a forged match is impossible), then CRC-checked
 * methods (a false match has probability 2^-32 each), then `null` (structure only).
 */
export const DETECTION_ORDER: readonly string[] = [
  "aes-128-gcm",
  ...CRYPT_METHODS.filter((m) => m !== "aes-128-gcm" && m !== "null"),
  "null",
];

/**
 * True when `buf[offset, offset+length)` looks like a kcptun payload: an FEC data packet whose
 * size field matches its length, a parity or OOB packet, or a chain of well-formed KCP segments.
 */
export function plausiblePayload(buf: Uint8Array, offset: number, length: number): boolean {
  const type = fecType(buf, offset, length);
  if (type === FEC_TYPE_PARITY || type === FEC_TYPE_OOB) return length >= 8;
  let at = offset;
  let end = offset + length;
  if (type === FEC_TYPE_DATA) {
    if (length < 8 + KCP_OVERHEAD) return false;
    const size = buf[offset + 6] | buf[offset + 7] << 8;
    if (size !== length - 6) return false;
    at += 8;
  }
  if (end - at < KCP_OVERHEAD) return false;
  while (end - at >= KCP_OVERHEAD) {
    const cmd = buf[at + 4];
    if (cmd < CMD_MIN || cmd > CMD_MAX) return false;
    const len = (buf[at + 20] | buf[at + 21] << 8 | buf[at + 22] << 16 | buf[at + 23] << 24) >>> 0;
    if (len > end - at - KCP_OVERHEAD) return false;
    at += KCP_OVERHEAD + len;
  }
  end = at; // trailing bytes shorter than a header are ignored by KCP, accept them
  return end > offset;
}

/**
 * Finds the method whose `open` accepts `datagram[0,length)`. On success `scratch` holds the
 * decrypted datagram and the result gives the crypt and payload length; the input is untouched.
 */
export function detectCrypt(
  datagram: Uint8Array,
  length: number,
  candidates: readonly PacketCrypt[],
  scratch: Uint8Array,
): { crypt: PacketCrypt; payloadLength: number } | undefined {
  for (const crypt of candidates) {
    scratch.set(datagram.subarray(0, length));
    const n = crypt.open(scratch, length);
    if (n < 0) continue;
    if (!plausiblePayload(scratch, crypt.headerSize, n)) continue;
    return { crypt, payloadLength: n };
  }
  return undefined;
}
