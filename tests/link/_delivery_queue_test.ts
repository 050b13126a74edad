import assert from "node:assert/strict";
import { DeliveryQueue } from "../../lib/link/_delivery_queue.ts";
import { Prng } from "../../lib/link/prng.ts";

Deno.test("DeliveryQueue pops by time, ties in push order", () => {
  const prng = new Prng(17);
  const queue = new DeliveryQueue();
  const pushed: Array<{ time: number; id: number }> = [];
  let popped: Array<{ time: number; id: number }> = [];
  let id = 0;
  // Interleave pushes and pops; few distinct times so ties are common.
  for (let round = 0; round < 2000; round++) {
    const pushes = prng.int(4);
    for (let i = 0; i < pushes; i++) {
      const time = prng.int(50);
      const data = new Uint8Array(4);
      new DataView(data.buffer).setUint32(0, id);
      queue.push(time, data);
      pushed.push({ time, id });
      id++;
    }
    const pops = Math.min(prng.int(4), queue.size);
    for (let i = 0; i < pops; i++) {
      const time = queue.peekTime();
      const data = queue.pop();
      popped.push({ time, id: new DataView(data.buffer).getUint32(0) });
    }
    // Everything still queued was queued at this round's last pop, so must sort after it.
    if (pops > 0) {
      const last = popped[popped.length - 1];
      const remaining = pushed.filter((p) => !popped.some((q) => q.id === p.id));
      assert.equal(remaining.length, queue.size);
      for (const r of remaining) {
        assert.ok(r.time > last.time || (r.time === last.time && r.id > last.id));
      }
    }
    if (round % 100 === 99) {
      // Drain fully and check global ordering of this batch.
      const batch: Array<{ time: number; id: number }> = [];
      while (queue.size > 0) {
        const time = queue.peekTime();
        batch.push({ time, id: new DataView(queue.pop().buffer).getUint32(0) });
      }
      for (let i = 1; i < batch.length; i++) {
        const a = batch[i - 1];
        const b = batch[i];
        assert.ok(a.time < b.time || (a.time === b.time && a.id < b.id));
      }
      pushed.length = 0;
      popped = [];
    }
  }
  assert.equal(queue.peekTime(), Infinity);
});
