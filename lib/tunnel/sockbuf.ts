/**
 * kcptun's `--sockbuf` for Deno on Linux: Deno has no API for socket buffer sizes, so the UDP
 * socket's descriptor is found by its local port (`/proc/self/fd` + getsockname + SO_TYPE) and
 * SO_RCVBUF/SO_SNDBUF are set through libc with Deno's FFI (the FORCE variants first, which
 * lift the `net.core.rmem_max` cap when running as root). Large buffers stop bursts of
 * datagrams being dropped by the kernel while the event loop is busy, as Go kcptun's 4 MiB
 * default does.
 *
 * Elsewhere (no libc.so.6, no FFI permission) it reports why and changes nothing.
 *
 * @module
 */

import { findUdpFd } from "./_socket_fd.ts";

const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;

type Libc = {
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, len: number): number;
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, len: Uint8Array): number;
  getsockname(fd: number, addr: Uint8Array, len: Uint8Array): number;
};

let libc: Libc | string | undefined;

function loadLibc(): Libc | string {
  if (libc !== undefined) return libc;
  if (Deno.build.os !== "linux") return libc = `not supported on ${Deno.build.os}`;
  try {
    const lib = Deno.dlopen("libc.so.6", {
      setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
      getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
      getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    });
    libc = lib.symbols as unknown as Libc;
  } catch (err) {
    libc = `cannot load libc: ${(err as Error).message}`;
  }
  return libc;
}

function intBytes(v: number): Uint8Array {
  return new Uint8Array(Int32Array.of(v).buffer);
}

/** Reads SO_RCVBUF and SO_SNDBUF of the UDP socket on `port` (for tests and logs). */
export function socketBuffers(port: number): { rcv: number; snd: number } | string {
  const c = loadLibc();
  if (typeof c === "string") return c;
  const fd = findUdpFd(c, port);
  if (fd < 0) return `no UDP socket on port ${port}`;
  const v = new Int32Array(1);
  const l = new Uint32Array(1);
  const get = (name: number) => {
    l[0] = 4;
    c.getsockopt(fd, SOL_SOCKET, name, new Uint8Array(v.buffer), new Uint8Array(l.buffer));
    return v[0];
  };
  return { rcv: get(SO_RCVBUF), snd: get(SO_SNDBUF) };
}

/**
 * Sets the send and receive buffers of this process's UDP socket bound to local `port` to
 * `bytes`. Returns undefined on success, or why it could not.
 */
export function setSocketBuffers(port: number, bytes: number): string | undefined {
  const c = loadLibc();
  if (typeof c === "string") return c;
  let fd: number;
  try {
    fd = findUdpFd(c, port);
  } catch (err) {
    return `cannot list sockets: ${(err as Error).message}`;
  }
  if (fd < 0) return `no UDP socket on port ${port}`;
  const v = intBytes(bytes);
  for (const [force, plain] of [[SO_RCVBUFFORCE, SO_RCVBUF], [SO_SNDBUFFORCE, SO_SNDBUF]]) {
    if (
      c.setsockopt(fd, SOL_SOCKET, force, v, 4) !== 0 &&
      c.setsockopt(fd, SOL_SOCKET, plain, v, 4) !== 0
    ) {
      return "setsockopt failed";
    }
  }
  return undefined;
}
