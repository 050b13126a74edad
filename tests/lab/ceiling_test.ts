import assert from "node:assert/strict";
import {
  type CeilingInput,
  linkCeiling,
  meanLoss,
  RATE_CONTROL_MAX_WINDOW,
} from "../../lib/lab/ceiling.ts";
import { LINK_PROFILES } from "../../lib/link/link.ts";

const DEFAULTS = { mtu: 1350, cryptOverhead: 20, dataShards: 10, parityShards: 3 };

function both(name: string, sndwnd: number, rcvwnd: number): CeilingInput {
  const p = LINK_PROFILES[name];
  return { ...DEFAULTS, forward: p, reverse: p, sndwnd, rcvwnd };
}

Deno.test("ceiling: download on lossy-50m-40ms-2pct with kcptun's defaults is link-bound", () => {
  // server sndwnd 1024, client rcvwnd 512
  const c = linkCeiling(both("lossy-50m-40ms-2pct", 1024, 512));
  assert.equal(c.mss, 1298); // 1350 − 20 (aes nonce+crc) − 8 (FEC) − 24 (KCP)
  assert.equal(c.rttMs, 40);
  assert.equal(c.loss, 0.02);
  assert.equal(c.fec, true);
  assert.equal(c.payloadShare, (1298 / 1350) * (10 / 13)); // parity share above the loss
  assert.equal(c.protocolBps, 50e6 * c.payloadShare);
  assert.equal(Math.round(c.protocolBps), 36_980_057);
  assert.equal(c.windowSegments, 512);
  assert.equal(c.windowBps, (512 * 1298 * 8 * 1000) / 40);
  assert.equal(c.ceilingBps, c.protocolBps);
  assert.equal(c.limitedBy, "link");
  assert.equal(c.queueBytes, 312500); // 50 ms at 50 Mbit/s
  assert.equal(c.bdpSegments, Math.ceil((c.protocolBps * 40) / 1000 / 8 / 1298)); // 143
  assert.equal(c.bdpSegments, 143);
});

Deno.test("ceiling: upload on lossy-50m-40ms-2pct is window-bound (client sndwnd 128)", () => {
  const c = linkCeiling(both("lossy-50m-40ms-2pct", 128, 1024));
  assert.equal(c.windowSegments, 128);
  assert.equal(c.windowBps, 33_228_800); // 128 × 1298 B × 8 / 40 ms
  assert.equal(c.ceilingBps, 33_228_800);
  assert.equal(c.limitedBy, "window");
});

Deno.test("ceiling: loss above the parity share, FEC off, no crypt, GCM overhead", () => {
  const lossy = { rateBps: 10e6, delayMs: 30, loss: 0.3 };
  const fec = linkCeiling({ ...DEFAULTS, forward: lossy, reverse: {}, sndwnd: 4096, rcvwnd: 4096 });
  assert.equal(fec.rttMs, 30); // forward delay only: the reverse link has none
  assert.equal(fec.payloadShare, (1298 / 1350) * 0.7); // 1 − loss < 10/13
  const off = linkCeiling({
    ...DEFAULTS,
    dataShards: 0,
    parityShards: 0,
    cryptOverhead: 0,
    forward: { rateBps: 10e6, loss: 0.1 },
    reverse: {},
    sndwnd: 32,
    rcvwnd: 32,
  });
  assert.equal(off.fec, false);
  assert.equal(off.mss, 1326); // no crypt, no FEC header
  assert.equal(off.payloadShare, (1326 / 1350) * 0.9);
  assert.equal(off.windowBps, Infinity); // no delay
  assert.equal(off.limitedBy, "link");
  assert.equal(off.bdpSegments, 0);
  // kcp-go turns FEC off when the shards sum above 256
  const tooMany = linkCeiling({
    ...DEFAULTS,
    dataShards: 200,
    parityShards: 100,
    forward: {},
    reverse: {},
    sndwnd: 1,
    rcvwnd: 1,
  });
  assert.equal(tooMany.fec, false);
  const gcm = linkCeiling({
    ...DEFAULTS,
    cryptOverhead: 28,
    forward: {},
    reverse: {},
    sndwnd: 1,
    rcvwnd: 1,
  });
  assert.equal(gcm.mss, 1290);
});

Deno.test("ceiling: a perfect link is host-bound with infinite limits", () => {
  const c = linkCeiling(both("loopback", 1024, 512));
  assert.equal(c.linkBps, Infinity);
  assert.equal(c.protocolBps, Infinity);
  assert.equal(c.windowBps, Infinity);
  assert.equal(c.ceilingBps, Infinity);
  assert.equal(c.limitedBy, "host");
  assert.equal(c.queueBytes, 0);
  assert.equal(c.bdpSegments, 0);
});

