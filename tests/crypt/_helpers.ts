/**
 * Helpers of the crypt tests only: the OpenSSL fixtures and scripted random sources. Shared
 * ones (hex, vectors, seeded generators) are in tests/_helpers.
 *
 * @module
 */

import { loadJson } from "../_helpers/vectors.ts";

/** Reads a JSON file from tests/crypt/fixtures. */
export function loadFixture<T = unknown>(name: string): T {
  return loadJson<T>(new URL(`./fixtures/${name}`, import.meta.url));
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
