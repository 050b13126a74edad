/**
 * The data the lab produces: one {@linkcode LabRun} per settings × direction × implementation,
 * progress events while a run streams, suggestions, and the whole {@linkcode LabReport}. Plain
 * JSON-safe objects (rates in bit/s, `Infinity` for "unlimited" ceilings aside), so reports can
 * be printed, saved or compared.
 *
 * @module
 */

import type { LinkProfile } from "../link/link.ts";
import type { Ceiling } from "./ceiling.ts";
import type { LabDirection } from "./args.ts";

export type { LabDirection };

/** Which tunnel ran: kcptun-ts in this process, or Go kcptun's binaries. */
export type LabImpl = "ours" | "go";

/** Round-trip time percentiles from KCP's smoothed RTT, sampled on the sending end. */
export interface RttSummary {
  /** Median, ms. */
  p50: number;
  /** 99th percentile, ms. */
  p99: number;
  /** Number of samples. */
  samples: number;
}

/** CPU time of a run, seconds, with the processes (or parts) it came from. */
export interface CpuUse {
  /** Sum of `parts`. */
  seconds: number;
  /** Each process charged: e.g. the lab process, kcptun-client, kcptun-server. */
  parts: { name: string; seconds: number }[];
}

/** Counters of the link direction that carried the data. */
export interface LinkUse {
  /** Datagrams offered to the link. */
  sent: number;
  /** Datagrams lost at random. */
  lost: number;
  /** Datagrams tail-dropped at the full bottleneck queue. */
  queueDrops: number;
}

/** One transfer: settings × direction × implementation. */
export interface LabRun {
  /** The settings' label (`defaults` or the flags). */
  variant: string;
  /** Which implementation. */
  impl: LabImpl;
  /** Which way the data went. */
  direction: LabDirection;
  /** Bytes the receiving application got. */
  bytes: number;
  /** Bytes the sending application wrote. */
  sentBytes: number;
  /** Hex sha-256 of the bytes the receiving application got ("" when the run failed early). */
  sha256: string;
  /** From the first byte written to the receiver's end of stream, seconds. */
  seconds: number;
  /** `bytes × 8 / seconds`. */
  goodputBps: number;
  /** All bytes arrived, in order, unaltered (same count and sha-256 on both ends). */
  verified: boolean;
  /** What went wrong, when the run failed. */
  error?: string;
  /** The limits of this direction with these settings. */
  ceiling: Ceiling;
  /** RTT percentiles; undefined when the implementation does not expose KCP's RTT. */
  rtt?: RttSummary;
  /** Retransmitted segments of the sending end. */
  retransSegs?: number;
  /** Data segments the sending end put on the wire (first sends and resends). */
  outSegs?: number;
  /** `retransSegs / outSegs × 100`. */
  retransPct?: number;
  /** Segments the receiving end rebuilt from FEC parity. */
  fecRecovered?: number;
  /** The data direction's link counters; undefined when no emulated link was in between. */
  link?: LinkUse;
  /**
   * Datagrams the host dropped for full UDP receive buffers during the run (any socket on the
   * host, Linux only): losses outside the emulated link.
   */
  hostDrops?: number;
  /** CPU used during the transfer. */
  cpu: CpuUse;
}

/** A live update while a run streams (and a last one with `done` when it ends). */
export interface LabProgress {
  /** Run number, from 1. */
  index: number;
  /** Number of runs in the lab. */
  total: number;
  /** The settings' label. */
  variant: string;
  /** Which implementation. */
  impl: LabImpl;
  /** Which way the data goes. */
  direction: LabDirection;
  /** ms since the run started streaming. */
  elapsedMs: number;
  /** Bytes delivered so far. */
  bytes: number;
  /** Goodput over the last progress interval (on the last event: over the whole run), bit/s. */
  bps: number;
  /** This direction's ceiling, bit/s. */
  ceilingBps: number;
  /** Sending end's current smoothed RTT, ms, when known. */
  srttMs?: number;
  /** Sending end's retransmissions so far, %, when known. */
  retransPct?: number;
  /** True on the last event of a run. */
  done: boolean;
}

/** A settings change worth trying, with the reason. */
export interface Suggestion {
  /** One line: what was seen. */
  finding: string;
  /** What to do about it. */
  advice: string;
  /** kcptun flags to try (for `--try`); empty when the advice is not a flag. */
  flags: string[];
}

/** The settings that did best. */
export interface BestVariant {
  /** Its label. */
  variant: string;
  /** Mean goodput of its runs of ours (over the directions run), bit/s. */
  meanBps: number;
  /** `meanBps` of the first settings (the given flags), for the ratio. */
  baselineBps: number;
}

/** Everything a lab produced. */
export interface LabReport {
  /** How the link was named. */
  profileLabel: string;
  /** Link client → server. */
  up: LinkProfile;
  /** Link server → client. */
  down: LinkProfile;
  /** Seed of the link. */
  seed: number;
  /** Seconds per run, or undefined with `bytes`. */
  seconds?: number;
  /** Bytes per run, or undefined with `seconds`. */
  bytes?: number;
  /** Every run, in the order run. */
  runs: LabRun[];
  /** The best settings of ours; undefined when no run of ours delivered data. */
  best?: BestVariant;
  /** What to try next. */
  suggestions: Suggestion[];
  /** Remarks for the reader (e.g. Go not installed, stopped early). */
  notes: string[];
  /** True when the lab was stopped before every run was done. */
  aborted: boolean;
}
