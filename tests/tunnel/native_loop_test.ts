import assert from "node:assert/strict";
import {
  COALESCE_MAX_MS,
  coalesceMs,
  enableNativeLoop,
  NativeLoop,
  WOULD_BLOCK,
} from "../../lib/tunnel/_native_loop.ts";
import { UdpEndpoint } from "../../lib/tunnel/udp.ts";

enableNativeLoop();
const loop = NativeLoop.get();
const ignore = loop === undefined;
if (ignore) console.log("native loop tests skipped: no FFI, not Linux, or KCPTUN_LOOP=deno");

/** A connected loopback TCP pair: [accepted, connected]. */
async function tcpPair(): Promise<[Deno.TcpConn, Deno.TcpConn]> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [a, b] = await Promise.all([
    listener.accept(),
    Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port }),
  ]);
  listener.close();
  return [a as Deno.TcpConn, b];
}

Deno.test({
  name: "native loop: timers fire in time order, cancelled ones never, and the loop then stops",
  ignore,
  async fn() {
    const l = loop!;
    const fired: string[] = [];
    let done!: () => void;
    const all = new Promise<void>((r) => done = r);
    const t0 = performance.now();
    l.timer(t0 + 30, () => {
      fired.push("c");
      done();
    });
    l.timer(t0 + 10, () => fired.push("a"));
    const cancelled = l.timer(t0 + 15, () => fired.push("x"));
    l.timer(t0 + 20, () => fired.push("b"));
    cancelled.cancel();
    await all;
    assert.deepEqual(fired, ["a", "b", "c"]);
    assert.ok(performance.now() - t0 >= 30);
    // nothing left: the loop's last turn ends without leaking a timer or an op
    await new Promise((r) => setTimeout(r, 5));
  },
});

/**
 * Runs `work` from a timer, re-queued by `requeue` after each run until a timer 20 ms later
 * stops it (which it can only do if the loop still turns); resolves with the number of runs.
 */
async function runUntilStopped(requeue: (again: () => void) => void): Promise<number> {
  const l = loop!;
  let runs = 0;
  let stopped = false;
  const again = () => {
    runs++;
    if (!stopped) requeue(again);
  };
  l.timer(0, again);
  await new Promise<void>((resolve) => {
    l.timer(performance.now() + 20, () => {
      stopped = true;
      resolve();
    });
  });
  await new Promise((r) => setTimeout(r, 5));
  return runs;
}

Deno.test({
  name: "native loop: a timer that re-arms itself in the past runs once per turn, not for ever",
  ignore,
  async fn() {
    const fires = await runUntilStopped((again) => loop!.timer(0, again)); // always due
    assert.ok(fires > 1, `${fires} fires`);
  },
});

Deno.test({
  name: "native loop: end-of-turn work that keeps adding itself is spread over turns",
  ignore,
  async fn() {
    const runs = await runUntilStopped((again) => loop!.after(again));
    assert.ok(runs > 4096, `${runs} runs`); // more than one turn's worth, and it still ended
  },
});

Deno.test({
  name: "native loop: a throwing timer is reported and the loop goes on",
  ignore,
  async fn() {
    const l = loop!;
    const errors = console.error;
    const seen: unknown[] = [];
    console.error = (...a: unknown[]) => seen.push(a[1]);
    try {
      let done!: () => void;
      const after = new Promise<void>((r) => done = r);
      l.timer(performance.now() + 1, () => {
        throw new Error("timer bug");
      });
      l.timer(performance.now() + 5, done);
      await after;
      assert.equal(seen.length, 1);
      assert.match(String(seen[0]), /timer bug/);
    } finally {
      console.error = errors;
    }
    await new Promise((r) => setTimeout(r, 5));
  },
});

