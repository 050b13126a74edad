/**
 * Binary min-heap of scheduled deliveries ordered by (time, seq). `seq` is a strictly increasing
 * insertion counter, so packets due at the same instant leave in the order they were scheduled.
 * Each packet carries a caller-chosen numeric tag (e.g. which client it belongs to). Stored as
 * parallel arrays to keep the per-packet cost to one array slot per field.
 *
 * @module
 */

/** Min-heap of packets keyed by delivery time, ties broken by insertion order. */
export class DeliveryQueue {
  #times: number[] = [];
  #seqs: number[] = [];
  #data: Uint8Array[] = [];
  #tags: number[] = [];
  #nextSeq = 0;

  /** Number of scheduled packets. */
  get size(): number {
    return this.#times.length;
  }

  /** Delivery time of the earliest packet, or Infinity when empty. */
  peekTime(): number {
    return this.#times.length === 0 ? Infinity : this.#times[0];
  }

  /** Tag of the earliest packet; the queue must not be empty. */
  peekTag(): number {
    return this.#tags[0];
  }

  /** Schedule `data` (with `tag`) for delivery at `time`. Takes ownership of `data`. */
  push(time: number, data: Uint8Array, tag = 0): void {
    const times = this.#times;
    const seqs = this.#seqs;
    const datas = this.#data;
    const tags = this.#tags;
    const seq = this.#nextSeq++;
    let i = times.length;
    times.push(time);
    seqs.push(seq);
    datas.push(data);
    tags.push(tag);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < time || (pt === time && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      datas[i] = datas[parent];
      tags[i] = tags[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    datas[i] = data;
    tags[i] = tag;
  }

  /** Remove and return the earliest packet. The queue must not be empty. */
  pop(): Uint8Array {
    const times = this.#times;
    const seqs = this.#seqs;
    const datas = this.#data;
    const tags = this.#tags;
    const top = datas[0];
    const lastTime = times.pop()!;
    const lastSeq = seqs.pop()!;
    const lastData = datas.pop()!;
    const lastTag = tags.pop()!;
    const n = times.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (
        right < n &&
        (times[right] < times[child] ||
          (times[right] === times[child] && seqs[right] < seqs[child]))
      ) {
        child = right;
      }
      const ct = times[child];
      if (ct > lastTime || (ct === lastTime && seqs[child] > lastSeq)) break;
      times[i] = ct;
      seqs[i] = seqs[child];
      datas[i] = datas[child];
      tags[i] = tags[child];
      i = child;
    }
    times[i] = lastTime;
    seqs[i] = lastSeq;
    datas[i] = lastData;
    tags[i] = lastTag;
    return top;
  }
}
