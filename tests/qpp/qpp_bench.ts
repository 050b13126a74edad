/**
 * QPP throughput and key-setup cost. MB/s = bytes per iteration / time per iteration.
 */
import { Qpp } from "../../lib/qpp/qpp.ts";
import { counterStream } from "./_helpers.ts";

const key = new TextEncoder().encode("it's a secrect");
const qpp = new Qpp(key, 61);

for (const size of [65536, 8192, 1400]) {
  const data = counterStream("bench", size);
  const w = qpp.createPrng();
  const r = qpp.createPrng();
  Deno.bench(`encrypt ${size} B`, { group: `${size} B` }, () => {
    qpp.encrypt(data, w);
  });
  Deno.bench(`decrypt ${size} B`, { group: `${size} B` }, () => {
    qpp.decrypt(data, r);
  });
}

const odd = counterStream("bench-odd", 8192);
Deno.bench("encrypt 8192 B in 1021-byte calls (unaligned heads and tails)", () => {
  const data = odd;
  const w = qpp.createPrng();
  for (let p = 0; p < 8192; p += 1021) qpp.encrypt(data, w, p, Math.min(p + 1021, 8192));
});

Deno.bench("new Qpp(key, 61): pad generation", { group: "setup", baseline: true }, () => {
  new Qpp(key, 61);
});
Deno.bench("new Qpp(key, 61, { legacy: true })", { group: "setup" }, () => {
  new Qpp(key, 61, { legacy: true });
});
Deno.bench("new Qpp(key, 7)", { group: "setup" }, () => {
  new Qpp(key, 7);
});
Deno.bench("createPrng() (per stream direction)", () => {
  qpp.createPrng();
});
