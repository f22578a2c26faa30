import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { decodeUtf8, encodeBase64, encodeUtf8, utf8ByteLength } from "./utf8.js";

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
/** WHATWG decoder with replacement; `ignoreBOM` keeps a leading U+FEFF, as `decodeUtf8` does. */
const whatwg = new TextDecoder("utf-8", { ignoreBOM: true });
const nodeUtf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "utf8"));

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** Strings made of arbitrary code points and lone (unpaired or mis-ordered) surrogates. */
const stringWithSurrogates = fc.string({
  unit: fc.oneof(loneSurrogate, fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
  maxLength: 60,
});
const anyString = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary-ascii" }),
  stringWithSurrogates,
);

/** True when `s` has no unpaired surrogate code unit. */
function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** `s` with every unpaired surrogate replaced by U+FFFD (`String.prototype.toWellFormed`). */
function toWellFormed(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else out += "\ufffd";
    } else if (c >= 0xdc00 && c <= 0xdfff) out += "\ufffd";
    else out += s[i]!;
  }
  return out;
}

describe("utf8ByteLength", () => {
  it("counts 1/2/3/4 bytes per code point", () => {
    expect(utf8ByteLength("")).toBe(0);
    expect(utf8ByteLength("a")).toBe(1);
    expect(utf8ByteLength("\u007f")).toBe(1);
    expect(utf8ByteLength("\u0080")).toBe(2);
    expect(utf8ByteLength("é")).toBe(2);
    expect(utf8ByteLength("\u07ff")).toBe(2);
    expect(utf8ByteLength("\u0800")).toBe(3);
    expect(utf8ByteLength("€")).toBe(3);
    expect(utf8ByteLength("\uffff")).toBe(3);
    expect(utf8ByteLength("\ufeff")).toBe(3);
    expect(utf8ByteLength("😀")).toBe(4);
    expect(utf8ByteLength("\u{10ffff}")).toBe(4);
    expect(utf8ByteLength("a😀é€")).toBe(10);
  });

  it("counts a lone surrogate as U+FFFD (3 bytes)", () => {
    expect(utf8ByteLength("\ud800")).toBe(3);
    expect(utf8ByteLength("\udc00")).toBe(3);
    expect(utf8ByteLength("\udc00\ud800")).toBe(6); // reversed pair: two lone surrogates
    expect(utf8ByteLength("\ud800a")).toBe(4);
    expect(utf8ByteLength("a\ud83d")).toBe(4);
    expect(utf8ByteLength("\ud83d\ud83d\ude00")).toBe(7);
  });

  it('property: equals the length of Buffer.from(s, "utf8") and of encodeUtf8(s)', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(utf8ByteLength(s)).toBe(Buffer.from(s, "utf8").length);
        expect(utf8ByteLength(s)).toBe(encodeUtf8(s).length);
      }),
    );
  });
});

describe("encodeUtf8", () => {
  it("encodes boundary code points", () => {
    expect(encodeUtf8("")).toEqual(bytes());
    expect(encodeUtf8("\u0000")).toEqual(bytes(0x00));
    expect(encodeUtf8("A")).toEqual(bytes(0x41));
    expect(encodeUtf8("\u007f")).toEqual(bytes(0x7f));
    expect(encodeUtf8("\u0080")).toEqual(bytes(0xc2, 0x80));
    expect(encodeUtf8("\u07ff")).toEqual(bytes(0xdf, 0xbf));
    expect(encodeUtf8("\u0800")).toEqual(bytes(0xe0, 0xa0, 0x80));
    expect(encodeUtf8("€")).toEqual(bytes(0xe2, 0x82, 0xac));
    expect(encodeUtf8("\ud7ff")).toEqual(bytes(0xed, 0x9f, 0xbf));
    expect(encodeUtf8("\ue000")).toEqual(bytes(0xee, 0x80, 0x80));
    expect(encodeUtf8("\uffff")).toEqual(bytes(0xef, 0xbf, 0xbf));
    expect(encodeUtf8("\u{10000}")).toEqual(bytes(0xf0, 0x90, 0x80, 0x80));
    expect(encodeUtf8("😀")).toEqual(bytes(0xf0, 0x9f, 0x98, 0x80));
    expect(encodeUtf8("\u{10ffff}")).toEqual(bytes(0xf4, 0x8f, 0xbf, 0xbf));
  });

  it("encodes a BOM as EF BB BF", () => {
    expect(encodeUtf8("\ufeffx")).toEqual(bytes(0xef, 0xbb, 0xbf, 0x78));
  });

  it("replaces lone surrogates with U+FFFD", () => {
    const fffd = [0xef, 0xbf, 0xbd];
    expect(encodeUtf8("\ud800")).toEqual(bytes(...fffd));
    expect(encodeUtf8("\udfff")).toEqual(bytes(...fffd));
    expect(encodeUtf8("a\ud800b")).toEqual(bytes(0x61, ...fffd, 0x62));
    expect(encodeUtf8("\udc00\ud800")).toEqual(bytes(...fffd, ...fffd));
    expect(encodeUtf8("\ud83d\ud83d\ude00")).toEqual(bytes(...fffd, 0xf0, 0x9f, 0x98, 0x80));
    expect(encodeUtf8("x\ud83d")).toEqual(bytes(0x78, ...fffd));
  });

  it('property: equals Buffer.from(s, "utf8")', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(encodeUtf8(s)).toEqual(nodeUtf8(s));
      }),
    );
  });

  it("property: equals TextEncoder", () => {
    const te = new TextEncoder();
    fc.assert(
      fc.property(anyString, (s) => {
        expect(encodeUtf8(s)).toEqual(te.encode(s));
      }),
    );
  });
});

