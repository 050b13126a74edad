// The OpenSSL (FFI) backend against the node:crypto one: same bytes for AES-CFB in every key
// size and for AES-128-GCM datagrams, same rejection of bad datagrams, never a throw.

import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { Prng } from "../../lib/link/prng.ts";
import { EvpCipher, loadOpenSsl } from "../../lib/crypt/_openssl.ts";
import { NativeAesCfb } from "../../lib/crypt/_aes_native.ts";
import { GcmPacketCrypt } from "../../lib/crypt/_gcm.ts";
import { CfbCrypt } from "../../lib/crypt/_cfb.ts";
import { SoftAes } from "../../lib/crypt/_aes_soft.ts";
import { createPacketCrypt } from "../../lib/crypt/packet_crypt.ts";
import { deriveKey } from "../../lib/crypt/kdf.ts";

const ignore = loadOpenSsl() === undefined;

function bytes(rng: Prng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  rng.fill(b);
  return b;
}

/** A seeded nonce source: two crypts given equal seeds draw equal nonces. */
function seeded(seed: number): (dst: Uint8Array) => void {
  const rng = new Prng(seed);
  return (dst) => rng.fill(dst);
}

Deno.test({
  name: "OpenSSL is picked by default where it loads, and can be refused",
  ignore,
  fn() {
    const key = new Uint8Array(32).fill(1);
    assert.equal(new NativeAesCfb(key).backend, "openssl");
    assert.equal(new NativeAesCfb(key, "node:crypto").backend, "node:crypto");
    assert.equal(EvpCipher.create("no-such-cipher", key, null, true), undefined);
  },
});

Deno.test({
  name: "AES-CFB: OpenSSL, node:crypto and the JavaScript CFB loop agree for every key size",
  ignore,
  fn() {
    const rng = new Prng(4242);
    for (const keyLen of [16, 24, 32]) {
      const key = bytes(rng, keyLen);
      const ossl = new NativeAesCfb(key, "openssl");
      const node = new NativeAesCfb(key, "node:crypto");
      const soft = new CfbCrypt(new SoftAes(key));
      // every short length, then random ones including past the 2048-byte scratch buffer
      for (let i = 0; i < 300; i++) {
        const len = i < 48 ? i : i < 290 ? rng.int(1501) : 2048 + rng.int(3000);
        const plain = bytes(rng, len + 7);
        const a = plain.slice();
        const b = plain.slice();
        const c = plain.slice();
        ossl.encrypt(a, len);
        node.encrypt(b, len);
        soft.encrypt(c.subarray(0, len));
        assert.deepEqual(a, b, `AES-${keyLen * 8} encrypt length ${len}`);
        assert.deepEqual(a, c, `AES-${keyLen * 8} encrypt length ${len} (JS)`);
        ossl.decrypt(a, len);
        node.decrypt(b, len);
        assert.deepEqual(a, plain, `AES-${keyLen * 8} decrypt length ${len}`);
        assert.deepEqual(b, plain, `AES-${keyLen * 8} decrypt length ${len} (node)`);
      }
    }
  },
});

Deno.test({
  name: "AES-CFB through OpenSSL works on views at any offset and leaves bytes past len alone",
  ignore,
  fn() {
    const rng = new Prng(9);
    const key = bytes(rng, 32);
    const ossl = new NativeAesCfb(key, "openssl");
    const node = new NativeAesCfb(key, "node:crypto");
    const backing = bytes(rng, 4000);
    for (const [off, len] of [[1, 100], [3, 1350], [17, 33], [5, 16], [0, 1]]) {
      const a = backing.slice().subarray(off, off + len + 9);
      const b = a.slice();
      const tail = a.slice(len);
      ossl.encrypt(a, len);
      node.encrypt(b, len);
      assert.deepEqual(a, b);
      assert.deepEqual(a.subarray(len), tail);
      ossl.decrypt(a, len);
      assert.deepEqual(a.subarray(len), tail);
    }
  },
});

