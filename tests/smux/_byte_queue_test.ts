import assert from "node:assert/strict";
import { ByteQueue } from "../../lib/smux/_byte_queue.ts";
import { Mulberry32 } from "../_helpers/rng.ts";

Deno.test("ByteQueue: FIFO order under random pushes and reads (model check)", () => {
  const rng = new Mulberry32(42);
  const q = new ByteQueue();
  const model: number[] = [];
  let counter = 0;
  for (let i = 0; i < 5000; i++) {
    if (rng.inRange(0, 2) !== 0) {
      const n = rng.inRange(0, i % 100 === 0 ? 300_000 : 5000);
      const src = new Uint8Array(n + 10);
      for (let k = 0; k < src.length; k++) src[k] = (counter + k) & 0xff;
      const off = rng.inRange(0, 10);
      q.push(src, off, n);
      for (let k = 0; k < n; k++) model.push(src[off + k]);
      counter += 7;
    } else {
      const dst = new Uint8Array(rng.inRange(0, 20_000));
      const n = q.read(dst);
      assert.equal(n, Math.min(dst.length, model.length));
      const want = model.splice(0, n);
      assert.deepEqual(Array.from(dst.subarray(0, n)), want);
    }
    assert.equal(q.length, model.length);
  }
  q.clear();
  assert.equal(q.length, 0);
  assert.equal(q.read(new Uint8Array(10)), 0);
});
