/**
 * A UDP relay that forwards datagrams between clients and one target through an emulated lossy
 * link: put it between a kcptun client and server to get loss, delay, jitter, a bottleneck,
 * reordering and duplication on loopback, without kernel netem.
 *
 * ```text
 *   client A ─┐                 ┌─ upstream socket A ─┐
 *             ├─ listen socket ─┤                     ├─ target
 *   client B ─┘   (relay.addr)  └─ upstream socket B ─┘
 *                  up:   client → target  (one LinkDirection shared by all clients)
 *                  down: target → client  (one LinkDirection shared by all clients)
 * ```
 *
 * Like a NAT, every client source address gets its own upstream socket (an ephemeral port), so
 * the target sees one peer per client and replies find their way back. Both directions are one
 * shared {@linkcode LinkDirection} each, so clients compete for the same bottleneck, as they
 * would on a real path; packets are told apart by the link's per-packet tag. Datagrams arriving
 * on an upstream socket are relayed to its client whatever their source address.
 *
 * This is a Deno adapter: it owns sockets and one timer, driven by
 * {@linkcode LinkDirection.nextDelivery}; the link model itself stays pure. Needs
 * `--unstable-net` (or `"unstable": ["net"]` in deno.json) and `--allow-net`.
 *
 * @module
 */

import { LinkDirection, type LinkProfile, type LinkStats } from "./link.ts";
import { Prng } from "./prng.ts";
import { setSocketBuffers } from "../tunnel/sockbuf.ts";

/** Receive buffer size: the largest UDP payload plus slack. */
const MAX_DATAGRAM = 65536;
/** @default for {@linkcode UdpRelayOptions.maxClients}. */
const DEFAULT_MAX_CLIENTS = 1024;
/** @default for {@linkcode UdpRelayOptions.idleTimeoutMs}. */
const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

/** A host and port, as given to {@linkcode Deno.listenDatagram}. */
export interface HostPort {
  /** Host name or IP address. */
  hostname: string;
  /** UDP port; 0 in `listen` picks a free one. */
  port: number;
}

/** Options of {@linkcode startUdpRelay}. */
export interface UdpRelayOptions {
  /** Address the clients send to. Use port 0 for an ephemeral port (see `addr` in the result). */
  listen: HostPort;
  /** Where client datagrams are forwarded. */
  target: HostPort;
  /** Link from the clients to the target. */
  up: LinkProfile;
  /** Link from the target back to the clients. */
  down: LinkProfile;
  /** Seed of both links (each direction derives its own stream from it). */
  seed: number;
  /** Aborting it closes every socket, drops what is still in flight and settles `closed`. */
  signal?: AbortSignal;
  /** Largest number of concurrent clients; datagrams from further clients are dropped. @default 1024 */
  maxClients?: number;
  /**
   * A client mapping unused (no datagram either way) for longer than this is closed, checked
   * whenever a new client arrives; 0 = never. @default 120000
   */
  idleTimeoutMs?: number;
  /**
   * Local address the upstream sockets bind to.
   * @default "::" when the target hostname is an IPv6 literal, else "0.0.0.0"
   */
  upstreamHostname?: string;
  /** Clock in ms for the links and idle timeouts (tests inject a fake one). @default performance.now */
  clock?: () => number;
  /**
   * Kernel buffer size (SO_RCVBUF/SO_SNDBUF) of every relay socket in bytes, like kcptun's
   * `--sockbuf`; 0 keeps the kernel default. A busy relay otherwise drops bursts in the kernel:
   * losses the emulated link did not decide. Applied on Linux only (see `setSocketBuffers`).
   * @default 0
   */
  sockbuf?: number;
}

