/**
 * kcptun-ts: kcptun (TCP over KCP over UDP) in TypeScript for Deno, wire-compatible with the
 * kcptun (Go) peers of 2021 and the latest release.
 *
 * The library has three layers. Pure engines take time and randomness as arguments and do no
 * I/O: packet crypto, FEC, KCP, snappy framing, smux, QPP, and their composition into a tunnel
 * connection. Deno adapters run them over real sockets: `startClient`/`startServer` and the
 * UDP relay. The link emulator models lossy links for tests, the lab and benchmarks.
 *
 * @example Run a server and a client in one process
 * ```ts ignore
 * import { parseClientConfig, parseServerConfig, startClient, startServer } from "./mod.ts";
 * const env = { get: () => undefined };
 * const read = (p: string) => Deno.readTextFileSync(p);
 * const server = startServer(parseServerConfig(["-l", ":29900", "-t", "127.0.0.1:8080"], env, read) as any);
 * const client = startClient(parseClientConfig(["-l", ":12948", "-r", "127.0.0.1:29900"], env, read) as any);
 * ```
 *
 * @module
 */

// packet crypto
export { deriveKey } from "./lib/crypt/kdf.ts";
export { crc32 } from "./lib/crypt/crc32.ts";
export { type BlockCrypt, createBlockCrypt, CRYPT_METHODS } from "./lib/crypt/block_crypt.ts";
export {
  createPacketCrypt,
  type PacketCrypt,
  type PacketCryptCounters,
} from "./lib/crypt/packet_crypt.ts";

// FEC
export { ReedSolomon, type ReedSolomonOptions } from "./lib/fec/reed_solomon.ts";
export {
  FEC_HEADER_SIZE,
  FEC_HEADER_SIZE_PLUS2,
  FEC_TYPE_DATA,
  FEC_TYPE_OOB,
  FEC_TYPE_PARITY,
  FecDecoder,
  type FecDecoderStats,
  FecEncoder,
  type FecEncoderOptions,
  fecType,
} from "./lib/fec/fec.ts";

// KCP
export {
  CMD_ACK,
  CMD_PUSH,
  CMD_WASK,
  CMD_WINS,
  Kcp,
  KCP_OVERHEAD,
  type KcpModePreset,
  type KcpOptions,
  type KcpOutput,
  type KcpStats,
  MODE_PRESETS,
} from "./lib/kcp/kcp.ts";
export { decodeKcpHeader, encodeKcpHeader, type KcpHeader } from "./lib/kcp/header.ts";

// compression, multiplexing, QPP
export {
  type SnappyDecoderCounters,
  type SnappyEncoderCounters,
  SnappyFrameDecoder,
  SnappyFrameEncoder,
  SnappyStatus,
  type SnappyStatusCode,
  STREAM_IDENTIFIER,
} from "./lib/snappy/framing.ts";
export { type SmuxEvents, SmuxSession, type SmuxStats } from "./lib/smux/session.ts";
export { resolveSmuxConfig, SMUX_DEFAULTS, type SmuxConfig } from "./lib/smux/config.ts";
export { Qpp, type QppOptions, QppPrng, qppWarnings } from "./lib/qpp/qpp.ts";

// composition
export {
  type DatagramSink,
  KcpSession,
  type KcpSessionOptions,
  payloadConv,
  payloadFirstSn,
} from "./lib/session/kcp_session.ts";
export {
  type ConnectionEvents,
  type ConnectionOptions,
  TunnelConnection,
} from "./lib/session/connection.ts";
export { detectCrypt, DETECTION_ORDER } from "./lib/session/detect.ts";
export { RateController, type RateSample } from "./lib/session/rate_control.ts";
export { FecTuner, type FecTunerInput } from "./lib/session/fec_tuner.ts";
export { RATELIMIT_BURST, TokenBucket } from "./lib/session/token_bucket.ts";
export { createSnmp, type Snmp, SNMP_FIELDS, type SnmpField } from "./lib/session/snmp.ts";

// configuration
export {
  type ClientConfig,
  type CommonConfig,
  ConfigError,
  type EnvLookup,
  type HostPortRange,
  type InfoRequest,
  type ListenAddr,
  parseClientConfig,
  parseServerConfig,
  type ServerConfig,
  VERSION,
} from "./lib/config/config.ts";

// Deno adapters
export {
  type ClientHandle,
  type ClientRunOptions,
  runClient,
  startClient,
} from "./lib/tunnel/client.ts";
export {
  runServer,
  type ServerHandle,
  type ServerRunOptions,
  startServer,
} from "./lib/tunnel/server.ts";
export { enableNativeLoop } from "./lib/tunnel/_native_loop.ts";

// link emulator
export {
  LINK_PROFILES,
  LinkDirection,
  type LinkProfile,
  type LinkStats,
  parseLinkProfile,
} from "./lib/link/link.ts";
export { Prng } from "./lib/link/prng.ts";
export {
  type HostPort,
  startUdpRelay,
  type UdpRelay,
  type UdpRelayOptions,
  type UdpRelayStats,
} from "./lib/link/relay.ts";
