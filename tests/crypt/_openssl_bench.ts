// OpenSSL (FFI) against node:crypto per 1344-byte datagram: AES-256-CFB both ways and
// AES-128-GCM seal/open. Run: deno bench -A tests/crypt/_openssl_bench.ts

import { NativeAesCfb } from "../../lib/crypt/_aes_native.ts";
import { GcmPacketCrypt } from "../../lib/crypt/_gcm.ts";
import { loadOpenSsl } from "../../lib/crypt/_openssl.ts";
import { deriveKey } from "../../lib/crypt/kdf.ts";
import { Prng } from "../../lib/link/prng.ts";

const LEN = 1344;
const key = deriveKey("bench");
const buf = new Uint8Array(2048);
new Prng(1).fill(buf);
const random = (dst: Uint8Array) => new Prng(2).fill(dst);
const ignore = loadOpenSsl() === undefined;

for (const backend of ["openssl", "node:crypto"] as const) {
  const skip = ignore && backend === "openssl";
  const cfb = skip ? undefined : new NativeAesCfb(key, backend);
  Deno.bench({
    name: `aes-256-cfb encrypt ${backend}`,
    group: "cfb encrypt",
    baseline: backend === "openssl",
    ignore: skip,
    fn: () => cfb!.encrypt(buf, LEN),
  });
  Deno.bench({
    name: `aes-256-cfb decrypt ${backend}`,
    group: "cfb decrypt",
    baseline: backend === "openssl",
    ignore: skip,
    fn: () => cfb!.decrypt(buf, LEN),
  });
  const gcm = skip ? undefined : new GcmPacketCrypt(key, random, backend);
  const sealed = new Uint8Array(12 + LEN + 16);
  gcm?.seal(sealed, LEN);
  const work = new Uint8Array(sealed.length);
  Deno.bench({
    name: `aes-128-gcm seal ${backend}`,
    group: "gcm seal",
    baseline: backend === "openssl",
    ignore: skip,
    fn: () => void gcm!.seal(work, LEN),
  });
  Deno.bench({
    name: `aes-128-gcm open ${backend}`,
    group: "gcm open",
    baseline: backend === "openssl",
    ignore: skip,
    fn: () => {
      work.set(sealed);
      if (gcm!.open(work, work.length) !== LEN) throw new Error("open failed");
    },
  });
}
