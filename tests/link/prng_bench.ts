import { Prng } from "../../lib/link/prng.ts";

const prng = new Prng(1);
const buf = new Uint8Array(1400);
let sink = 0;

Deno.bench("Prng.next ×1000", () => {
  for (let i = 0; i < 1000; i++) sink ^= prng.next();
});

Deno.bench("Prng.float ×1000", () => {
  for (let i = 0; i < 1000; i++) sink += prng.float();
});

Deno.bench("Prng.fill 1400 B", () => {
  prng.fill(buf);
  sink ^= buf[0];
});

globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