describe("decodeUtf8", () => {
  it("decodes valid sequences of every length", () => {
    expect(decodeUtf8(bytes())).toBe("");
    expect(decodeUtf8(bytes(0x41, 0x00, 0x7f))).toBe("A\u0000\u007f");
    expect(decodeUtf8(bytes(0xc3, 0xa9))).toBe("é");
    expect(decodeUtf8(bytes(0xe2, 0x82, 0xac))).toBe("€");
    expect(decodeUtf8(bytes(0xf0, 0x9f, 0x98, 0x80))).toBe("😀");
    expect(decodeUtf8(bytes(0xf4, 0x8f, 0xbf, 0xbf))).toBe("\u{10ffff}");
  });

  it("keeps a leading BOM as U+FEFF", () => {
    expect(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0x7b, 0x7d))).toBe("\ufeff{}");
    expect(decodeUtf8(bytes(0xef, 0xbb, 0xbf))).toBe("\ufeff");
    expect(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf))).toBe("\ufeff\ufeff");
    // The default WHATWG decoder would strip it.
    expect(new TextDecoder("utf-8").decode(bytes(0xef, 0xbb, 0xbf, 0x41))).toBe("A");
    expect(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0x41))).toBe("\ufeffA");
  });

  it("replaces invalid single bytes with U+FFFD", () => {
    expect(decodeUtf8(bytes(0x80))).toBe("\ufffd");
    expect(decodeUtf8(bytes(0xbf))).toBe("\ufffd");
    expect(decodeUtf8(bytes(0xc0, 0x80))).toBe("\ufffd\ufffd");
    expect(decodeUtf8(bytes(0xc1, 0xbf))).toBe("\ufffd\ufffd");
    expect(decodeUtf8(bytes(0xf5, 0x80, 0x80, 0x80))).toBe("\ufffd\ufffd\ufffd\ufffd");
    expect(decodeUtf8(bytes(0xff, 0x41, 0xfe))).toBe("\ufffdA\ufffd");
  });

  it("replaces a truncated sequence with one U+FFFD and resynchronizes", () => {
    expect(decodeUtf8(bytes(0xc3))).toBe("\ufffd");
    expect(decodeUtf8(bytes(0xc3, 0x41))).toBe("\ufffdA");
    expect(decodeUtf8(bytes(0xe2, 0x82))).toBe("\ufffd");
    expect(decodeUtf8(bytes(0xe2, 0x82, 0x41))).toBe("\ufffdA");
    expect(decodeUtf8(bytes(0xf0, 0x9f, 0x98))).toBe("\ufffd");
    expect(decodeUtf8(bytes(0xf0, 0x9f, 0x98, 0x41))).toBe("\ufffdA");
    expect(decodeUtf8(bytes(0xe2, 0xe2, 0x82, 0xac))).toBe("\ufffd€");
  });

  it("handles output longer than its internal chunk size (8192 code units)", () => {
    for (const pad of [8190, 8191, 8192, 8193]) {
      const s = "a".repeat(pad) + "😀é€".repeat(3000) + "\ufffd" + "z";
      expect(decodeUtf8(nodeUtf8(s))).toBe(s);
    }
    const big = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 37 + 11) & 0xff).map((b) =>
      b === 0xe0 || b === 0xed || b === 0xf0 || b === 0xf4 ? 0x41 : b,
    );
    expect(decodeUtf8(big)).toBe(whatwg.decode(big));
  });

  it("property: round-trips encodeUtf8 for well-formed strings", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" })), (s) => {
        expect(decodeUtf8(encodeUtf8(s))).toBe(s);
      }),
    );
  });

  it("property: decode(encode(s)) is s with lone surrogates replaced by U+FFFD", () => {
    fc.assert(
      fc.property(stringWithSurrogates, (s) => {
        expect(decodeUtf8(encodeUtf8(s))).toBe(toWellFormed(s));
      }),
    );
  });

  it("property: equals the WHATWG decoder on valid UTF-8", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const b = nodeUtf8(s);
        expect(decodeUtf8(b)).toBe(whatwg.decode(b));
      }),
    );
  });

  it("property: equals the WHATWG decoder on arbitrary bytes", () => {
    // Bias toward lead and continuation bytes so multi-byte and broken sequences are common.
    const biased = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0x80, max: 0xbf }),
      fc.constantFrom(
        0xc2,
        0xdf,
        0xe0,
        0xe1,
        0xec,
        0xed,
        0xee,
        0xef,
        0xf0,
        0xf1,
        0xf3,
        0xf4,
        0x90,
        0x9f,
        0xa0,
      ),
    );
    fc.assert(
      fc.property(
        fc.array(biased, { maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        (arr, raw) => {
          for (const b of [Uint8Array.from(arr), raw]) expect(decodeUtf8(b)).toBe(whatwg.decode(b));
        },
      ),
    );
  });

  it("property: never throws on arbitrary bytes, yields a well-formed string and keeps every ASCII byte", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const s = decodeUtf8(b);
        expect(isWellFormed(s)).toBe(true);
        // Each input byte produces at most one UTF-16 code unit, except 4-byte sequences (2 units).
        expect(s.length).toBeLessThanOrEqual(b.length);
        const ascii = b.filter((x) => x < 0x80).length;
        expect(s.replace(/[^\u0000-\u007f]/g, "").length).toBe(ascii);
        // Re-encoding the decoded text is a fixed point.
        expect(decodeUtf8(encodeUtf8(s))).toBe(s);
      }),
    );
  });

  // Lead bytes E0, ED, F0 and F4 restrict their second byte; one U+FFFD per maximal subpart.
  describe("maximal-subpart replacement (WHATWG)", () => {
    const cases: Array<[string, Uint8Array]> = [
      ["overlong 3-byte E0 80 80", bytes(0xe0, 0x80, 0x80)],
      ["overlong 3-byte E0 9F BF", bytes(0xe0, 0x9f, 0xbf)],
      ["encoded surrogate ED A0 80", bytes(0xed, 0xa0, 0x80)],
      ["overlong 4-byte F0 80 80 80", bytes(0xf0, 0x80, 0x80, 0x80)],
      ["above U+10FFFF F4 90 80 80", bytes(0xf4, 0x90, 0x80, 0x80)],
      ["truncated overlong E0 80", bytes(0xe0, 0x80)],
    ];
    for (const [name, b] of cases) {
      it(name, () => {
        expect(decodeUtf8(b)).toBe(whatwg.decode(b));
      });
    }

    it("one U+FFFD per rejected byte of these sequences", () => {
      expect(decodeUtf8(bytes(0xe0, 0x80, 0x80))).toBe("\ufffd\ufffd\ufffd");
      expect(decodeUtf8(bytes(0xed, 0xa0, 0x80))).toBe("\ufffd\ufffd\ufffd");
      expect(decodeUtf8(bytes(0xf4, 0x90, 0x80, 0x80))).toBe("\ufffd\ufffd\ufffd\ufffd");
      expect(decodeUtf8(bytes(0xe2, 0x82, 0x41))).toBe("\ufffdA");
    });

    it("valid sequences with these lead bytes are decoded correctly", () => {
      for (const s of [
        "\u0800",
        "\u0fff",
        "\ud7ff",
        "\u{10000}",
        "\u{3ffff}",
        "\u{100000}",
        "\u{10ffff}",
      ]) {
        expect(decodeUtf8(nodeUtf8(s))).toBe(s);
      }
    });
  });
});

