/**
 * `--crypt` name → block crypt, with kcptun's key slicing (kcptun `SelectBlockCrypt`).
 *
 * @module
 */

import type { BlockCrypt } from "./block_crypt.ts";
import { CfbCrypt } from "./_cfb.ts";
import { NativeAesCfb } from "./_aes_native.ts";
import { Blowfish } from "./_blowfish.ts";
import { Cast5 } from "./_cast5.ts";
import { TripleDes } from "./_des.ts";
import { Sm4 } from "./_sm4.ts";
import { Tea, Xtea } from "./_tea.ts";
import { Twofish } from "./_twofish.ts";
import { Salsa20Crypt } from "./_salsa20.ts";
import { XorPadCrypt } from "./_xor_pad.ts";

/** Length of kcptun's master key ("pass", see `deriveKey`). */
export const PASS_LENGTH = 32;

/**
 * A {@link BlockCrypt} that can also work on a prefix `buf[0, len)`, so the packet layer does
 * not need a subarray view per datagram.
 */
export interface SizedBlockCrypt extends BlockCrypt {
  encrypt(buf: Uint8Array, len?: number): void;
  decrypt(buf: Uint8Array, len?: number): void;
}

/** kcp-go's `noneBlockCrypt`: the bytes stay as they are. */
class NoneCrypt implements SizedBlockCrypt {
  encrypt(_buf: Uint8Array, _len?: number): void {}
  decrypt(_buf: Uint8Array, _len?: number): void {}
}

/** Throws unless `pass` is a 32-byte Uint8Array. */
export function checkPass(pass: Uint8Array): void {
  if (!(pass instanceof Uint8Array)) {
    throw new TypeError(`Pass must be a Uint8Array, got ${typeof pass}`);
  }
  if (pass.length !== PASS_LENGTH) {
    throw new RangeError(`Pass must be ${PASS_LENGTH} bytes (see deriveKey), got ${pass.length}`);
  }
}

/**
 * The block crypt for a CFB/stream/xor/none method, or `undefined` for any other name
 * (including `null` and `aes-128-gcm`, which have no BlockCrypt form).
 */
export function selectBlockCrypt(method: string, pass: Uint8Array): SizedBlockCrypt | undefined {
  checkPass(pass);
  const k16 = pass.subarray(0, 16);
  const k24 = pass.subarray(0, 24);
  switch (method) {
    case "aes":
      return new NativeAesCfb(pass);
    case "aes-128":
      return new NativeAesCfb(k16);
    case "aes-192":
      return new NativeAesCfb(k24);
    case "salsa20":
      return new Salsa20Crypt(pass);
    case "blowfish":
      return new CfbCrypt(new Blowfish(pass));
    case "twofish":
      return new CfbCrypt(new Twofish(pass));
    case "cast5":
      return new CfbCrypt(new Cast5(k16));
    case "3des":
      return new CfbCrypt(new TripleDes(k24));
    case "tea":
      // kcp-go: tea.NewCipherWithRounds(key, 16) — 8 TEA cycles, not the standard 32.
      return new CfbCrypt(new Tea(k16, 16));
    case "xtea":
      return new CfbCrypt(new Xtea(k16));
    case "xor":
      return new XorPadCrypt(pass);
    case "sm4":
      return new CfbCrypt(new Sm4(k16));
    case "none":
      return new NoneCrypt();
    default:
      return undefined;
  }
}