Deno.test({
  name: "native loop: a TCP connection's descriptor is found, read, written and half-closed",
  ignore,
  async fn() {
    const l = loop!;
    const [a, b] = await tcpPair();
    const fd = l.findTcpFd(a.localAddr, a.remoteAddr);
    assert.ok(fd >= 0);
    // the other end of the pair is another descriptor
    assert.notEqual(l.findTcpFd(b.localAddr, b.remoteAddr), fd);
    // an address that is not ours, and IPv6, find nothing
    assert.equal(l.findTcpFd(a.localAddr, { ...a.remoteAddr, port: 1 }), -1);
    assert.equal(
      l.findTcpFd({ ...a.localAddr, hostname: "::1" }, a.remoteAddr),
      -1,
    );
    l.detach(fd);
    // a descriptor the loop owns is never handed out again, until it is released
    assert.equal(l.findTcpFd(a.localAddr, a.remoteAddr), -1);
    l.release(fd);
    assert.equal(l.findTcpFd(a.localAddr, a.remoteAddr), fd);
    l.detach(fd);
    const buf = new Uint8Array(64);
    assert.equal(l.read(fd, buf, buf.length), WOULD_BLOCK);
    assert.equal(l.send(fd, new TextEncoder().encode("ping"), 4), 4);
    const got = new Uint8Array(4);
    assert.equal(await b.read(got), 4);
    assert.equal(new TextDecoder().decode(got), "ping");
    await b.write(new TextEncoder().encode("pong"));
    let readable!: () => void;
    const ready = new Promise<void>((r) => readable = r);
    l.watch(fd, 1, () => {
      l.unwatch(fd);
      readable();
    });
    await ready;
    assert.equal(l.read(fd, buf, buf.length), 4);
    assert.equal(new TextDecoder().decode(buf.subarray(0, 4)), "pong");
    assert.equal(l.shutdownWrite(fd), 0);
    assert.equal(await b.read(got), null); // our FIN arrived
    b.close();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(l.read(fd, buf, buf.length), 0); // and theirs
    assert.ok(l.send(fd, buf, 1) < 0 || l.send(fd, buf, 1) < 0); // EPIPE, no SIGPIPE
    a.close(); // Deno closes a descriptor it no longer watches
    l.release(fd);
  },
});

/**
 * Starts `rx` keeping each datagram's first byte in `got`; `all` resolves once `n` arrived,
 * `loopDone` when the receive loop ends.
 */
function collect(
  rx: UdpEndpoint,
  n: number,
): { got: number[]; all: Promise<void>; loopDone: Promise<void> } {
  const got: number[] = [];
  let done!: () => void;
  const all = new Promise<void>((r) => done = r);
  const loopDone = rx.start((buf) => {
    got.push(buf[0]);
    if (got.length === n) done();
  });
  return { got, all, loopDone };
}

Deno.test({
  name: "native loop: a UDP endpoint receives through it, and closing ends the receive loop",
  ignore,
  async fn() {
    const rx = new UdpEndpoint("127.0.0.1", 0);
    const tx = new UdpEndpoint("127.0.0.1", 0);
    assert.equal(rx.ownLoop, true);
    const { got, all, loopDone } = collect(rx, 20);
    const wakes = loop!.wakes;
    for (let i = 0; i < 20; i++) tx.send(Uint8Array.of(i), 1, rx.addr);
    await tx.flushed();
    await all;
    assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i));
    assert.ok(loop!.wakes > wakes);
    assert.equal(rx.batchedReceives, 20);
    rx.close();
    tx.close();
    await loopDone;
  },
});