Deno.test("ceiling: the clean profile caps default flags at 74 % of the link (FEC parity)", () => {
  const c = linkCeiling(both("clean-100m-20ms", 1024, 512));
  assert.equal(c.limitedBy, "link");
  assert.equal(Math.round(c.ceilingBps), 73_960_114);
  assert.ok(c.ceilingBps / c.linkBps < 0.85);
  const noFec = linkCeiling({
    ...both("clean-100m-20ms", 1024, 512),
    dataShards: 0,
    parityShards: 0,
  });
  assert.equal(Math.round(noFec.ceilingBps / 1e3), 96_741); // 100 Mbit/s × 1306/1350
});

Deno.test("meanLoss: Bernoulli, Gilbert–Elliott stationary mean, explicit state losses", () => {
  assert.equal(meanLoss({}), 0);
  assert.equal(meanLoss({ loss: 0.05 }), 0.05);
  const ge = meanLoss(LINK_PROFILES["bursty-20m-80ms-10pct"]);
  assert.ok(Math.abs(ge - 0.1) < 1e-12);
  assert.equal(
    meanLoss({ burst: { pGoodToBad: 0.1, pBadToGood: 0.3, lossGood: 0.2, lossBad: 0.6 } }),
    0.75 * 0.2 + 0.25 * 0.6,
  );
  assert.equal(meanLoss({ burst: { pGoodToBad: 0, pBadToGood: 0, lossGood: 0.01 } }), 0.01);
});

Deno.test("ceiling: bad sizes and windows are RangeErrors naming the value", () => {
  const ok: CeilingInput = { ...DEFAULTS, forward: {}, reverse: {}, sndwnd: 1, rcvwnd: 1 };
  assert.throws(() => linkCeiling({ ...ok, mtu: 9000 }), {
    name: "RangeError",
    message: "MTU must be an integer 50..1500, got 9000",
  });
  assert.throws(() => linkCeiling({ ...ok, sndwnd: 0 }), {
    name: "RangeError",
    message: "Send window must be an integer 1..65535, got 0",
  });
  assert.throws(() => linkCeiling({ ...ok, parityShards: 1.5 }), {
    name: "RangeError",
    message: "Parity shards must be an integer 0..256, got 1.5",
  });
  assert.throws(() => linkCeiling({ ...ok, mtu: 60, cryptOverhead: 28 }), {
    name: "RangeError",
    message: "MTU 60 leaves no room for data after 60 header bytes",
  });
});

Deno.test("ceiling: kcptun-ts rate control lifts the sndwnd cap; rcvwnd and 8192 remain", () => {
  const go = linkCeiling(both("clean-100m-20ms", 128, 1024));
  assert.equal(go.windowSegments, 128);
  assert.equal(go.limitedBy, "window");
  assert.equal(go.rateControl, false);
  const ours = linkCeiling({ ...both("clean-100m-20ms", 128, 1024), rateControl: true });
  assert.equal(ours.rateControl, true);
  assert.equal(ours.windowSegments, 1024);
  assert.equal(
    linkCeiling({ ...both("loopback", 128, 65535), rateControl: true }).windowSegments,
    RATE_CONTROL_MAX_WINDOW,
  );
  assert.equal(RATE_CONTROL_MAX_WINDOW, 8192);
});

Deno.test("ceiling: adaptive FEC drops parity and the FEC header in a bulk transfer, lossy link or not", () => {
  const clean = linkCeiling({ ...both("clean-100m-20ms", 1024, 512), adaptiveFec: true });
  assert.equal(clean.fec, false);
  assert.equal(clean.fecConfigured, true);
  assert.equal(clean.adaptiveFec, true);
  assert.equal(clean.mss, 1298); // the header's room stays reserved
  assert.equal(clean.datagram, 1342);
  assert.equal(clean.payloadShare, 1298 / 1342);
  assert.ok(clean.ceilingBps / clean.linkBps > 0.96);
  assert.equal(clean.parity, 0);
  // on a lossy link too: retransmission repairs the 2 %
  const lossy = linkCeiling({ ...both("lossy-50m-40ms-2pct", 1024, 512), adaptiveFec: true });
  assert.equal(lossy.fec, false);
  assert.equal(lossy.parity, 0);
  assert.equal(lossy.datagram, 1342);
  assert.equal(lossy.payloadShare, (1298 / 1342) * 0.98);
  const fixed = linkCeiling(both("lossy-50m-40ms-2pct", 1024, 512));
  assert.equal(fixed.adaptiveFec, false);
  assert.equal(fixed.parity, 3);
  assert.equal(fixed.payloadShare, (1298 / 1350) * (10 / 13));
  const unconfigured = linkCeiling({
    ...both("clean-100m-20ms", 1024, 512),
    dataShards: 0,
    adaptiveFec: true,
  });
  assert.equal(unconfigured.fecConfigured, false);
  assert.equal(unconfigured.adaptiveFec, false); // nothing to adapt
  assert.equal(unconfigured.datagram, 1350);
});
