/**
 * KcpSession unit checks that the whole-stack tests rely on.
 */

import assert from "node:assert/strict";
import { KcpSession } from "../../lib/session/kcp_session.ts";
import { createPacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { seededFill } from "./_helpers.ts";

const U32 = 2 ** 32;

Deno.test("kcp session: update returns its next deadline in the caller's clock, across 2^32", () => {
  // Drivers pass an unbounded monotonic ms clock (lib/tunnel/driver.ts); KCP keeps uint32 time.
  // The deadline must stay within one interval ahead of `now` however large `now` is, or a
  // driver scheduling `next - now` spins (negative) or sleeps 49 days (wrapped forward).
  for (const start of [1000, U32 - 45, U32 - 1, U32, U32 + 12345, 3 * U32 - 7]) {
    const crypt = createPacketCrypt("aes", new Uint8Array(32), seededFill(1));
    const s = new KcpSession({ conv: 9, crypt, interval: 30 }, () => {}, start);
    let now = start;
    for (let i = 0; i < 8; i++) {
      const next = s.update(now);
      assert.ok(next >= now && next <= now + 30, `start ${start} step ${i}: ${next - now}`);
      now = Math.max(next, now + 1);
    }
  }
});

Deno.test("kcp session: update deadlines also work for a uint32-wrapped clock (wrap-safe difference)", () => {
  const crypt = createPacketCrypt("none", new Uint8Array(32), seededFill(2));
  const s = new KcpSession({ conv: 9, crypt, interval: 20 }, () => {}, U32 - 50);
  let clock = U32 - 50;
  for (let i = 0; i < 10; i++) {
    const now = clock >>> 0;
    const next = s.update(now);
    const wait = (next - now) | 0;
    assert.ok(wait >= 0 && wait <= 20, `step ${i}: ${wait}`);
    clock += Math.max(wait, 1);
  }
});
