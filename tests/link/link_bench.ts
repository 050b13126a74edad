import { LINK_PROFILES, LinkDirection, type LinkProfile } from "../../lib/link/link.ts";

const packet = new Uint8Array(1200);
let delivered = 0;
const sink = (p: Uint8Array) => {
  delivered += p.length;
};

function bench(name: string, profile: LinkProfile, intervalMs: number): void {
  const link = new LinkDirection(profile, 1);
  let now = 0;
  Deno.bench(`${name}: send + deliver 1000 × 1200 B`, { group: "link" }, () => {
    for (let i = 0; i < 1000; i++) {
      link.send(packet, now);
      link.deliver(now, sink);
      now += intervalMs;
    }
  });
}

bench("loopback", LINK_PROFILES.loopback, 0.01);
bench("clean-100m-20ms", LINK_PROFILES["clean-100m-20ms"], 0.1);
bench("lossy-50m-40ms-2pct", LINK_PROFILES["lossy-50m-40ms-2pct"], 0.2);
bench("jitter-10m-120ms-5pct", LINK_PROFILES["jitter-10m-120ms-5pct"], 1);
bench("chaos-10m-60ms", LINK_PROFILES["chaos-10m-60ms"], 1);

globalThis.addEventListener("unload", () => {
  if (delivered < 0) console.log(delivered);
});