Deno.test("coalesceMs: 1/10 of the RTT, at most 8 ms, only for a receiver that gathers two datagrams a sleep", () => {
  // no RTT sample yet: never
  assert.equal(coalesceMs(0, 10), 0);
  // loopback and LAN paths (RTT under 10 ms): never
  assert.equal(coalesceMs(9.9, 100), 0);
  assert.equal(coalesceMs(10, 2), 1);
  // the clean profile (RTT ≈ 22 ms, ≈ 8 datagrams per ms) and the 2 % one (≈ 45 ms, 3.8/ms)
  assert.equal(coalesceMs(22, 8), 2);
  assert.equal(coalesceMs(45, 3.8), 4);
  assert.equal(coalesceMs(35, 1), 3);
  // the bursty profile (≈ 90 ms, 1.2/ms); capped at COALESCE_MAX_MS
  assert.equal(coalesceMs(90, 1.2), 8);
  assert.equal(coalesceMs(130, 0.8), COALESCE_MAX_MS);
  assert.equal(coalesceMs(1000, 1), COALESCE_MAX_MS);
  // the sending end, which gets a few ACKs, and an interactive stream do not wait
  assert.equal(coalesceMs(90, 0.05), 0);
  assert.equal(coalesceMs(90, 0.24), 0);
  assert.equal(coalesceMs(90, 0.25), 8);
  assert.equal(coalesceMs(25, 0.99), 0);
  assert.equal(coalesceMs(NaN, 5), 0);
});

Deno.test({
  name:
    "native loop: the coalescing sleep in force is the least any session asks, 0 once none asks",
  ignore,
  fn() {
    const l = loop!;
    assert.equal(l.coalescing, 0);
    l.coalesce(-1, 3);
    assert.equal(l.coalescing, 3);
    l.coalesce(-1, 2);
    assert.equal(l.coalescing, 2);
    // a session on a fast path (asking 0) turns it off for all
    l.coalesce(-1, 0);
    assert.equal(l.coalescing, 0);
    l.coalesce(0, 4);
    assert.equal(l.coalescing, 2);
    l.coalesce(2, -1);
    assert.equal(l.coalescing, 3);
    l.coalesce(3, -1);
    assert.equal(l.coalescing, 4);
    l.coalesce(4, -1);
    assert.equal(l.coalescing, 0);
  },
});

Deno.test({
  name:
    "native loop: with coalescing in force, a wake-up that read datagrams is followed by a sleep",
  ignore,
  async fn() {
    const l = loop!;
    const tx = new UdpEndpoint("127.0.0.1", 0);
    const run = async (ms: number): Promise<number> => {
      const rx = new UdpEndpoint("127.0.0.1", 0);
      const { got, all, loopDone } = collect(rx, 10);
      l.coalesce(-1, ms);
      // a session always has a timer; without one the loop waits on a worker instead
      const keep = l.timer(performance.now() + 1000, () => {});
      const before = l.coalesced;
      for (let i = 0; i < 10; i++) tx.send(Uint8Array.of(i), 1, rx.addr);
      await tx.flushed();
      await all;
      await new Promise((r) => setTimeout(r, 20));
      const slept = l.coalesced - before;
      keep.cancel();
      l.coalesce(ms, -1);
      assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => i));
      rx.close();
      await loopDone;
      return slept;
    };
    assert.equal(await run(0), 0);
    assert.ok(await run(2) >= 1);
    assert.equal(l.coalescing, 0);
    tx.close();
  },
});

Deno.test({
  name: "native loop: turnNow reads the clock once per turn and again in the next turn",
  ignore,
  async fn() {
    const l = loop!;
    const seen: number[][] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => done = r);
    const t0 = performance.now();
    // two timers due in the same turn, then one in a later turn
    const both = () => {
      const a = NativeLoop.turnNow();
      while (performance.now() - a < 2) { /* let the real clock move on */ }
      seen.push([a, NativeLoop.turnNow(), performance.now()]);
    };
    l.timer(t0, both);
    l.timer(t0, both);
    l.timer(t0 + 15, () => {
      seen.push([NativeLoop.turnNow()]);
      done();
    });
    await finished;
    assert.equal(seen.length, 3);
    const [[a1, b1, real1], [a2, b2], [c]] = seen;
    assert.equal(a1, b1, "the same value within a turn");
    assert.equal(a2, a1, "the second timer of the turn sees the first one's clock");
    assert.equal(b2, a1);
    assert.ok(real1 - a1 >= 2, "while the real clock moved on");
    assert.ok(c >= t0 + 15, "a later turn reads the clock again");
    assert.equal(NativeLoop.inside, false);
    await new Promise((r) => setTimeout(r, 5));
  },
});
