/**
 * Free loopback ports for child processes that need a port number on their command line
 * (bound, then released: another process could take it in between, which the caller reports
 * as a failed start). Deno adapter.
 *
 * @example
 * ```ts ignore
 * import { freeUdpPort } from "./ports.ts";
 * console.log(`kcptun-server -l 127.0.0.1:${freeUdpPort()}`);
 * ```
 *
 * @module
 */

/** A UDP port on 127.0.0.1 that was free a moment ago. */
export function freeUdpPort(): number {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  return port;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
