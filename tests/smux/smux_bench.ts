// Throughput of write → input → read through two engines wired back to back (synchronous
// loopback, v2 UPDs flow back the same way). Each iteration moves 1 MiB on one stream.

import { SmuxSession } from "../../lib/smux/session.ts";
import { resolveSmuxConfig } from "../../lib/smux/config.ts";

const TOTAL = 1 << 20;

function setup(version: 1 | 2, maxFrameSize: number, chunk = 0) {
  const cfg = resolveSmuxConfig({ version, maxFrameSize });
  const c: SmuxSession = new SmuxSession(true, cfg, {
    output: (b) => {
      if (chunk === 0) return s.input(b, 0);
      // Delivered in KCP-MSS-sized pieces, as a transport would hand them over.
      for (let o = 0; o < b.length; o += chunk) s.input(b.subarray(o, o + chunk), 0);
    },
  }, 0);
  const s: SmuxSession = new SmuxSession(false, cfg, { output: (b) => c.input(b, 0) }, 0);
  const sid = c.openStream(0);
  const data = new Uint8Array(TOTAL).map((_, i) => (i * 31) & 0xff);
  const dst = new Uint8Array(65536);
  return () => {
    let sent = 0, got = 0;
    while (got < TOTAL) {
      if (sent < TOTAL) sent += c.write(sid, data.subarray(sent, sent + 65536), 0);
      for (;;) {
        const n = s.read(sid, dst, 0);
        if (n <= 0) break;
        got += n;
      }
    }
  };
}

const cases: [string, 1 | 2, number, number][] = [
  ["v1, 32 KiB frames", 1, 32768, 0],
  ["v2, 32 KiB frames", 2, 32768, 0],
  ["v1, 8 KiB frames", 1, 8192, 0],
  ["v2, 8 KiB frames", 2, 8192, 0],
  ["v2, 8 KiB frames, input in 1298-byte pieces", 2, 8192, 1298],
];

for (const [name, version, frame, chunk] of cases) {
  const run = setup(version, frame, chunk);
  Deno.bench({ name: `smux 1 MiB write+input+read: ${name}`, group: "smux", fn: run });
}
