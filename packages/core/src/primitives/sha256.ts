/**
 * SHA-256 in plain TypeScript (FIPS 180-4), so `core` can compute lineage identifiers without a
 * platform crypto API.
 *
 * @module
 */
import { encodeUtf8 } from "./utf8.js";

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const W = new Int32Array(64);
/** Hash state between blocks. */
const H = new Int32Array(8);
/** The padded last block(s) of a message: reused, never returned. */
const TAIL = new Uint8Array(128);
/** Digest buffer of {@link sha256Hex}: reused, never returned. */
const OUT = new Uint8Array(32);
const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push((i < 16 ? "0" : "") + i.toString(16));

function resetState(): void {
  H[0] = 0x6a09e667;
  H[1] = 0xbb67ae85 | 0;
  H[2] = 0x3c6ef372;
  H[3] = 0xa54ff53a | 0;
  H[4] = 0x510e527f;
  H[5] = 0x9b05688c | 0;
  H[6] = 0x1f83d9ab;
  H[7] = 0x5be0cd19;
}

/** Processes the 64-byte block of `src` at `off` into {@link H}. */
function compress(src: Uint8Array, off: number): void {
  for (let t = 0; t < 16; t++, off += 4) {
    W[t] = (src[off]! << 24) | (src[off + 1]! << 16) | (src[off + 2]! << 8) | src[off + 3]!;
  }
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15]!;
    const w2 = W[t - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
  }
  let a = H[0]!;
  let b = H[1]!;
  let c = H[2]!;
  let d = H[3]!;
  let e = H[4]!;
  let f = H[5]!;
  let g = H[6]!;
  let h = H[7]!;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t]! + W[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
  H[5] = (H[5]! + f) | 0;
  H[6] = (H[6]! + g) | 0;
  H[7] = (H[7]! + h) | 0;
}

/**
 * Pads the last `rest` message bytes already in {@link TAIL} (a message of `len` bytes in all),
 * processes the final block(s) and writes the digest into `out`.
 */
function finish(rest: number, len: number, out: Uint8Array): Uint8Array {
  const tl = rest + 9 <= 64 ? 64 : 128;
  TAIL.fill(0, rest, tl);
  TAIL[rest] = 0x80;
  const bitLenHi = Math.floor(len / 0x20000000);
  const bitLenLo = (len << 3) >>> 0;
  TAIL[tl - 8] = (bitLenHi >>> 24) & 0xff;
  TAIL[tl - 7] = (bitLenHi >>> 16) & 0xff;
  TAIL[tl - 6] = (bitLenHi >>> 8) & 0xff;
  TAIL[tl - 5] = bitLenHi & 0xff;
  TAIL[tl - 4] = (bitLenLo >>> 24) & 0xff;
  TAIL[tl - 3] = (bitLenLo >>> 16) & 0xff;
  TAIL[tl - 2] = (bitLenLo >>> 8) & 0xff;
  TAIL[tl - 1] = bitLenLo & 0xff;
  compress(TAIL, 0);
  if (tl === 128) compress(TAIL, 64);
  for (let i = 0; i < 8; i++) {
    const v = H[i]!;
    out[i * 4] = (v >>> 24) & 0xff;
    out[i * 4 + 1] = (v >>> 16) & 0xff;
    out[i * 4 + 2] = (v >>> 8) & 0xff;
    out[i * 4 + 3] = v & 0xff;
  }
  return out;
}

/** Digest of `bytes` into `out`. */
function digestBytes(bytes: Uint8Array, out: Uint8Array): Uint8Array {
  resetState();
  const len = bytes.length;
  const full = len >> 6;
  for (let blk = 0; blk < full; blk++) compress(bytes, blk << 6);
  const rest = len & 63;
  TAIL.set(bytes.subarray(full << 6));
  return finish(rest, len, out);
}

/**
 * SHA-256 digest of raw bytes.
 *
 * @category Hashing
 */
export function sha256(bytes: Uint8Array): Uint8Array {
  return digestBytes(bytes, new Uint8Array(32));
}

/**
 * Longest string {@link sha256Utf8} hashes without intermediate allocations when it is ASCII: the
 * message and its padding fit the two reused padding blocks (64 + 55 bytes).
 *
 * @internal
 */
export const SHA256_UTF8_FAST_MAX = 119;

/**
 * SHA-256 of the UTF-8 encoding of `s` (lone surrogates as U+FFFD), written into `out` (its first
 * 32 bytes) and returned; a new array when `out` is omitted. ASCII strings of up to 119
 * characters (most identifiers) are hashed without intermediate allocations.
 *
 * @category Hashing
 * @example
 * sha256Utf8("hello") // Uint8Array [0x2c, 0xf2, 0x4d, …]
 */
export function sha256Utf8(s: string, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  const len = s.length;
  if (len <= SHA256_UTF8_FAST_MAX) {
    let ascii = true;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      TAIL[i] = c;
    }
    if (ascii) {
      resetState();
      if (len >= 64) {
        compress(TAIL, 0);
        TAIL.copyWithin(0, 64, len);
        return finish(len - 64, len, out);
      }
      return finish(len, len, out);
    }
  }
  return digestBytes(encodeUtf8(s), out);
}

/**
 * Lower-case hex SHA-256 of the UTF-8 encoding of `s` (64 characters). This is the lineage hash
 * the reference uses for `source_event_uid` fallbacks and payload-hash dedup keys.
 *
 * @category Hashing
 * @example
 * sha256Hex("hello") // "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
 */
export function sha256Hex(s: string): string {
  const d = sha256Utf8(s, OUT);
  let out = "";
  for (let i = 0; i < 32; i++) out += HEX[d[i]!]!;
  return out;
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE64URL_CODES: readonly number[] = Array.from(BASE64URL, (c) => c.charCodeAt(0));
const DIGEST_CODES: number[] = new Array<number>(22).fill(0);

/**
 * Base64url (no padding) of the first 16 bytes of `d` (a 128-bit digest): 22 characters, built in
 * one allocation (a flat string: no concatenation tree is kept by a store holding it).
 *
 * @internal
 */
export function base64Url128(d: ArrayLike<number>): string {
  const c = DIGEST_CODES;
  let p = 0;
  for (let i = 0; i < 15; i += 3) {
    const n = (d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!;
    c[p++] = BASE64URL_CODES[(n >>> 18) & 63]!;
    c[p++] = BASE64URL_CODES[(n >>> 12) & 63]!;
    c[p++] = BASE64URL_CODES[(n >>> 6) & 63]!;
    c[p++] = BASE64URL_CODES[n & 63]!;
  }
  const last = d[15]!;
  c[20] = BASE64URL_CODES[last >>> 2]!;
  c[21] = BASE64URL_CODES[(last & 3) << 4]!;
  return String.fromCharCode.apply(null, c);
}
