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
 * Detection candidates created on first use, in order: a server that detects its clients'
 * method pays for a key set-up only when detection reaches that method, not for every method
 * at start-up (all fifteen took about 25 ms of CPU, measured; `aes`, tried second, costs one
 * more). A created crypt is kept for every later datagram.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DETECTION_ORDER, LazyCandidates } from "./detect.ts";
 * import { createPacketCrypt } from "../crypt/packet_crypt.ts";
 * const pass = new Uint8Array(32);
 * const lazy = new LazyCandidates(DETECTION_ORDER, (m) => createPacketCrypt(m, pass, (b) => b));
 * assert.equal(lazy.created, 0);
 * for (const c of lazy) if (c.method === "aes") break;
 * assert.equal(lazy.created, 2); // aes-128-gcm, then aes
 * ```
 */
export class LazyCandidates implements Iterable<PacketCrypt> {
  readonly #methods: readonly string[];
  readonly #create: (method: string) => PacketCrypt;
  /** The crypts built so far: always a prefix of the order, as iteration builds them in turn. */
  readonly #made: PacketCrypt[] = [];

  /** `create` builds the crypt of one method; it is called at most once per method. */
  constructor(methods: readonly string[], create: (method: string) => PacketCrypt) {
    this.#methods = methods;
    this.#create = create;
  }

  /** How many crypts have been created so far. */
  get created(): number {
    return this.#made.length;
  }

  *[Symbol.iterator](): Iterator<PacketCrypt> {
    const made = this.#made;
    for (let i = 0; i < this.#methods.length; i++) {
      if (i === made.length) made.push(this.#create(this.#methods[i]));
      yield made[i];
    }
  }
}

/**
 * Finds the method whose `open` accepts `datagram[0,length)`. On success `scratch` holds the
 * decrypted datagram and the result gives the crypt and payload length; the input is untouched.
 */
export function detectCrypt(
  datagram: Uint8Array,
  length: number,
  candidates: Iterable<PacketCrypt>,
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
