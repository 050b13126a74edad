/**
 * Builds client/server configs the way a user would (flag lists) and starts our tunnel ends.
 *
 * @module
 */

import {
  type ClientConfig,
  parseClientConfig,
  parseServerConfig,
  type ServerConfig,
} from "../../lib/config/config.ts";
import { type ClientHandle, startClient } from "../../lib/tunnel/client.ts";
import { type ServerHandle, startServer } from "../../lib/tunnel/server.ts";
import { parseLinkProfile } from "../../lib/link/link.ts";
import { startUdpRelay } from "../../lib/link/relay.ts";

const noEnv = { get: (_: string) => undefined };
const noFile = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
};

/** A client config from flags (throws on help/version results). */
export function clientConfig(args: string[]): ClientConfig {
  const c = parseClientConfig(args, noEnv, noFile);
  if ("help" in c || "version" in c) throw new Error("unexpected help/version");
  return c;
}

/** A server config from flags. */
export function serverConfig(args: string[]): ServerConfig {
  const c = parseServerConfig(args, noEnv, noFile);
  if ("help" in c || "version" in c) throw new Error("unexpected help/version");
  return c;
}

/** Our server on an ephemeral UDP port in front of 127.0.0.1:targetPort. */
export function ourServer(targetPort: number, args: string[] = []): ServerHandle {
  const c = serverConfig(["-l", "127.0.0.1:1", "-t", `127.0.0.1:${targetPort}`, ...args]);
  c.listen = { ...c.listen, portMin: 0, portMax: 0 }; // ephemeral
  return startServer(c);
}

/** Our client on an ephemeral TCP port, talking to 127.0.0.1:serverPort. */
export function ourClient(
  serverPort: number,
  args: string[] = [],
): ClientHandle & { port: number } {
  const cfg = clientConfig(["-l", "127.0.0.1:1", "-r", `127.0.0.1:${serverPort}`, ...args]);
  if (cfg.localaddr.kind === "tcp") cfg.localaddr = { ...cfg.localaddr, port: 0 }; // ephemeral
  const c = startClient(cfg);
  return Object.assign(c, { port: (c.addr as Deno.NetAddr).port });
}

/** A relay to `port` over `spec` both ways, or none. */
export async function relayTo(
  port: number,
  spec: string | undefined,
): Promise<{ port: number; stop: () => Promise<void> } | undefined> {
  if (spec === undefined) return undefined;
  const profile = parseLinkProfile(spec);
  const abort = new AbortController();
  const relay = await startUdpRelay({
    listen: { hostname: "127.0.0.1", port: 0 },
    target: { hostname: "127.0.0.1", port },
    up: profile,
    down: profile,
    seed: 7,
    signal: abort.signal,
    sockbuf: 4 << 20,
  });
  return {
    port: relay.addr.port,
    stop: () => {
      abort.abort();
      return relay.closed;
    },
  };
}
