/** Shared helpers for the snappy tests and benches (not part of the library). */

import { createHash } from "node:crypto";

/** Lowercase hex of `b`. */
export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Bytes of a hex string. */
export function unhex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

/** SHA-256 of `b` as hex. */
export function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/** Parses a JSON vector file under tests/vectors/. */
// deno-lint-ignore no-explicit-any
export function loadVector(name: string): any {
  return JSON.parse(Deno.readTextFileSync(new URL(`../vectors/${name}`, import.meta.url)));
}

/** Parses a JSON file under tests/snappy/testdata/. */
// deno-lint-ignore no-explicit-any
export function loadTestdata(name: string): any {
  return JSON.parse(Deno.readTextFileSync(new URL(`./testdata/${name}`, import.meta.url)));
}

/** xorshift32, the generator gen_go_snappy.go uses; also drives seeded test choices. */
export class XorShift32 {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }
  /** Next uint32. */
  next(): number {
    let s = this.#s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.#s = s >>> 0;
    return this.#s;
  }
  /** Uniform-ish integer in [0, n). */
  below(n: number): number {
    return this.next() % n;
  }
  /** `n` pseudo-random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
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
  while (p < data.length) {
    const n = Math.min(rng.below(maxPiece + 1), data.length - p);
    out.push(data.subarray(p, p + n));
    p += n;
  }
  return out;
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
