import assert from "node:assert/strict";
import { createBlockCrypt, CRYPT_METHODS } from "../../lib/crypt/block_crypt.ts";
import { fromHex, toHex } from "../_helpers/bytes.ts";
import { XorShift128 } from "../_helpers/rng.ts";
import { loadVector } from "../_helpers/vectors.ts";
import { loadFixture } from "./_helpers.ts";

interface CryptVectors {
  pass: string;
  cfb_iv_16: string;
  ciphers: {
    name: string;
    mode: string;
    key: string;
    block_size?: number;
    xor_table?: string;
    vectors: { length: number; plaintext: string; ciphertext: string }[];
  }[];
}

const vectors = loadVector<CryptVectors>("crypt.json");
const pass = fromHex(vectors.pass);

Deno.test("CRYPT_METHODS lists kcptun's 15 crypt names in help order and is frozen", () => {
  assert.deepEqual(
    [...CRYPT_METHODS],
    "aes aes-128 aes-192 salsa20 blowfish twofish cast5 3des tea xtea xor sm4 none null aes-128-gcm"
      .split(" "),
  );
  assert.ok(Object.isFrozen(CRYPT_METHODS));
});

Deno.test("crypt.json covers all 13 BlockCrypt methods with 10 lengths each", () => {
  const names = vectors.ciphers.map((c) => c.name).sort();
  const expected = CRYPT_METHODS.filter((m) => m !== "null" && m !== "aes-128-gcm").sort();
  assert.deepEqual(names, expected);
  for (const c of vectors.ciphers) assert.equal(c.vectors.length, 10);
});

for (const cipher of vectors.ciphers) {
  Deno.test(`${cipher.name}: every crypt.json vector, encrypt and decrypt, whole buffer`, () => {
    const crypt = createBlockCrypt(cipher.name, pass);
    for (const v of cipher.vectors) {
      const buf = fromHex(v.plaintext);
      assert.equal(buf.length, v.length);
      crypt.encrypt(buf);
      assert.equal(toHex(buf), v.ciphertext, `${cipher.name} encrypt, length ${v.length}`);
      crypt.decrypt(buf);
      assert.equal(toHex(buf), v.plaintext, `${cipher.name} decrypt, length ${v.length}`);
    }
    // Same again in reverse order and with fresh buffers for decrypt-first: no state leaks
    // between calls (the native AES path keeps a CBC register across calls).
    for (const v of [...cipher.vectors].reverse()) {
      const buf = fromHex(v.ciphertext);
      crypt.decrypt(buf);
      assert.equal(toHex(buf), v.plaintext);
      crypt.encrypt(buf);
      assert.equal(toHex(buf), v.ciphertext);
    }
  });
}

Deno.test("block crypts work on subarray views at odd offsets", () => {
  for (const cipher of vectors.ciphers) {
    const crypt = createBlockCrypt(cipher.name, pass);
    const v = cipher.vectors.find((x) => x.length === 1350)!;
    const backing = new Uint8Array(v.length + 7);
    const view = backing.subarray(3, 3 + v.length);
    view.set(fromHex(v.plaintext));
    crypt.encrypt(view);
    assert.equal(toHex(view), v.ciphertext, cipher.name);
    assert.deepEqual(backing.subarray(0, 3), new Uint8Array(3));
    assert.deepEqual(backing.subarray(3 + v.length), new Uint8Array(4));
    crypt.decrypt(view);
    assert.equal(toHex(view), v.plaintext, cipher.name);
  }
});

Deno.test("§11.2 table: the 49-byte doc datagram under every crypt", () => {
  const plain = fromHex(
    "000102030405060708090a0b0c0d0e0f4b318e20" +
      "4433221151000002e803000000000000000000000500000068656c6c6f",
  );
  const table: Record<string, string> = {
    aes:
      "86834343335b168ca911bf584a05f990553cf3e97ca41e9e57af1310b5020b76f05313e305c5c9709df8d8783043a476c1",
    "aes-128":
      "ddd7e0a7981ba3e2a7f6d51f2a2663181e117477ae2beac29f44eb42bc8245bc9a792a9d428b8e1c91010dcb11b4bc05eb",
    "aes-192":
      "b9db59f7dd1bce4922855fb7f8f8e261ffb3e03e2346009d6d9e0c9d1f65d45dd357d183c6ecba7a2ddce7de3dbaafd73c",
    salsa20:
      "00010203040506079aaa6e7faf75365c1b84ea295c5dd04223935b0696fb8b556ae920fe8a2a13c168777caa1e890626de",
    blowfish:
      "186797305116055ece6531b898c4b23577e7d91051ee774ccf556bb1a5008c89332fc383557e393aee252f0af77d998aec",
    twofish:
      "79a0668add94e7387471af7514bb1065595ad816859b56dd62bf5fd143ea01f70d39a8c7553133785b6337d606dc2ba887",
    cast5:
      "bb8f8d2209e0131c7d027b3e28d6b457d3995bab8c7d11fa487555464f0fde8ecd06bed9a4af80316768427236c0ae565c",
    "3des":
      "5dca5d4fac8f6accf083365ae9eb528a7fe61bac86fcda141cc61e25e2b4bf65fd51f706180f6c103f1bae528097eb3f35",
    tea:
      "fc9c4eb4a8e9502bde3d3c8b0679084dcd1b5a8c9a46af1d831d83ebd4a286440327f007c4e03987bb67b7180f817c81ee",
    xtea:
      "09256989438dfb5af0f2a323dfd1ac2cc1d7ddffc4e9b7f86b449b0e6d37fd86040857a30024bc07366ed7c856ba269840",
    sm4:
      "0340e44fd923bb2259e375a7ab6ee54db29c3c50fc0e6db2f6c940938ec492e1a6343034a3f0da492b7a890abfdf511e36",
    xor:
      "0fff8b84a99173765c7011c3f60cb82320ff8f26f6a662029c523fbef779ac8cf0af663f479b134e20a0d0f7f64a566e80",
    none: toHex(plain),
  };
  for (const [name, expected] of Object.entries(table)) {
    const buf = plain.slice();
    createBlockCrypt(name, pass).encrypt(buf);
    assert.equal(toHex(buf), expected, name);
  }
});

