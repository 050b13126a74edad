/**
 * Loading the vendored vectors (tests/vectors) and other JSON test data, and the shape of the
 * five live kcptun captures. Not part of the library.
 *
 * @module
 */

/** Directory of the vendored vectors. */
const VECTORS = new URL("../vectors/", import.meta.url);

/** Parses a JSON file (e.g. `new URL("./testdata/x.json", import.meta.url)`). */
// deno-lint-ignore no-explicit-any
export function loadJson<T = any>(url: URL): T {
  return JSON.parse(Deno.readTextFileSync(url)) as T;
}

/** Parses a JSON file under tests/vectors (e.g. `"crypt.json"`, `"latest/gcm.json"`). */
// deno-lint-ignore no-explicit-any
export function loadVector<T = any>(path: string): T {
  return loadJson<T>(new URL(path, VECTORS));
}

/** The five live captures: 2021 Debian kcptun (two) and latest kcptun (three). */
export const KCPTUN_CAPTURES: readonly string[] = Object.freeze([
  "capture-default.json",
  "capture-plain.json",
  "latest/capture-latest-default.json",
  "latest/capture-latest-null-plain.json",
  "latest/capture-latest-gcm-qpp.json",
]);

/** One datagram record of a live capture (the fields the tests read). */
export interface CaptureDatagram {
  index: number;
  direction: "client_to_server" | "server_to_client";
  time_ms: number;
  length: number;
  datagram: string;
  kind: string;
  fec_seqid?: number;
  kcp_segments: { conv: number; cmd: number; sn: number; len: number }[];
  /** After decryption, with the crypt header (2021 and latest AES captures). */
  decrypted?: string;
  crc32_ok?: boolean;
  /** After AEAD open (latest GCM capture). */
  plaintext?: string;
}

/** One smux frame record of a capture. */
export interface CaptureFrame {
  version: number;
  cmd: number;
  cmd_name: string;
  sid: number;
  length: number;
  data: string;
  frame: string;
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

/** Reads a capture file under tests/vectors (e.g. `"latest/capture-latest-default.json"`). */
export function loadCapture(path: string): Capture {
  return loadVector<Capture>(path);
}