/** Live counters of a relay. */
export interface UdpRelayStats {
  /** Counters of the client → target link. */
  readonly up: LinkStats;
  /** Counters of the target → client link. */
  readonly down: LinkStats;
  /** Current client mappings. */
  clients: number;
  /** Client mappings ever created. */
  clientsTotal: number;
  /** Client mappings closed for being idle. */
  clientsExpired: number;
  /** Datagrams dropped because `maxClients` was reached (or an upstream socket failed to open). */
  rejectedPackets: number;
  /** Datagrams that left a link after their client mapping had expired (dropped). */
  strayPackets: number;
  /** Socket sends that failed. */
  sendErrors: number;
  /** Socket receives that failed while the relay was open. */
  receiveErrors: number;
}

/** A running relay. */
export interface UdpRelay {
  /** The bound listen address (with the real port when `listen.port` was 0). */
  addr: Deno.NetAddr;
  /** Live counters. */
  stats: UdpRelayStats;
  /** Settles once the relay has shut down after `signal` aborted: sockets closed, sends done. */
  closed: Promise<void>;
  /** Why `sockbuf` could not be applied to the listening socket, if it could not. */
  sockbufError: string | undefined;
}

interface Client {
  id: number;
  key: string;
  addr: Deno.NetAddr;
  socket: Deno.DatagramConn;
  lastSeen: number;
  closed: boolean;
}

function checkHostPort(name: string, value: HostPort, minPort: number): void {
  if (value === null || typeof value !== "object") {
    throw new TypeError(`Relay "${name}" must be {hostname, port}, got ${String(value)}`);
  }
  if (typeof value.hostname !== "string" || value.hostname === "") {
    throw new TypeError(
      `Relay "${name}.hostname" must be a non-empty string, got ${String(value.hostname)}`,
    );
  }
  if (!(Number.isInteger(value.port) && value.port >= minPort && value.port <= 65535)) {
    throw new RangeError(`Relay "${name}.port" must be ${minPort}..65535, got ${value.port}`);
  }
}

function clientKey(addr: Deno.NetAddr): string {
  return `${addr.hostname}|${addr.port}`;
}

function isClosedError(e: unknown): boolean {
  return e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted;
}

class Relay {
  readonly stats: UdpRelayStats;
  readonly addr: Deno.NetAddr;
  readonly closed: Promise<void>;

  #listener: Deno.DatagramConn;
  #target: Deno.NetAddr;
  #upstreamHostname: string;
  #up: LinkDirection;
  #down: LinkDirection;
  #clock: () => number;
  #maxClients: number;
  #idleTimeoutMs: number;
  readonly #sockbuf: number;
  /** Why `sockbuf` could not be applied to some socket, if it could not. */
  sockbufError: string | undefined;
  #clients = new Map<string, Client>();
  #byId = new Map<number, Client>();
  #lastClient: Client | undefined;
  #nextId = 1;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #pendingSends = 0;
  #drained: (() => void) | undefined;
  #loops = new Set<Promise<void>>();
  #closing = false;
  #signal: AbortSignal | undefined;
  #resolveClosed!: () => void;