Deno.test("xor crypt's pad equals crypt.json xor_table (PBKDF2 over pass, 1500 bytes)", () => {
  const xor = vectors.ciphers.find((c) => c.name === "xor")!;
  const pad = fromHex(xor.xor_table!);
  assert.equal(pad.length, 1500);
  const buf = new Uint8Array(1500);
  createBlockCrypt("xor", pass).encrypt(buf);
  assert.deepEqual(buf, pad);
  // Bytes past the 1500-byte pad are left alone, as kcp-go's xor.Bytes does.
  const long = new Uint8Array(1600).fill(0x5a);
  createBlockCrypt("xor", pass).encrypt(long);
  assert.deepEqual(long.subarray(1500), new Uint8Array(100).fill(0x5a));
});

Deno.test("salsa20 leaves bytes [0,8) in clear and tolerates buffers of 8 bytes or fewer", () => {
  const crypt = createBlockCrypt("salsa20", pass);
  const buf = Uint8Array.from({ length: 40 }, (_, i) => i);
  crypt.encrypt(buf);
  assert.deepEqual(buf.subarray(0, 8), Uint8Array.from({ length: 8 }, (_, i) => i));
  for (const n of [0, 1, 8]) {
    const small = new Uint8Array(n).fill(9);
    crypt.encrypt(small);
    assert.deepEqual(small, new Uint8Array(n).fill(9));
  }
});

Deno.test("empty buffers are a no-op for every method", () => {
  for (const c of vectors.ciphers) {
    const crypt = createBlockCrypt(c.name, pass);
    crypt.encrypt(new Uint8Array(0));
    crypt.decrypt(new Uint8Array(0));
  }
});

interface OpensslFixture {
  iv: string;
  ciphers: {
    name: string;
    openssl: string;
    cases: { key: string; plaintext: string; ciphertext: string }[];
  }[];
}

Deno.test("CFB ciphers match OpenSSL's *-cfb with random keys (fixtures/openssl_cfb.json)", () => {
  const fixture = loadFixture<OpensslFixture>("openssl_cfb.json");
  assert.equal(fixture.iv, vectors.cfb_iv_16);
  let checked = 0;
  for (const cipher of fixture.ciphers) {
    for (const c of cipher.cases) {
      // Put the random key where kcptun's slicing takes it from: the front of a 32-byte pass.
      const fakePass = new Uint8Array(32);
      fakePass.set(fromHex(c.key));
      const crypt = createBlockCrypt(cipher.name, fakePass);
      const buf = fromHex(c.plaintext);
      crypt.encrypt(buf);
      assert.equal(toHex(buf), c.ciphertext, `${cipher.openssl} length ${buf.length}`);
      crypt.decrypt(buf);
      assert.equal(toHex(buf), c.plaintext);
      checked++;
    }
  }
  assert.equal(checked, 70);
});

Deno.test("every method round-trips random buffers of random lengths (seeded)", () => {
  const rng = new XorShift128(20240607);
  for (const c of vectors.ciphers) {
    const key = rng.bytes(32);
    const a = createBlockCrypt(c.name, key);
    const b = createBlockCrypt(c.name, key);
    for (let i = 0; i < 200; i++) {
      const plain = rng.bytes(rng.int(1501));
      const buf = plain.slice();
      a.encrypt(buf);
      if (c.name !== "none" && plain.length > 8) assert.notDeepEqual(buf, plain, c.name);
      // A different instance (fresh state) decrypts what this one encrypted.
      b.decrypt(buf);
      assert.deepEqual(buf, plain, `${c.name} length ${plain.length}`);
    }
  }
});

Deno.test("createBlockCrypt rejects null, aes-128-gcm, unknown names and bad passes", () => {
  assert.throws(() => createBlockCrypt("null", pass), {
    name: "RangeError",
    message: 'Crypt "null" has no block crypt; use createPacketCrypt',
  });
  assert.throws(() => createBlockCrypt("aes-128-gcm", pass), RangeError);
  assert.throws(() => createBlockCrypt("rot13", pass), {
    name: "RangeError",
    message: /^Unknown crypt "rot13", expected one of aes, aes-128/,
  });
  assert.throws(() => createBlockCrypt("AES", pass), RangeError);
  assert.throws(() => createBlockCrypt("aes", pass.subarray(0, 16)), {
    name: "RangeError",
    message: "Pass must be 32 bytes (see deriveKey), got 16",
  });
  assert.throws(() => createBlockCrypt("aes", "key" as unknown as Uint8Array), TypeError);
});
