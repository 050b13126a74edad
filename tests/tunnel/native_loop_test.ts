import assert from "node:assert/strict";
import { enableNativeLoop, NativeLoop, WOULD_BLOCK } from "../../lib/tunnel/_native_loop.ts";
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

Deno.test({
  name: "native loop: a UDP endpoint receives through it, and closing ends the receive loop",
  ignore,
  async fn() {
    const rx = new UdpEndpoint("127.0.0.1", 0);
    const tx = new UdpEndpoint("127.0.0.1", 0);
    assert.equal(rx.ownLoop, true);
    const got: number[] = [];
    let done!: () => void;
    const all = new Promise<void>((r) => done = r);
    const loopDone = rx.start((buf) => {
      got.push(buf[0]);
      if (got.length === 20) done();
    });
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