  constructor(options: UdpRelayOptions) {
    const seeds = new Prng(options.seed);
    this.#up = new LinkDirection(options.up, seeds.next());
    this.#down = new LinkDirection(options.down, seeds.next());
    this.#clock = options.clock ?? (() => performance.now());
    this.#maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#target = { transport: "udp", ...options.target };
    this.#upstreamHostname = options.upstreamHostname ??
      (options.target.hostname.includes(":") ? "::" : "0.0.0.0");
    this.stats = {
      up: this.#up.stats,
      down: this.#down.stats,
      clients: 0,
      clientsTotal: 0,
      clientsExpired: 0,
      rejectedPackets: 0,
      strayPackets: 0,
      sendErrors: 0,
      receiveErrors: 0,
    };
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    this.#listener = Deno.listenDatagram({
      transport: "udp",
      hostname: options.listen.hostname,
      port: options.listen.port,
    });
    this.addr = this.#listener.addr as Deno.NetAddr;
    this.#sockbuf = options.sockbuf ?? 0;
    this.#applySockbuf(this.addr.port);
    this.#track(this.#listenLoop());
    this.#signal = options.signal;
    if (this.#signal !== undefined) {
      if (this.#signal.aborted) this.#close();
      else this.#signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  #onAbort = (): void => {
    this.#close();
  };

  #track(loop: Promise<void>): void {
    this.#loops.add(loop);
    loop.finally(() => this.#loops.delete(loop));
  }

  async #listenLoop(): Promise<void> {
    const buf = new Uint8Array(MAX_DATAGRAM);
    const listener = this.#listener;
    while (!this.#closing) {
      let data: Uint8Array;
      let from: Deno.Addr;
      try {
        [data, from] = await listener.receive(buf);
      } catch (e) {
        if (this.#closing || isClosedError(e)) return;
        this.stats.receiveErrors++;
        continue;
      }
      if (this.#closing) return;
      const addr = from as Deno.NetAddr;
      const now = this.#clock();
      let client = this.#lastClient;
      if (
        client === undefined || client.closed || client.addr.port !== addr.port ||
        client.addr.hostname !== addr.hostname
      ) {
        client = this.#clients.get(clientKey(addr)) ?? this.#open(addr, now);
        if (client === undefined) {
          this.stats.rejectedPackets++;
          continue;
        }
        this.#lastClient = client;
      }
      client.lastSeen = now;
      this.#up.send(data, now, client.id);
      this.#pump(now);
    }
  }

  async #upstreamLoop(client: Client): Promise<void> {
    const buf = new Uint8Array(MAX_DATAGRAM);
    const socket = client.socket;
    while (!this.#closing && !client.closed) {
      let data: Uint8Array;
      try {
        [data] = await socket.receive(buf);
      } catch (e) {
        if (this.#closing || client.closed || isClosedError(e)) return;
        this.stats.receiveErrors++;
        continue;
      }
      if (this.#closing || client.closed) return;
      const now = this.#clock();
      client.lastSeen = now;
      this.#down.send(data, now, client.id);
      this.#pump(now);
    }
  }

  #open(addr: Deno.NetAddr, now: number): Client | undefined {
    this.#expireIdle(now);
    if (this.#clients.size >= this.#maxClients) return undefined;
    let socket: Deno.DatagramConn;
    try {
      socket = Deno.listenDatagram({
        transport: "udp",
        hostname: this.#upstreamHostname,
        port: 0,
      });
    } catch {
      return undefined;
    }
    this.#applySockbuf((socket.addr as Deno.NetAddr).port);
    const key = clientKey(addr);
    const client: Client = {
      id: this.#nextId++,
      key,
      addr: { transport: "udp", hostname: addr.hostname, port: addr.port },
      socket,
      lastSeen: now,
      closed: false,
    };
    this.#clients.set(key, client);
    this.#byId.set(client.id, client);
    this.stats.clients = this.#clients.size;
    this.stats.clientsTotal++;
    this.#track(this.#upstreamLoop(client));
    return client;
  }

  #applySockbuf(port: number): void {
    if (this.#sockbuf <= 0) return;
    const error = setSocketBuffers(port, this.#sockbuf);
    if (error !== undefined) this.sockbufError ??= error;
  }

  #expireIdle(now: number): void {
    if (this.#idleTimeoutMs <= 0) return;
    for (const client of this.#clients.values()) {
      if (now - client.lastSeen > this.#idleTimeoutMs) {
        this.#closeClient(client);
        this.stats.clientsExpired++;
      }
    }
    this.stats.clients = this.#clients.size;
  }

  #closeClient(client: Client): void {
    client.closed = true;
    this.#clients.delete(client.key);
    this.#byId.delete(client.id);
    if (this.#lastClient === client) this.#lastClient = undefined;
    client.socket.close();
  }

  /** Deliver everything due and re-arm the timer for the next delivery. */
  #pump(now: number): void {
    if (this.#closing) return;
    this.#up.deliver(now, this.#toTarget);
    this.#down.deliver(now, this.#toClient);
    const next = Math.min(this.#up.nextDelivery(), this.#down.nextDelivery());
    if (next >= this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, next - now));
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#pump(this.#clock());
  };

  #toTarget = (packet: Uint8Array, tag: number): void => {
    const client = this.#byId.get(tag);
    if (client === undefined) {
      this.stats.strayPackets++;
      return;
    }
    this.#send(client.socket.send(packet, this.#target));
  };

  #toClient = (packet: Uint8Array, tag: number): void => {
    const client = this.#byId.get(tag);
    if (client === undefined) {
      this.stats.strayPackets++;
      return;
    }
    this.#send(this.#listener.send(packet, client.addr));
  };

  #send(sending: Promise<number>): void {
    this.#pendingSends++;
    sending.then(this.#sent, this.#sendFailed);
  }

  #sent = (): void => {
    if (--this.#pendingSends === 0 && this.#drained !== undefined) this.#drained();
  };

  #sendFailed = (): void => {
    this.stats.sendErrors++;
    this.#sent();
  };

  #close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    void this.#finish();
  }

  async #finish(): Promise<void> {
    // Let sends already handed to the sockets complete before closing them.
    if (this.#pendingSends > 0) {
      await new Promise<void>((resolve) => this.#drained = resolve);
    }
    this.#listener.close();
    for (const client of [...this.#clients.values()]) this.#closeClient(client);
    this.stats.clients = 0;
    await Promise.allSettled([...this.#loops]);
    this.#resolveClosed();
  }
}

/**
 * Start a UDP relay that forwards datagrams between clients and `target` through two emulated
 * links (`up` = client → target, `down` = target → client). See the module documentation.
 *
 * @returns Once the listen socket is bound: its address, live counters, and a promise that
 *   settles after `signal` aborts and everything is closed.
 * @throws {TypeError | RangeError} (as a rejection) on bad options or profiles.
 *
 * @example
 * ```ts ignore
 * import { startUdpRelay } from "./relay.ts";
 * import { LINK_PROFILES } from "./link.ts";
 *
 * const ac = new AbortController();
 * const relay = await startUdpRelay({
 *   listen: { hostname: "127.0.0.1", port: 4000 },
 *   target: { hostname: "127.0.0.1", port: 29900 },
 *   up: LINK_PROFILES["lossy-50m-40ms-2pct"],
 *   down: LINK_PROFILES["lossy-50m-40ms-2pct"],
 *   seed: 1,
 *   signal: ac.signal,
 * });
 * console.log(`relay on ${relay.addr.hostname}:${relay.addr.port}`);
 * // later
 * ac.abort();
 * await relay.closed;
 * ```
 */
export function startUdpRelay(options: UdpRelayOptions): Promise<UdpRelay> {
  try {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`Relay options must be an object, got ${String(options)}`);
    }
    checkHostPort("listen", options.listen, 0);
    checkHostPort("target", options.target, 1);
    const maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    if (!(Number.isInteger(maxClients) && maxClients >= 1)) {
      throw new RangeError(`Relay "maxClients" must be an integer >= 1, got ${maxClients}`);
    }
    const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    if (!(idle >= 0 && idle < Infinity)) {
      throw new RangeError(`Relay "idleTimeoutMs" must be a finite number >= 0, got ${idle}`);
    }
    const sockbuf = options.sockbuf ?? 0;
    if (!(Number.isInteger(sockbuf) && sockbuf >= 0)) {
      throw new RangeError(`Relay "sockbuf" must be an integer >= 0, got ${sockbuf}`);
    }
    const relay = new Relay(options);
    return Promise.resolve({
      addr: relay.addr,
      stats: relay.stats,
      closed: relay.closed,
      sockbufError: relay.sockbufError,
    });
  } catch (e) {
    return Promise.reject(e);
  }
}
