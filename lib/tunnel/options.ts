/**
 * Turns a parsed kcptun configuration into engine options, so the client and the server build
 * their sessions the same way (kcptun-wire.md §5.3, §7.6).
 *
 * @module
 */

import type { CommonConfig } from "../config/config.ts";
import type { ConnectionOptions } from "../session/connection.ts";
import type { PacketCrypt } from "../crypt/packet_crypt.ts";
import type { Snmp } from "../session/snmp.ts";

/** Smux's KeepAliveTimeout: kcptun never changes it. */
export const SMUX_KEEPALIVE_TIMEOUT_MS = 30_000;

/** Engine options for one session of `config`. */
export function connectionOptions(
  config: CommonConfig,
  init: {
    conv: number;
    crypt: PacketCrypt;
    isClient: boolean;
    snmp: Snmp;
    compress: boolean | "auto";
    smuxVersion: 1 | 2 | "auto";
  },
): ConnectionOptions {
  return {
    conv: init.conv,
    crypt: init.crypt,
    isClient: init.isClient,
    snmp: init.snmp,
    dataShards: config.datashard,
    parityShards: config.parityshard,
    mtu: config.mtu,
    sndwnd: config.sndwnd,
    rcvwnd: config.rcvwnd,
    nodelay: config.nodelay,
    interval: config.interval,
    resend: config.resend,
    nc: config.nc,
    ackNoDelay: config.acknodelay,
    rateControl: true,
    adaptiveFec: true,
    rangeAcks: true,
    paceLimit: config.ratelimit,
    compress: init.compress,
    smux: {
      version: init.smuxVersion,
      keepAliveInterval: config.keepalive * 1000,
      keepAliveTimeout: SMUX_KEEPALIVE_TIMEOUT_MS,
      maxFrameSize: config.framesize,
      maxReceiveBuffer: config.smuxbuf,
      maxStreamBuffer: config.streambuf,
    },
  };
}

/** Fills `dst` with CSPRNG bytes (nonces, conv ids). */
export function secureRandom(dst: Uint8Array): void {
  crypto.getRandomValues(dst);
}

/** A uniformly random uint32 from the CSPRNG (kcptun reads 4 bytes LE from crypto/rand). */
export function randomConv(): number {
  const b = new Uint8Array(4);
  crypto.getRandomValues(b);
  return (b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24) >>> 0;
}
