/**
 * Hand-built lab runs for the pure tests (suggestions, report).
 *
 * @module
 */

import { linkCeiling } from "../../lib/lab/ceiling.ts";
import type { LinkProfile } from "../../lib/link/link.ts";
import { LINK_PROFILES } from "../../lib/link/link.ts";
import type { LabRun } from "../../lib/lab/types.ts";

/**
 * kcptun's default shape on `profile`, with the given windows (sender sndwnd, receiver rcvwnd);
 * `kcptunTs` adds our rate control and adaptive FEC.
 */
export function ceilingFor(
  profile: LinkProfile,
  sndwnd: number,
  rcvwnd: number,
  shards: [number, number] = [10, 3],
  kcptunTs = false,
) {
  return linkCeiling({
    rateControl: kcptunTs,
    adaptiveFec: kcptunTs,
    forward: profile,
    reverse: profile,
    mtu: 1350,
    cryptOverhead: 20,
    dataShards: shards[0],
    parityShards: shards[1],
    sndwnd,
    rcvwnd,
  });
}

/** A verified run of ours downloading 10 MB in 4 s on lossy-50m-40ms-2pct, with overrides. */
export function run(over: Partial<LabRun> = {}): LabRun {
  return {
    variant: "defaults",
    impl: "ours",
    direction: "download",
    bytes: 10_000_000,
    sentBytes: 10_000_000,
    sha256: "",
    seconds: 4,
    goodputBps: 20_000_000,
    verified: true,
    ceiling: ceilingFor(LINK_PROFILES["lossy-50m-40ms-2pct"], 1024, 512),
    retransSegs: 100,
    outSegs: 10_000,
    retransPct: 1,
    fecRecovered: 150,
    link: { sent: 12_000, lost: 240, queueDrops: 0 },
    cpu: { seconds: 1, parts: [{ name: "lab process", seconds: 1 }] },
    ...over,
  };
}
