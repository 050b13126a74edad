import assert from "node:assert/strict";
import { UdpEndpoint } from "../../lib/tunnel/udp.ts";
import { socketBuffers } from "../../lib/tunnel/sockbuf.ts";

const LINUX = Deno.build.os === "linux";
if (!LINUX) console.warn("SKIPPING sockbuf test: --sockbuf is applied on Linux only");

Deno.test({
  name: "sockbuf: --sockbuf sizes the UDP socket's kernel buffers (Linux, via libc)",
  ignore: !LINUX,
  fn() {
    const plain = new UdpEndpoint("127.0.0.1", 0);
    const big = new UdpEndpoint("127.0.0.1", 0, 3 * 1024 * 1024);
    try {
      assert.equal(big.sockbufError, undefined);
      const b = socketBuffers(big.addr.port);
      const p = socketBuffers(plain.addr.port);
      assert.ok(typeof b === "object" && typeof p === "object");
      // Linux reports twice the requested size (bookkeeping overhead)
      assert.equal(b.rcv, 6 * 1024 * 1024);
      assert.equal(b.snd, 6 * 1024 * 1024);
      assert.ok(p.rcv < b.rcv);
      assert.equal(socketBuffers(1), "no UDP socket on port 1");
    } finally {
      plain.close();
      big.close();
    }
  },
});
