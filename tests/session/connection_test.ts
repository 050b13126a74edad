/**
 * TunnelConnection unit checks (the whole-stack simulations are in connection_sim_test.ts).
 */

import assert from "node:assert/strict";
import { TunnelConnection } from "../../lib/session/connection.ts";
import { createPacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { SMUX_DEFAULTS } from "../../lib/smux/config.ts";
import { seededFill } from "../_helpers/bytes.ts";

const U32 = 2 ** 32;

function connection(isClient: boolean, start: number): TunnelConnection {
  const crypt = createPacketCrypt("aes", new Uint8Array(32), seededFill(3));
  return new TunnelConnection(
    {
      conv: 5,
      crypt,
      isClient,
      compress: isClient ? true : "auto",
      smux: { ...SMUX_DEFAULTS, version: isClient ? 2 : "auto" },
    },
    { datagram: () => {} },
    start,
  );
}

Deno.test("connection: tick deadlines stay ahead of now across 2^32 (unbounded driver clock)", () => {
  for (const isClient of [true, false]) {
    for (const start of [0, U32 - 40, U32 - 1, U32 + 1, 2 * U32 + 99]) {
      const c = connection(isClient, start);
      let now = start;
      for (let i = 0; i < 10; i++) {
        const next = c.tick(now);
        assert.ok(next >= now && next <= now + 30, `${isClient} ${start} step ${i}: ${next - now}`);
        now = Math.max(next, now + 1);
      }
    }
  }
});

Deno.test("connection: a silent peer is dropped after keepAliveTimeout even when the clock wraps", () => {
  // server that never hears a smux frame; its uint32 clock wraps 1 s after it was created
  for (const wrapped of [false, true]) {
    const start = U32 - 1000;
    const c = connection(false, start);
    let clock = start;
    let closedAt = -1;
    for (let steps = 0; steps < 100_000 && closedAt < 0; steps++) {
      const now = wrapped ? clock >>> 0 : clock;
      const next = c.tick(now);
      if (c.closedReason !== undefined) closedAt = clock;
      clock += Math.max((next - now) | 0, 1);
    }
    assert.equal(c.closedReason, "No smux session from the peer");
    assert.equal(closedAt - start, SMUX_DEFAULTS.keepAliveTimeout, `wrapped ${wrapped}`);
  }
});
