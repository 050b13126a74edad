/**
 * SM4 (GB/T 32907-2016): 128-bit block and key, 32 rounds, forward direction only.
 *
 * @module
 */

import type { BlockCipher } from "./_cfb.ts";
import { readBE, writeBE } from "./_be.ts";

/** The SM4 S-box (GB/T 32907 Table 1), row-major, 2 hex digits per entry. */
const SBOX_HEX =
  "d690e9fecce13db716b614c228fb2c052b679a762abe04c3aa441326498606999c4250f491ef987a" +
  "33540b43edcfac62e4b31ca9c908e89580df94fa758f3fa64707a7fcf37317ba83593c19e6854fa8686b81b2" +
  "7164da8bf8eb0f4b70569d351e240e5e6358d1a225227c3b01217887d40046579fd327524c3602e7a0c4c89e" +
  "eabf8ad240c738b5a3f7f2cef96115a1e0ae5da49b341a55ad933230f58cb1e31df6e22e8266ca60c02923ab" +
  "0d534e6fd5db3745defd8e2f03ff6a726d6c5b518d1baf92bbddbc7f11d95c411f105ad80ac13188a5cd7bbd" +
  "2d74d012b8e5b4b08969974a0c96777e65b9f109c56ec68418f07dec3adc4d2079ee5f3ed7cb3948";

/** The system parameter FK. */
const FK = [0xa3b1bac6 | 0, 0x56aa3350, 0x677d9197, 0xb27022dc | 0];

const SBOX: Uint8Array = (() => {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = parseInt(SBOX_HEX.slice(i * 2, i * 2 + 2), 16);
  return s;
})();

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/**
 * Round function tables: `T[k * 256 + b]` = L(S[b] placed in byte k from the top), where L is
 * the encryption linear transform B ^ B<<<2 ^ B<<<10 ^ B<<<18 ^ B<<<24.
 */
const T: Int32Array = (() => {
  const t = new Int32Array(4 * 256);
  for (let b = 0; b < 256; b++) {
    const x = SBOX[b] << 24;
    const l = x ^ rotl(x, 2) ^ rotl(x, 10) ^ rotl(x, 18) ^ rotl(x, 24);
    for (let k = 0; k < 4; k++) t[k * 256 + b] = rotl(l, 32 - 8 * k);
  }
  return t;
})();

/** The key-schedule transform T'(x) = L'(tau(x)), L'(B) = B ^ B<<<13 ^ B<<<23. */
function keyT(x: number): number {
  const b = (SBOX[x >>> 24] << 24) | (SBOX[(x >>> 16) & 0xff] << 16) |
    (SBOX[(x >>> 8) & 0xff] << 8) | SBOX[x & 0xff];
  return b ^ rotl(b, 13) ^ rotl(b, 23);
}

/** SM4 with a 16-byte key (the `sm4` crypt takes pass[0:16]). */
export class Sm4 implements BlockCipher {
  readonly blockSize = 16;
  readonly #rk = new Int32Array(32);

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`SM4 key must be 16 bytes, got ${key.length}`);
    let k0 = readBE(key, 0) ^ FK[0];
    let k1 = readBE(key, 4) ^ FK[1];
    let k2 = readBE(key, 8) ^ FK[2];
    let k3 = readBE(key, 12) ^ FK[3];
    for (let i = 0; i < 32; i++) {
      // CK_i: byte j is (4i + j) * 7 mod 256.
      const ck = ((((4 * i) * 7) & 0xff) << 24) | ((((4 * i + 1) * 7) & 0xff) << 16) |
        ((((4 * i + 2) * 7) & 0xff) << 8) | (((4 * i + 3) * 7) & 0xff);
      const k4 = k0 ^ keyT(k1 ^ k2 ^ k3 ^ ck);
      this.#rk[i] = k4;
      k0 = k1;
      k1 = k2;
      k2 = k3;
      k3 = k4;
    }
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const rk = this.#rk;
    const t = T;
    let x0 = readBE(src, srcOff);
    let x1 = readBE(src, srcOff + 4);
    let x2 = readBE(src, srcOff + 8);
    let x3 = readBE(src, srcOff + 12);
    for (let i = 0; i < 32; i += 4) {
      let a = x1 ^ x2 ^ x3 ^ rk[i];
      x0 ^= t[a >>> 24] ^ t[256 + ((a >>> 16) & 0xff)] ^ t[512 + ((a >>> 8) & 0xff)] ^
        t[768 + (a & 0xff)];
      a = x2 ^ x3 ^ x0 ^ rk[i + 1];
      x1 ^= t[a >>> 24] ^ t[256 + ((a >>> 16) & 0xff)] ^ t[512 + ((a >>> 8) & 0xff)] ^
        t[768 + (a & 0xff)];
      a = x3 ^ x0 ^ x1 ^ rk[i + 2];
      x2 ^= t[a >>> 24] ^ t[256 + ((a >>> 16) & 0xff)] ^ t[512 + ((a >>> 8) & 0xff)] ^
        t[768 + (a & 0xff)];
      a = x0 ^ x1 ^ x2 ^ rk[i + 3];
      x3 ^= t[a >>> 24] ^ t[256 + ((a >>> 16) & 0xff)] ^ t[512 + ((a >>> 8) & 0xff)] ^
        t[768 + (a & 0xff)];
    }
    writeBE(dst, dstOff, x3);
    writeBE(dst, dstOff + 4, x2);
    writeBE(dst, dstOff + 8, x1);
    writeBE(dst, dstOff + 12, x0);
  }
}
