/**
 * The crypto layer of a kcptun datagram (kcp-go `sess.go`): nonce, CRC-32 and cipher for the
 * 2021 methods, AES-128-GCM and "null" for latest kcptun.
 *
 * ```
 * CFB ciphers, salsa20, xor, none:   nonce[16] | crc32 LE[4] | payload     (all encrypted)
 * aes-128-gcm:                       nonce[12] | GCM(payload)  | tag[16]
 * null:                              payload
 * ```
 *
 * @module
 */

import { crc32 } from "./crc32.ts";
import { NoncePool } from "./_nonce_pool.ts";
import { checkPass, selectBlockCrypt, type SizedBlockCrypt } from "./_select.ts";
import { CRYPT_METHODS } from "./block_crypt.ts";
import { GcmPacketCrypt } from "./_gcm.ts";
import { checkSealLength, validLength } from "./_lengths.ts";

/** Offset of the 16-byte random nonce in a framed datagram. */
const NONCE_OFFSET = 0;
const NONCE_SIZE = 16;
/** Offset of the little-endian CRC-32 of the payload. */
const CRC_OFFSET = 16;
/** Header of the CFB/salsa20/xor/none framing: nonce + CRC. */
const FRAMED_HEADER = 20;

/**
 * Packet crypto for one `--crypt` method: seals payloads into datagrams and opens datagrams in
 * place. Instances keep scratch state and a nonce pool: one per session (or per socket), not
 * shared across concurrent users.
 */
export interface PacketCrypt {
  /** The `--crypt` name. */
  readonly method: string;
  /** Bytes in front of the payload: 20 (nonce16+crc32) for CFB/salsa20/xor/none, 12 for aes-128-gcm, 0 for null. */
  readonly headerSize: number;
  /** Bytes after the payload: 16 (GCM tag) or 0. */
  readonly trailerSize: number;
  /** Payload already sits at buf[headerSize, headerSize+payloadLen). Writes the nonce (from the
   * random fill given at creation) and CRC, encrypts in place. Returns the datagram length.
   * buf.length must be >= headerSize+payloadLen+trailerSize. */
  seal(buf: Uint8Array, payloadLen: number): number;
  /** Decrypts/verifies buf[0,len) in place. Returns the payload length (payload at
   * buf[headerSize..]) or -1 if invalid (too short, CRC or tag mismatch). Never throws. */
  open(buf: Uint8Array, len: number): number;
}

/** Drop counters kept by every {@link PacketCrypt} that {@link createPacketCrypt} returns. */
export interface PacketCryptCounters {
  /** Datagrams `open` rejected as shorter than the crypto overhead (kcp-go drops them silently). */
  readonly shortPackets: number;
  /** Datagrams `open` rejected for a CRC-32 or GCM tag mismatch (kcp-go's `InCsumErrors`). */
  readonly checksumErrors: number;
}

/** nonce(16) ‖ crc32 ‖ payload, all through a kcp-go BlockCrypt. */
class FramedPacketCrypt implements PacketCrypt, PacketCryptCounters {
  readonly method: string;
  readonly headerSize = FRAMED_HEADER;
  readonly trailerSize = 0;
  shortPackets = 0;
  checksumErrors = 0;
  readonly #crypt: SizedBlockCrypt;
  readonly #nonces: NoncePool;

  constructor(method: string, crypt: SizedBlockCrypt, random: (dst: Uint8Array) => void) {
    this.method = method;
    this.#crypt = crypt;
    this.#nonces = new NoncePool(random, NONCE_SIZE);
  }

  seal(buf: Uint8Array, payloadLen: number): number {
    checkSealLength(buf, payloadLen, FRAMED_HEADER);
    const total = FRAMED_HEADER + payloadLen;
    this.#nonces.take(buf, NONCE_OFFSET);
    const crc = crc32(buf, FRAMED_HEADER, total);
    buf[CRC_OFFSET] = crc;
    buf[CRC_OFFSET + 1] = crc >>> 8;
    buf[CRC_OFFSET + 2] = crc >>> 16;
    buf[CRC_OFFSET + 3] = crc >>> 24;
    this.#crypt.encrypt(buf, total);
    return total;
  }

  open(buf: Uint8Array, len: number): number {
    if (!validLength(buf, len)) return -1;
    if (len < FRAMED_HEADER) {
      this.shortPackets++;
      return -1;
    }
    this.#crypt.decrypt(buf, len);
    const stored = (buf[CRC_OFFSET] | (buf[CRC_OFFSET + 1] << 8) | (buf[CRC_OFFSET + 2] << 16) |
      (buf[CRC_OFFSET + 3] << 24)) >>> 0;
    if (crc32(buf, FRAMED_HEADER, len) !== stored) {
      this.checksumErrors++;
      return -1;
    }
    return len - FRAMED_HEADER;
  }
}

/** latest kcptun's `--crypt null`: no header, no check; the datagram is the payload. */
class NullPacketCrypt implements PacketCrypt, PacketCryptCounters {
  readonly method = "null";
  readonly headerSize = 0;
  readonly trailerSize = 0;
  readonly shortPackets = 0;
  readonly checksumErrors = 0;

  seal(buf: Uint8Array, payloadLen: number): number {
    checkSealLength(buf, payloadLen, 0);
    return payloadLen;
  }

  open(buf: Uint8Array, len: number): number {
    return validLength(buf, len) ? len : -1;
  }
}

/**
 * `random` fills nonces. Unknown method → throws RangeError (the config layer decides fallback).
 *
 * Nonces come from a per-instance pool of about 4 KiB that is refilled by one `random(pool)`
 * call when exhausted; each datagram takes the next 16 (GCM: 12) bytes in order. `open`
 * validates only what kcp-go validates at this layer (length, CRC or tag); payload minimums
 * (e.g. the 24-byte KCP header) are the upper layers' business.
 *
 * @param method A `--crypt` name from `CRYPT_METHODS`.
 * @param pass The 32-byte master key from `deriveKey`.
 * @param random Fills its argument with cryptographically random bytes, e.g.
 *   `(b) => crypto.getRandomValues(b)`.
 * @returns The packet crypto, with its drop counters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPacketCrypt } from "./packet_crypt.ts";
 * import { deriveKey } from "./kdf.ts";
 * const pc = createPacketCrypt("aes", deriveKey("it's a secrect"), (b) => crypto.getRandomValues(b));
 * const buf = new Uint8Array(pc.headerSize + 5 + pc.trailerSize);
 * buf.set(new TextEncoder().encode("hello"), pc.headerSize);
 * const n = pc.seal(buf, 5);
 * assert.equal(n, 25);
 * assert.equal(pc.open(buf, n), 5);
 * assert.equal(new TextDecoder().decode(buf.subarray(20, 25)), "hello");
 * ```
 */
export function createPacketCrypt(
  method: string,
  pass: Uint8Array,
  random: (dst: Uint8Array) => void,
): PacketCrypt & PacketCryptCounters {
  if (typeof random !== "function") {
    throw new TypeError(`Random source must be a function, got ${typeof random}`);
  }
  if (method === "null") {
    checkPass(pass);
    return new NullPacketCrypt();
  }
  if (method === "aes-128-gcm") {
    checkPass(pass);
    return new GcmPacketCrypt(pass, random);
  }
  const crypt = selectBlockCrypt(method, pass);
  if (crypt === undefined) {
    throw new RangeError(`Unknown crypt "${method}", expected one of ${CRYPT_METHODS.join(", ")}`);
  }
  return new FramedPacketCrypt(method, crypt, random);
}
