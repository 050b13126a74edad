/**
 * Packet crypto throughput: seal and open of 1350-byte datagrams (kcptun's default MTU) for
 * every method, plus the measurements behind the implementation choices. MB/s = 1350 bytes /
 * time per iteration (the open benches include a 1350-byte copy to restore the datagram; see
 * the "copy" baseline).
 */
import { createCipheriv } from "node:crypto";
import { createPacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { CRYPT_METHODS } from "../../lib/crypt/block_crypt.ts";
import { deriveKey } from "../../lib/crypt/kdf.ts";
import { crc32, crc32Backend } from "../../lib/crypt/crc32.ts";
import { createCrc32 } from "../../lib/checksum/crc.ts";
import { CFB_IV, CfbCrypt } from "../../lib/crypt/_cfb.ts";
import { SoftAes } from "../../lib/crypt/_aes_soft.ts";
import { NativeAesCfb } from "../../lib/crypt/_aes_native.ts";
import { TripleDes } from "../../lib/crypt/_des.ts";
import { XorShift128 } from "../_helpers/rng.ts";

const DATAGRAM = 1350;
const pass = deriveKey("it's a secrect");
const rng = new XorShift128(42);
const random = (dst: Uint8Array) => rng.fill(dst);

const source = rng.bytes(DATAGRAM);
const scratch = new Uint8Array(DATAGRAM);
Deno.bench("copy 1350B (baseline for open)", { group: "baseline" }, () => {
  scratch.set(source);
});

Deno.bench(`crc32 1330B (${crc32Backend()}, what the crypts use)`, { group: "baseline" }, () => {
  crc32(source, 20, DATAGRAM);
});

const crcLoop = createCrc32(0xedb88320);
Deno.bench("crc32 1330B (JavaScript slicing-by-16)", { group: "baseline" }, () => {
  crcLoop(source, 20, DATAGRAM);
});

for (const method of CRYPT_METHODS) {
  const sender = createPacketCrypt(method, pass, random);
  const receiver = createPacketCrypt(method, pass, random);
  const payloadLen = DATAGRAM - sender.headerSize - sender.trailerSize;
  const sealBuf = new Uint8Array(DATAGRAM);
  rng.fill(sealBuf);
  const datagram = new Uint8Array(DATAGRAM);
  datagram.set(sealBuf);
  const n = sender.seal(datagram, payloadLen);
  const openBuf = new Uint8Array(DATAGRAM);

  Deno.bench(`${method} seal 1350B`, { group: "seal" }, () => {
    sender.seal(sealBuf, payloadLen);
  });
  Deno.bench(`${method} open 1350B`, { group: "open" }, () => {
    openBuf.set(datagram);
    if (receiver.open(openBuf, n) !== payloadLen) throw new Error("open failed");
  });
}

// --- Why AES encryption uses a long-lived CBC object (register tracking) ---------------------
const key32 = pass;
const key24 = pass.subarray(0, 24);
const buf = rng.bytes(DATAGRAM);
const nativeAes256 = new NativeAesCfb(key32);
const zeroIv = new Uint8Array(16);

Deno.bench("aes-256 CFB encrypt: long-lived CBC, register tracked", { group: "aes-enc" }, () => {
  nativeAes256.encrypt(buf);
});
Deno.bench("aes-256 CFB encrypt: createCipheriv(cbc) per packet", { group: "aes-enc" }, () => {
  const first = new Uint8Array(16);
  const cbc = createCipheriv("aes-256-cbc", key32, zeroIv).setAutoPadding(false);
  // Same work as the native path: keystream = CBC(IV ‖ P_0..P_{m-2}).
  const input = new Uint8Array(1344 + 16);
  input.set(CFB_IV);
  input.set(buf.subarray(0, 1344), 16);
  const ks = cbc.update(input);
  first.set(ks.subarray(0, 16));
  for (let i = 0; i < DATAGRAM; i++) buf[i] ^= ks[i];
});
const softAes256 = new CfbCrypt(new SoftAes(key32));
Deno.bench("aes-256 CFB encrypt: JavaScript AES", { group: "aes-enc" }, () => {
  softAes256.encrypt(buf);
});

// --- aes-192 encryption: Deno has no aes-192-cbc ---------------------------------------------
const softAes192 = new CfbCrypt(new SoftAes(key24));
Deno.bench("aes-192 CFB encrypt: JavaScript AES (used)", { group: "aes-192-enc" }, () => {
  softAes192.encrypt(buf);
});
const ecb192 = createCipheriv("aes-192-ecb", key24, null).setAutoPadding(false);
Deno.bench("aes-192 CFB encrypt: native ECB, one call per block", { group: "aes-192-enc" }, () => {
  let t = ecb192.update(CFB_IV);
  let off = 0;
  for (; off + 16 <= DATAGRAM; off += 16) {
    for (let j = 0; j < 16; j++) buf[off + j] ^= t[j];
    t = ecb192.update(buf.subarray(off, off + 16));
  }
  for (let j = 0; off + j < DATAGRAM; j++) buf[off + j] ^= t[j];
});

// --- 3des: JavaScript vs Deno's native des-ede3-cbc ------------------------------------------
const tdesJs = new CfbCrypt(new TripleDes(key24));
Deno.bench("3des CFB encrypt: JavaScript DES (used)", { group: "3des-enc" }, () => {
  tdesJs.encrypt(buf);
});
const tdesCbc = createCipheriv("des-ede3-cbc", key24, new Uint8Array(8)).setAutoPadding(false);
Deno.bench("3des CBC 1344B: native des-ede3-cbc update", { group: "3des-enc" }, () => {
  tdesCbc.update(buf.subarray(0, 1344));
});