describe("encodeBase64", () => {
  it("matches the RFC 4648 §10 test vectors", () => {
    const enc = (s: string): string => encodeBase64(encodeUtf8(s));
    expect(enc("")).toBe("");
    expect(enc("f")).toBe("Zg==");
    expect(enc("fo")).toBe("Zm8=");
    expect(enc("foo")).toBe("Zm9v");
    expect(enc("foob")).toBe("Zm9vYg==");
    expect(enc("fooba")).toBe("Zm9vYmE=");
    expect(enc("foobar")).toBe("Zm9vYmFy");
  });

  it("uses the standard alphabet with + and /", () => {
    expect(encodeBase64(bytes(0xfb, 0xff))).toBe("+/8=");
    expect(encodeBase64(bytes(0xff, 0xff, 0xff))).toBe("////");
    expect(encodeBase64(bytes(0x00, 0x00, 0x00))).toBe("AAAA");
    expect(encodeBase64(bytes(0x00))).toBe("AA==");
  });

  it("encodes only the bytes of a subarray view", () => {
    const backing = Uint8Array.from({ length: 10 }, (_, i) => i * 25);
    const view = backing.subarray(2, 7);
    expect(encodeBase64(view)).toBe(Buffer.from(view).toString("base64"));
  });

  it('property: equals Buffer.toString("base64")', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(encodeBase64(b)).toBe(Buffer.from(b).toString("base64"));
      }),
    );
  });

  it("property: length is 4 * ceil(n / 3) and decodes back to the input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const e = encodeBase64(b);
        expect(e).toHaveLength(4 * Math.ceil(b.length / 3));
        expect(e).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
        expect(new Uint8Array(Buffer.from(e, "base64"))).toEqual(b);
      }),
    );
  });
});
