/**
 * Shared helpers for the crypt tests: hex, vector loading, a seeded PRNG and scripted random
 * sources.
 *
 * @module
 */

/** Parses lowercase/uppercase hex (no separators) into bytes. */
export function hex(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new RangeError(`Odd-length hex string: ${s.length}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lowercase hex of the bytes. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

/** Reads a JSON file from tests/vectors (e.g. `"crypt.json"`, `"latest/gcm.json"`). */
export function loadVector<T = unknown>(name: string): T {
  const url = new URL(`../vectors/${name}`, import.meta.url);
  return JSON.parse(Deno.readTextFileSync(url)) as T;
}

/** Reads a JSON file from tests/crypt/fixtures. */
export function loadFixture<T = unknown>(name: string): T {
  const url = new URL(`./fixtures/${name}`, import.meta.url);
  return JSON.parse(Deno.readTextFileSync(url)) as T;
}

/** A small deterministic PRNG (xorshift128) for fuzz-style tests. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = seed | 0 || 1;
    this.#b = 0x9e3779b9;
    this.#c = 0x243f6a88;
    this.#d = 0xb7e15162;
    for (let i = 0; i < 16; i++) this.u32();
  }

  /** Next uint32. */
  u32(): number {
    let t = this.#d;
    const s = this.#a;
    this.#d = this.#c;
    this.#c = this.#b;
    this.#b = s;
    t ^= t << 11;
    t ^= t >>> 8;
    this.#a = t ^ s ^ (s >>> 19);
    return this.#a >>> 0;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }

  /** Fills `dst` with pseudo-random bytes. */
  fill(dst: Uint8Array): void {
    for (let i = 0; i < dst.length; i++) dst[i] = this.u32() & 0xff;
  }

  /** `n` pseudo-random bytes. */
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    this.fill(b);
    return b;
  }
}

/**
 * A random source that replays `stream` (then zeros) across successive fills, whatever size
 * each fill asks for: lets a test choose exactly which nonces a PacketCrypt will use.
 */
export function scriptedRandom(stream: Uint8Array): (dst: Uint8Array) => void {
  let pos = 0;
  return (dst) => {
    for (let i = 0; i < dst.length; i++) dst[i] = pos < stream.length ? stream[pos++] : 0;
  };
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
