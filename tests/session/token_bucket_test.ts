import assert from "node:assert/strict";
import { RATELIMIT_BURST, TokenBucket } from "../../lib/session/token_bucket.ts";

Deno.test("token bucket: a full burst, then exactly the rate", () => {
  const b = new TokenBucket(1000, 0, 3000); // 1000 B/s, 3000 B burst
  assert.equal(b.take(3000, 0), true);
  assert.equal(b.take(1, 0), false);
  assert.equal(b.availableAt(500, 0), 500);
  assert.equal(b.take(500, 499), false);
  assert.equal(b.take(500, 500), true);
  // never more than the burst after a long idle time
  assert.equal(b.take(3001, 1_000_000), false);
  assert.equal(b.take(3000, 1_000_000), true);
});

Deno.test("token bucket: kcptun's burst is 64 × 1500 bytes; a bad rate is refused", () => {
  assert.equal(RATELIMIT_BURST, 96_000);
  const b = new TokenBucket(1, 0);
  assert.equal(b.take(96_000, 0), true);
  assert.throws(() => new TokenBucket(0, 0), /Rate must be > 0 bytes\/s, got 0/);
});
