/**
 * Helpers of the snappy tests and benches only (not part of the library): the testdata files,
 * the Go generator's inputs and random chunkings. Shared ones are in tests/_helpers.
 *
 * @module
 */

import { XorShift32 } from "../_helpers/rng.ts";
import { loadJson } from "../_helpers/vectors.ts";

/** Parses a JSON file under tests/snappy/testdata/. */
// deno-lint-ignore no-explicit-any
export function loadTestdata(name: string): any {
  return loadJson(new URL(`./testdata/${name}`, import.meta.url));
}

/** Rebuilds an input of go_snappy_cases.json (recipe in gen_go_snappy.go). */
export function makeInput(kind: string, seed: number, length: number, param: number): Uint8Array {
  const r = new XorShift32(seed);
  const out = new Uint8Array(length);
  if (kind === "random") {
    for (let i = 0; i < length; i++) out[i] = r.next() & 0xff;
  } else if (kind === "alphabet") {
    for (let i = 0; i < length; i++) out[i] = 97 + (r.next() % param);
  } else if (kind === "lz") {
    let i = 0;
    while (i < length) {
      const x = r.next();
      if (i < 4 || x % 4 === 0) {
        const n = 1 + (r.next() % 32);
        for (let j = 0; j < n && i < length; j++) out[i++] = r.next() & 0xff;
      } else {
        const off = 1 + (r.next() % Math.min(i, param));
        let n = 4 + (r.next() % 200);
        if (x % 16 === 1) n = 4 + (r.next() % 3000); // a second draw, as the Go generator does
        for (let j = 0; j < n && i < length; j++, i++) out[i] = out[i - off];
      }
    }
  } else {
    throw new TypeError(`Unknown input kind "${kind}"`);
  }
  return out;
}

/** Splits `data` into pieces of random lengths 0..maxPiece (seeded). */
export function randomChunks(data: Uint8Array, rng: XorShift32, maxPiece: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  for (const n of rng.pieceSizes(data.length, maxPiece)) {
    out.push(data.subarray(p, p + n));
    p += n;
  }
  return out;
}
