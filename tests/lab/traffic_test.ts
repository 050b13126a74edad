import assert from "node:assert/strict";
import {
  closeQuietly,
  connectLocal,
  listenTarget,
  makePattern,
  receiveSide,
  sendSide,
} from "../../lib/lab/traffic.ts";
import { freeTcpPort } from "../../lib/lab/ports.ts";
import { concat, sha256 } from "../_helpers/bytes.ts";

Deno.test("traffic: a byte plan cycles the pattern; both ends hash the same bytes", async () => {
  const pattern = makePattern(5);
  assert.equal(pattern.length, 1048576);
  assert.deepEqual(makePattern(5), pattern);
  assert.notDeepEqual(makePattern(6).subarray(0, 16), pattern.subarray(0, 16));
  const target = listenTarget();
  const app = await connectLocal(target.port, 1000);
  const far = await target.accepted;
  const meter = { received: 0 };
  const size = 2 * pattern.length + 12345; // wraps around the pattern twice
  const [sent, got] = await Promise.all([
    sendSide(app, pattern, { bytes: size }),
    receiveSide(far, meter),
  ]);
  const expected = sha256(concat([pattern, pattern, pattern.subarray(0, 12345)]));
  assert.equal(sent.bytes, size);
  assert.equal(got.bytes, size);
  assert.equal(meter.received, size);
  assert.equal(sent.sha256, expected);
  assert.equal(got.sha256, expected);
  assert.equal(sent.error, undefined);
  assert.ok(got.endAt >= got.firstAt && sent.firstAt <= got.endAt);
  closeQuietly(app);
  closeQuietly(far);
  closeQuietly(far); // twice is harmless
  target.close();
});

Deno.test("traffic: an aborted plan stops at once and still half-closes", async () => {
  const target = listenTarget();
  const app = await connectLocal(target.port, 1000);
  const far = await target.accepted;
  const stop = new AbortController();
  stop.abort();
  const [sent, got] = await Promise.all([
    sendSide(app, makePattern(1), { durationMs: 60_000, signal: stop.signal }),
    receiveSide(far, { received: 0 }),
  ]);
  assert.equal(sent.bytes, 0);
  assert.ok(Number.isNaN(sent.firstAt));
  assert.equal(got.bytes, 0);
  assert.equal(got.sha256, sha256(new Uint8Array(0)));
  app.close();
  far.close();
  target.close();
});

Deno.test("traffic: a reset connection ends the receiver with an error, not a throw", async () => {
  const target = listenTarget();
  const app = await connectLocal(target.port, 1000);
  const far = await target.accepted;
  const receiving = receiveSide(far, { received: 0 });
  far.close(); // closing under the pending read
  const got = await receiving;
  assert.ok(got.error !== undefined);
  app.close();
  target.close();
});

Deno.test("traffic: connectLocal gives up after its timeout; an unused target closes", async () => {
  const port = freeTcpPort();
  await assert.rejects(connectLocal(port, 120), Deno.errors.ConnectionRefused);
  const target = listenTarget();
  target.close();
  await assert.rejects(target.accepted);
});
