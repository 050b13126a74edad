/**
 * The descriptor behind a Deno socket (Linux): Deno exposes none, so this process's descriptors
 * are searched with libc's `getsockname` (and `getsockopt(SO_TYPE)`, `getpeername`). UDP sockets
 * for `sockbuf.ts` (buffer sizes) and `_udp_native.ts` (batched I/O); TCP connections for the
 * own loop's pipes (`_native_loop.ts`). Each caller brings its own libc handle.
 *
 * @module
 */

const SOL_SOCKET = 1;
const SO_TYPE = 3;
const SOCK_DGRAM = 2;
const EBADF = 9;
/** Unused descriptor numbers in a row after which {@link findTcpFd} stops probing. */
const PROBE_UNUSED_MAX = 64;
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
  for (const fd of openDescriptors()) {
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

/** This process's open descriptor numbers (from `/proc/self/fd`). */
export function openDescriptors(): number[] {
  const fds: number[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    const fd = Number(entry.name);
    if (Number.isInteger(fd)) fds.push(fd);
  }
  return fds;
}

/** The libc calls {@link findTcpFd} needs (as bound by `Deno.dlopen`), and errno. */
export interface TcpLookupLibc {
  getsockname(fd: number, addr: Uint8Array, len: Uint8Array): number;
  getpeername(fd: number, addr: Uint8Array, len: Uint8Array): number;
  errno(): number;
}

/**
 * The descriptor of this process's IPv4 TCP connection from `localIp:localPort` to
 * `remoteIp:remotePort` (IPs as uint32), or -1. Descriptors for which `skip` is true are not
 * looked at (the caller's own).
 *
 * The kernel hands out the lowest free number, and most open descriptors of a busy tunnel are
 * already the caller's: the others are probed from 0 until a run of unused numbers says the
 * table has ended. Listing /proc/self/fd instead takes milliseconds with a thousand connections
 * open; it is the fallback.
 */
export function findTcpFd(
  c: TcpLookupLibc,
  localIp: number,
  localPort: number,
  remoteIp: number,
  remotePort: number,
  skip: (fd: number) => boolean,
): number {
  const a = new Uint8Array(128);
  const len = new Uint32Array(1);
  const lenBytes = new Uint8Array(len.buffer);
  const matches = (ip: number, port: number) =>
    a[0] === AF_INET && a[1] === 0 && (a[2] << 8 | a[3]) === port &&
    ((a[4] << 24 | a[5] << 16 | a[6] << 8 | a[7]) >>> 0) === ip;
  /** 1 when `fd` is the connection, 0 when it is another descriptor, -1 when not open. */
  const probe = (fd: number): number => {
    len[0] = a.length;
    if (c.getsockname(fd, a, lenBytes) !== 0) return c.errno() === EBADF ? -1 : 0;
    if (!matches(localIp, localPort)) return 0;
    len[0] = a.length;
    return c.getpeername(fd, a, lenBytes) === 0 && matches(remoteIp, remotePort) ? 1 : 0;
  };
  for (let fd = 0, unused = 0; unused < PROBE_UNUSED_MAX; fd++) {
    if (skip(fd)) {
      unused = 0;
      continue;
    }
    const r = probe(fd);
    if (r === 1) return fd;
    unused = r < 0 ? unused + 1 : 0;
  }
  for (const fd of openDescriptors()) {
    if (!skip(fd) && probe(fd) === 1) return fd;
  }
  return -1;
}
