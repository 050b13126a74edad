/**
 * Test helper: which vendored vector files hold KCP packets, and pulling those packets out
 * (files load with tests/_helpers/vectors.ts).
 *
 * @module
 */

import type { KcpHeader } from "../../lib/kcp/header.ts";
import { KCPTUN_CAPTURES } from "../_helpers/vectors.ts";

/** One decoded segment as the kcp-go vector files write it: the header fields, and the data. */
export interface VectorSegment extends KcpHeader {
  data?: string;
}

/** A KCP packet of a little-endian vector with its decoded segments. */
export interface VectorPacket {
  where: string;
  kcpPacket: string;
  segments: VectorSegment[];
}

/** Every object in `o` (recursively) that has `kcp_packet` and `kcp_segments`. */
export function collectKcpPackets(
  o: unknown,
  where: string,
  out: VectorPacket[] = [],
): VectorPacket[] {
  if (Array.isArray(o)) {
    o.forEach((v, i) => collectKcpPackets(v, `${where}[${i}]`, out));
  } else if (o !== null && typeof o === "object") {
    const rec = o as Record<string, unknown>;
    if (typeof rec.kcp_packet === "string" && Array.isArray(rec.kcp_segments)) {
      out.push({
        where,
        kcpPacket: rec.kcp_packet,
        segments: rec.kcp_segments as VectorSegment[],
      });
    }
    for (const [k, v] of Object.entries(rec)) collectKcpPackets(v, `${where}.${k}`, out);
  }
  return out;
}

/** Files holding little-endian (kcp-go) KCP packets. */
export const LE_VECTOR_FILES = [
  "packet.json",
  ...KCPTUN_CAPTURES,
  "latest/fec-latest.json",
  "latest/gcm.json",
  "latest/interop-2021-latest.json",
  "latest/null.json",
];

/** kcptun-libev capture files (big-endian KCP). */
export const LIBEV_VECTOR_FILES = [
  "libev/plain.json",
  "libev/minipeer-reset-xchacha20poly1305_ietf.json",
  "libev/password-aes256gcm.json",
  "libev/password-chacha20poly1305_ietf.json",
  "libev/password-xchacha20poly1305_ietf.json",
  "libev/password-xsalsa20poly1305.json",
  "libev/psk-aes256gcm.json",
  "libev/psk-chacha20poly1305_ietf.json",
  "libev/psk-xchacha20poly1305_ietf-4000B.json",
  "libev/psk-xchacha20poly1305_ietf-ipv6.json",
  "libev/psk-xchacha20poly1305_ietf.json",
  "libev/psk-xsalsa20poly1305.json",
];
