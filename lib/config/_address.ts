/**
 * Address parsing for `--localaddr`, `--remoteaddr`, `--listen` and `--target`.
 * Each parser returns the address or a reason (a sentence fragment) that the
 * caller puts into a ConfigError naming the flag.
 *
 * @module
 */

import type { HostPortRange, ListenAddr } from "./config.ts";

/** A parsed value, or why the text was refused. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | {
  readonly ok: false;
  readonly reason: string;
};

const PORT_RANGE = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/;
const DIGITS = /^[0-9]+$/;
const HOST_PORT_SHAPE = 'must be "host:port" or "host:minport-maxport"';
const IPV6_BRACKETS = 'IPv6 addresses must be in brackets, as in "[::1]:29900"';

/**
 * Splits at the port separator. `[v6]:port` loses its brackets. Returns the
 * reason on failure. An unbracketed host with a colon is refused: Go's
 * SplitHostPort refuses it too ("too many colons").
 */
function splitHostPort(text: string): Parsed<{ host: string; port: string }> {
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end < 0 || text[end + 1] !== ":") return { ok: false, reason: IPV6_BRACKETS };
    const host = text.slice(1, end);
    if (host === "" || host.includes("[")) return { ok: false, reason: IPV6_BRACKETS };
    return { ok: true, value: { host, port: text.slice(end + 2) } };
  }
  const colon = text.lastIndexOf(":");
  if (colon < 0) return { ok: false, reason: HOST_PORT_SHAPE };
  const host = text.slice(0, colon);
  if (host.includes(":")) return { ok: false, reason: IPV6_BRACKETS };
  return { ok: true, value: { host, port: text.slice(colon + 1) } };
}

/**
 * Parses `host:port` or `host:min-max` (kcptun latest's multiport syntax,
 * `std/multiport.go`). Ports must be 1..65535 and min ≤ max, as in kcptun.
 * Host `""` means all interfaces (listen) or the local system (dial).
 */
export function parseHostPortRange(text: string): Parsed<HostPortRange> {
  const split = splitHostPort(text);
  if (!split.ok) return split;
  const match = PORT_RANGE.exec(split.value.port);
  if (match === null) return { ok: false, reason: HOST_PORT_SHAPE };
  const portMin = Number(match[1]);
  const portMax = match[2] === undefined ? portMin : Number(match[2]);
  if (portMin < 1 || portMin > 65535 || portMax < 1 || portMax > 65535) {
    return { ok: false, reason: "ports must be 1..65535" };
  }
  if (portMin > portMax) {
    return { ok: false, reason: "the first port of a range must not exceed the last" };
  }
  return { ok: true, value: { host: split.value.host, portMin, portMax } };
}

/**
 * Parses a TCP `host:port` or a unix socket path. Like kcptun (which tries
 * Go's SplitHostPort first), text without a colon is a unix path; text with a
 * colon is host:port, unless the part after the last colon is not a number
 * and the text contains "/" (a path such as `/run/a:b`).
 *
 * @param minPort 0 for a listen address (the OS picks a port, as Go's
 *   net.Listen does), 1 for a dial target.
 */
export function parseListenAddr(text: string, minPort: 0 | 1): Parsed<ListenAddr> {
  if (text === "") return { ok: false, reason: "must not be empty" };
  const colon = text.lastIndexOf(":");
  if (colon < 0) return { ok: true, value: { kind: "unix", path: text } };
  if (!text.startsWith("[") && !DIGITS.test(text.slice(colon + 1)) && text.includes("/")) {
    return { ok: true, value: { kind: "unix", path: text } };
  }
  const split = splitHostPort(text);
  if (!split.ok) return split;
  if (!DIGITS.test(split.value.port)) {
    return { ok: false, reason: 'must be "host:port" or a unix socket path' };
  }
  const port = Number(split.value.port);
  if (port < minPort || port > 65535) {
    return { ok: false, reason: `port must be ${minPort}..65535` };
  }
  return { ok: true, value: { kind: "tcp", host: split.value.host, port } };
}
