/**
 * latest kcptun's `--crypt aes-128-gcm` datagram framing: OpenSSL's AES-128-GCM through FFI with
 * two long-lived contexts where it can be used (0.7 µs to seal or open a 1344-byte payload,
 * nothing allocated), else `node:crypto` with a cipher object per datagram (12 µs measured by
 * `tests/crypt/_openssl_bench.ts`).
 *
 * @module
 */

import type * as NodeCrypto from "node:crypto";
import type { AesBackend } from "./_aes_native.ts";
import { NoncePool } from "./_nonce_pool.ts";
import { EvpCipher } from "./_openssl.ts";
import { nodeCrypto } from "./_node_builtins.ts";
import { checkSealLength, validLength } from "./_lengths.ts";
import type { PacketCrypt, PacketCryptCounters } from "./packet_crypt.ts";

const GCM_NONCE_SIZE = 12;
const GCM_TAG_SIZE = 16;
const GCM_KEY_SIZE = 16;

/** nonce(12) ‖ AES-128-GCM(payload) ‖ tag(16), no AAD, no CRC (latest kcp-go `aeadCrypt`). */
export class GcmPacketCrypt implements PacketCrypt, PacketCryptCounters {
  readonly method = "aes-128-gcm";
  readonly headerSize = GCM_NONCE_SIZE;
  readonly trailerSize = GCM_TAG_SIZE;
  shortPackets = 0;
  checksumErrors = 0;
  readonly #key: Uint8Array;
  readonly #nonces: NoncePool;
  /** OpenSSL contexts (long-lived; only the nonce changes per datagram), when available. */
  readonly #sealer: EvpCipher | undefined;
  readonly #opener: EvpCipher | undefined;
  /** `node:crypto`, loaded only when OpenSSL is not used (see `_node_builtins.ts`). */
  readonly #node: typeof NodeCrypto | undefined;

  constructor(pass: Uint8Array, random: (dst: Uint8Array) => void, backend?: AesBackend) {
    this.#key = pass.slice(0, GCM_KEY_SIZE);
    this.#nonces = new NoncePool(random, GCM_NONCE_SIZE);
    if (backend !== "node:crypto") {
      this.#sealer = EvpCipher.create("aes-128-gcm", this.#key, null, true);
      this.#opener = this.#sealer && EvpCipher.create("aes-128-gcm", this.#key, null, false);
      if (this.#opener === undefined) this.#sealer = undefined;
    }
    if (backend === "openssl" && this.#sealer === undefined) {
      throw new TypeError('AES backend "openssl" is not available here');
    }
    this.#node = this.#sealer === undefined ? nodeCrypto() : undefined;
  }

  seal(buf: Uint8Array, payloadLen: number): number {
    checkSealLength(buf, payloadLen, GCM_NONCE_SIZE + GCM_TAG_SIZE);
    this.#nonces.take(buf, 0);
    const end = GCM_NONCE_SIZE + payloadLen;
    const sealer = this.#sealer;
    if (sealer !== undefined) {
      // in place: one view for the payload, one for the tag
      sealer.reset(buf);
      const payload = buf.subarray(GCM_NONCE_SIZE);
      sealer.update(payload, payload, payloadLen);
      sealer.final();
      sealer.getTag(buf.subarray(end));
      return end + GCM_TAG_SIZE;
    }
    // node:crypto allocates its output buffers; there is no update-into-buffer API.
    const cipher = this.#node!.createCipheriv(
      "aes-128-gcm",
      this.#key,
      buf.subarray(0, GCM_NONCE_SIZE),
    );
    const ct = cipher.update(buf.subarray(GCM_NONCE_SIZE, end));
    cipher.final();
    buf.set(ct, GCM_NONCE_SIZE);
    buf.set(cipher.getAuthTag(), end);
    return end + GCM_TAG_SIZE;
  }

  open(buf: Uint8Array, len: number): number {
    if (!validLength(buf, len)) return -1;
    if (len < GCM_NONCE_SIZE + GCM_TAG_SIZE) {
      this.shortPackets++;
      return -1;
    }
    const end = len - GCM_TAG_SIZE;
    const opener = this.#opener;
    if (opener !== undefined) {
      // decrypts in place before the tag is known to match; on a mismatch the payload bytes
      // are garbage, and the caller drops the datagram
      opener.reset(buf);
      opener.setTag(buf.subarray(end, len));
      const payload = buf.subarray(GCM_NONCE_SIZE);
      opener.update(payload, payload, end - GCM_NONCE_SIZE);
      if (!opener.final()) {
        this.checksumErrors++;
        return -1;
      }
      return end - GCM_NONCE_SIZE;
    }
    let pt: Uint8Array;
    try {
      const decipher = this.#node!.createDecipheriv(
        "aes-128-gcm",
        this.#key,
        buf.subarray(0, GCM_NONCE_SIZE),
      );
      decipher.setAuthTag(buf.subarray(end, len));
      pt = decipher.update(buf.subarray(GCM_NONCE_SIZE, end));
      decipher.final();
    } catch {
      this.checksumErrors++;
      return -1;
    }
    buf.set(pt, GCM_NONCE_SIZE);
    return end - GCM_NONCE_SIZE;
  }
}