Deno.test({
  name: "AES-128-GCM: OpenSSL and node:crypto seal identical datagrams and open each other's",
  ignore,
  fn() {
    const rng = new Prng(77);
    const pass = deriveKey("gcm backends");
    const ossl = new GcmPacketCrypt(pass, seeded(5), "openssl");
    const node = new GcmPacketCrypt(pass, seeded(5), "node:crypto");
    for (let i = 0; i < 200; i++) {
      const len = i < 20 ? i : rng.int(1400);
      const buf = new Uint8Array(12 + len + 16);
      buf.set(bytes(rng, len), 12);
      const a = buf.slice();
      const b = buf.slice();
      assert.equal(ossl.seal(a, len), 12 + len + 16);
      assert.equal(node.seal(b, len), 12 + len + 16);
      assert.deepEqual(a, b, `sealed length ${len}`);
      // each opens the other's datagram
      assert.equal(node.open(a, a.length), len);
      assert.equal(ossl.open(b, b.length), len);
      assert.deepEqual(a.subarray(12, 12 + len), buf.subarray(12, 12 + len));
      assert.deepEqual(b.subarray(12, 12 + len), buf.subarray(12, 12 + len));
    }
    // and the node-sealed bytes equal a one-shot node:crypto GCM over the same nonce
    const buf = new Uint8Array(12 + 5 + 16);
    buf.set([1, 2, 3, 4, 5], 12);
    ossl.seal(buf, 5);
    const c = createCipheriv("aes-128-gcm", pass.subarray(0, 16), buf.subarray(0, 12));
    const ct = c.update(Uint8Array.of(1, 2, 3, 4, 5));
    c.final();
    assert.deepEqual(buf.subarray(12, 17), new Uint8Array(ct));
    assert.deepEqual(buf.subarray(17), new Uint8Array(c.getAuthTag()));
  },
});

Deno.test({
  name: "AES-128-GCM through OpenSSL rejects tampered, short and random datagrams, never throws",
  ignore,
  fn() {
    const rng = new Prng(31337);
    const pass = deriveKey("tamper");
    const gcm = new GcmPacketCrypt(pass, seeded(1), "openssl");
    const node = new GcmPacketCrypt(pass, seeded(1), "node:crypto");
    const sealed = new Uint8Array(12 + 200 + 16);
    sealed.set(bytes(rng, 200), 12);
    gcm.seal(sealed, 200);
    // one flipped bit anywhere: rejected by both, counted
    for (let bit = 0; bit < sealed.length * 8; bit += 37) {
      const a = sealed.slice();
      a[bit >>> 3] ^= 1 << (bit & 7);
      const before = gcm.checksumErrors;
      assert.equal(gcm.open(a, a.length), -1, `bit ${bit}`);
      assert.equal(gcm.checksumErrors, before + 1);
      const b = sealed.slice();
      b[bit >>> 3] ^= 1 << (bit & 7);
      assert.equal(node.open(b, b.length), -1);
    }
    // the intact datagram still opens after all those failures (the context recovers)
    assert.equal(gcm.open(sealed.slice(), sealed.length), 200);
    // truncated
    for (let n = 0; n < 28; n++) assert.equal(gcm.open(sealed.slice(), n), -1);
    assert.equal(gcm.shortPackets, 28);
    for (let n = 28; n < sealed.length; n += 11) assert.equal(gcm.open(sealed.slice(), n), -1);
    // oversized length and random junk
    assert.equal(gcm.open(sealed.slice(), sealed.length + 1), -1);
    for (let i = 0; i < 300; i++) {
      const junk = bytes(rng, rng.int(1600));
      assert.equal(gcm.open(junk, junk.length), -1);
    }
  },
});

Deno.test({
  name: "createPacketCrypt uses OpenSSL for aes-128-gcm and stays compatible with itself",
  ignore,
  fn() {
    const pass = deriveKey("roundtrip");
    const a = createPacketCrypt("aes-128-gcm", pass, seeded(2));
    const b = createPacketCrypt("aes-128-gcm", pass, seeded(3));
    const buf = new Uint8Array(12 + 1300 + 16);
    new Prng(8).fill(buf.subarray(12, 1312));
    const plain = buf.slice(12, 1312);
    const n = a.seal(buf, 1300);
    assert.equal(b.open(buf, n), 1300);
    assert.deepEqual(buf.subarray(12, 1312), plain);
  },
});
