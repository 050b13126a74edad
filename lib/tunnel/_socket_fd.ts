/**
 * The descriptor behind a Deno UDP socket (Linux): Deno exposes none, so this process's open
 * descriptors (`/proc/self/fd`) are searched for the datagram socket bound to a local port with
 * libc's `getsockname` and `getsockopt(SO_TYPE)`. Shared by `sockbuf.ts` (buffer sizes) and
 * `_udp_native.ts` (batched I/O), each with its own libc handle.
 *
 * @module
 */

const SOL_SOCKET = 1;
const SO_TYPE = 3;
const SOCK_DGRAM = 2;
const AF_INET = 2;
const AF_INET6 = 10;

/** The two libc calls the search needs (as bound by `Deno.dlopen`). */
export interface SocketLookupLibc {
  getsockname(fd: number, addr: Uint8Array, len: Uint8Array): number;
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, len: Uint8Array): number;
}

/**
 * The descriptor of this process's UDP socket bound to local `port`, or -1. With `ipv4` (a
 * uint32, as from a dotted quad) only an AF_INET socket bound to that address matches, and two
 * matches (which cannot be told apart) also give -1; without it the first IPv4 or IPv6 match is
 * returned.
 */
export function findUdpFd(c: SocketLookupLibc, port: number, ipv4?: number): number {
  const addr = new Uint8Array(128);
  const len = new Uint32Array(1);
  const type = new Int32Array(1);
  const tlen = new Uint32Array(1);
  let found = -1;
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    const fd = Number(entry.name);
    if (!Number.isInteger(fd)) continue;
    len[0] = addr.length;
    if (c.getsockname(fd, addr, new Uint8Array(len.buffer)) !== 0) continue;
    const family = addr[0] | addr[1] << 8;
    if (family !== AF_INET && (ipv4 !== undefined || family !== AF_INET6)) continue;
    if ((addr[2] << 8 | addr[3]) !== port) continue;
    if (ipv4 !== undefined) {
      const bound = ((addr[4] << 24) | (addr[5] << 16) | (addr[6] << 8) | addr[7]) >>> 0;
      if (bound !== ipv4) continue;
    }
    tlen[0] = 4;
    const t = new Uint8Array(type.buffer);
    if (c.getsockopt(fd, SOL_SOCKET, SO_TYPE, t, new Uint8Array(tlen.buffer)) !== 0) continue;
    if (type[0] !== SOCK_DGRAM) continue;
    if (ipv4 === undefined) return fd;
    if (found >= 0) return -1; // two candidates: cannot tell which is ours
    found = fd;
  }
  return found;
}
