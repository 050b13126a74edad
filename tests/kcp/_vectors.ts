/**
 * Test helper: load the vendored vector files and pull out their KCP packets.
 *
 * @module
 */

/** Hex (lowercase or uppercase, no separators) → bytes. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes → lowercase hex. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Parse a vector file (path relative to tests/vectors/). */
// deno-lint-ignore no-explicit-any
export function loadVector(path: string): any {
  return JSON.parse(Deno.readTextFileSync(new URL(`../vectors/${path}`, import.meta.url)));
}

/** One decoded segment as the kcp-go vector files write it. */
export interface VectorSegment {
  conv: number;
  cmd: number;
  frg: number;
  wnd: number;
  ts: number;
  sn: number;
  una: number;
  len: number;
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
  "capture-default.json",
  "capture-plain.json",
  "latest/capture-latest-default.json",
  "latest/capture-latest-gcm-qpp.json",
  "latest/capture-latest-null-plain.json",
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
