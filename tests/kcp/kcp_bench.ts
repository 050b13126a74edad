/**
 * KCP engine benchmarks.
 *
 * - "input+flush per segment, 1024 in flight": steady state of a bulk transfer. Each iteration
 *   queues one mss behind the sender's full window, delivers to the receiver the PUSH sent 1024
 *   iterations earlier (a delay line), and returns its ACK to the sender, whose input slides the
 *   window and flushes the queued segment. The sender always has 1024 segments in flight.
 *   Receiver input, ACK flush and recv are included in the time; packets are copied into
 *   preallocated buffers, so the harness allocates nothing per iteration.
 * - "send+flush 1 MB": one 1 MB stream write and the flush that emits it (755 packets, each
 *   copied out by the output callback); delivery, reading and the ACKs that return the
 *   segments to the pool happen outside the timed part.
 */

import { Kcp, type KcpOutput } from "../../lib/kcp/kcp.ts";

const IN_FLIGHT = 1024;
const MTU = 1350;

function engine(output: KcpOutput): Kcp {
  const k = new Kcp(1, output);
  k.setMtu(MTU);
  k.setNoDelay(0, 30, 2, 1);
  k.setWindowSize(IN_FLIGHT, IN_FLIGHT * 2);
  k.streamMode = true;
  return k;
}

/** Packet buffers with lengths; `push` copies. */
class Slots {
  readonly bufs: Uint8Array[];
  readonly lens: number[];
  count = 0;
  constructor(n: number) {
    this.bufs = Array.from({ length: n }, () => new Uint8Array(1500));
    this.lens = new Array(n).fill(0);
  }
  put(i: number, buf: Uint8Array, size: number): void {
    this.bufs[i].set(buf.subarray(0, size));
    this.lens[i] = size;
  }
  view(i: number): Uint8Array {
    return this.bufs[i].subarray(0, this.lens[i]);
  }
}

{
  const now = 1000;
  const line = new Slots(IN_FLIGHT);
  const acks = new Slots(4);
  let head = 0;
  let fresh = 0;
  let ackCount = 0;
  const a = engine((buf, size) => {
    line.put(head, buf, size);
    fresh++;
  });
  const b = engine((buf, size) => acks.put(ackCount++, buf, size));
  const chunk = new Uint8Array(a.mss).fill(7);
  const sink = new Uint8Array(65536);
  a.update(now);
  b.update(now);
  // The peer window starts at 32 segments: let b advertise its 2048 first.
  const hello = new Uint8Array(1);
  b.send(hello);
  b.flush(now);
  a.input(acks.view(0), true, now);
  ackCount = 0;
  a.flush(now); // ACK b's byte in a packet of its own, so each PUSH below is one packet
  b.input(line.view(0), true, now);
  fresh = 0;
  for (head = 0; head < IN_FLIGHT; head++) {
    a.send(chunk);
    a.flush(now);
  }
  if (fresh !== IN_FLIGHT) throw new Error("fill out of step");
  head = 0;
  Deno.bench("kcp input+flush per segment, 1024 in flight", () => {
    // One mss is queued behind the full window …
    a.send(chunk);
    // … the oldest PUSH arrives and is ACKed at once; the ACK slides the sender's window and
    // the flush inside its input emits the queued segment into the freed slot of the line.
    fresh = 0;
    ackCount = 0;
    b.input(line.view(head), true, now);
    b.flush(now, true);
    while (b.recv(sink) > 0);
    for (let i = 0; i < ackCount; i++) a.input(acks.view(i), true, now);
    head = head + 1 === IN_FLIGHT ? 0 : head + 1;
    if (fresh !== 1 || a.waitSnd() !== IN_FLIGHT) throw new Error("bench out of step");
  });
}

{
  const now = 1000;
  const flight = new Slots(1024);
  const acks = new Slots(64);
  let n = 0;
  let acksN = 0;
  const a = engine((buf, size) => flight.put(n++, buf, size));
  const b = engine((buf, size) => acks.put(acksN++, buf, size));
  const mb = new Uint8Array(1_000_000).fill(1);
  const sink = new Uint8Array(1 << 20);
  a.update(now);
  b.update(now);
  // The peer window starts at 32 segments: let b advertise its 2048 first.
  b.send(new Uint8Array(1));
  b.flush(now);
  a.input(acks.view(0), true, now);
  a.flush(now);
  b.input(flight.view(0), true, now);
  Deno.bench("kcp send+flush 1 MB (stream mode, mtu 1350)", (t) => {
    n = 0;
    t.start();
    a.send(mb);
    a.flush(now);
    t.end();
    // Untimed: deliver the flight, read it, and return the ACKs so segments go back to the pool.
    const sent = n;
    acksN = 0;
    for (let i = 0; i < sent; i++) b.input(flight.view(i), true, now);
    b.flush(now, true);
    let got = 0;
    for (let r = b.recv(sink); r > 0; r = b.recv(sink)) got += r;
    for (let i = 0; i < acksN; i++) a.input(acks.view(i), true, now);
    if (got !== mb.length || a.waitSnd() !== 0) throw new Error("bench out of step");
  });
}
