/**
 * UTF-8 and Base64 helpers written in plain TypeScript so that `core` needs no platform API.
 *
 * @module
 */

/**
 * Number of bytes of the UTF-8 encoding of `s`. Lone surrogates count as U+FFFD (3 bytes), which
 * is what an encoder with replacement writes.
 *
 * @category Encoding
 */
export function utf8ByteLength(s: string): number {
  let n = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * Encodes `s` as UTF-8. Lone surrogates become U+FFFD.
 *
 * @category Encoding
 */
export function encodeUtf8(s: string): Uint8Array {
  const out = new Uint8Array(utf8ByteLength(s));
  let p = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
      continue;
    }
    if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < len ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        out[p++] = 0xf0 | (cp >> 18);
        out[p++] = 0x80 | ((cp >> 12) & 0x3f);
        out[p++] = 0x80 | ((cp >> 6) & 0x3f);
        out[p++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    out[p++] = 0xe0 | (c >> 12);
    out[p++] = 0x80 | ((c >> 6) & 0x3f);
    out[p++] = 0x80 | (c & 0x3f);
  }
  return out;
}

/**
 * Decodes UTF-8 bytes; invalid input becomes U+FFFD, one per maximal invalid subpart (the WHATWG
 * "replacement" decoding; other decoders, the JDK's for one, replace some invalid sequences
 * differently, which is why hosts hand the engine the bytes of a value that is not UTF-8).
 * A leading byte-order mark is kept as U+FEFF.
 *
 * @category Encoding
 */
export function decodeUtf8(bytes: Uint8Array): string {
  let out = "";
  let chunk: number[] = [];
  const flush = (): void => {
    out += String.fromCharCode.apply(null, chunk);
    chunk = [];
  };
  const len = bytes.length;
  let i = 0;
  while (i < len) {
    const b0 = bytes[i]!;
    let cp: number;
    if (b0 < 0x80) {
      cp = b0;
      i += 1;
    } else {
      let need: number;
      let lower = 0x80;
      let upper = 0xbf;
      if (b0 >= 0xc2 && b0 <= 0xdf) {
        need = 1;
        cp = b0 & 0x1f;
      } else if (b0 >= 0xe0 && b0 <= 0xef) {
        need = 2;
        cp = b0 & 0x0f;
        if (b0 === 0xe0) lower = 0xa0;
        else if (b0 === 0xed) upper = 0x9f;
      } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        need = 3;
        cp = b0 & 0x07;
        if (b0 === 0xf0) lower = 0x90;
        else if (b0 === 0xf4) upper = 0x8f;
      } else {
        need = 0;
        cp = 0xfffd;
      }
      i += 1;
      for (let k = 0; k < need; k++) {
        const b = i < len ? bytes[i]! : -1;
        if (b < lower || b > upper) {
          // The sequence so far is one maximal invalid subpart; `b` is examined again.
          cp = 0xfffd;
          break;
        }
        lower = 0x80;
        upper = 0xbf;
        cp = (cp << 6) | (b & 0x3f);
        i += 1;
      }
    }
    if (cp >= 0x10000) {
      const v = cp - 0x10000;
      chunk.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
    } else chunk.push(cp);
    if (chunk.length >= 8192) flush();
  }
  flush();
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Standard Base64 (RFC 4648, with `=` padding) of raw bytes.
 *
 * @category Encoding
 */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  const len = bytes.length;
  let i = 0;
  for (; i + 2 < len; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  if (i < len) {
    const b1 = i + 1 < len ? bytes[i + 1]! : 0;
    const n = (bytes[i]! << 16) | (b1 << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]!;
    out += i + 1 < len ? B64[(n >> 6) & 63]! + "=" : "==";
  }
  return out;
}
