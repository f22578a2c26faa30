import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { sha256, sha256Hex, sha256Utf8 } from "./sha256.js";
import { encodeUtf8 } from "./utf8.js";

const FIXTURE = fileURLToPath(
  new URL("../../../testing/fixtures/real/streaming-events-2026-01-08.jsonl", import.meta.url),
);

const nodeHex = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");
const nodeBytes = (b: Uint8Array): Uint8Array =>
  new Uint8Array(createHash("sha256").update(b).digest());
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("sha256Hex golden vectors (ingest-and-storage.md §1.8)", () => {
  it('hashes "hello"', () => {
    expect(sha256Hex("hello")).toBe(
      "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    );
  });

  it("HashingTest.sha256HexIsStable: same input twice → equal, 64 lower-case hex chars", () => {
    const a = sha256Hex("hello");
    const b = sha256Hex("hello");
    expect(a).toBe(b);
    expect(a).toHaveLength(64);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  describe("real sample streaming-events-2026-01-08.jsonl", () => {
    const lines = readFileSync(FIXTURE, "utf8").split("\n");

    it("first line (stream_trace, id 59485235-…) hashes to d91637ef…0c95", () => {
      const first = lines[0]!;
      expect(first.startsWith('{"id":"59485235-')).toBe(true);
      expect(sha256Hex(first)).toBe(
        "d91637ef270f0a2a05a2acf5b912051a1dbb9e23f714e0cda0cc4811ef880c95",
      );
    });

    it("first ai_stream_status line (id f0f0e510-…) hashes to fb2306a8…738f", () => {
      const status = lines.find(
        (l) => (JSON.parse(l || "null") as { type?: unknown } | null)?.type === "ai_stream_status",
      );
      expect(status).toBeDefined();
      expect(status!.startsWith('{"id":"f0f0e510-')).toBe(true);
      expect(sha256Hex(status!)).toBe(
        "fb2306a831eba8fd765f3ed68699af420d78b0096b90e3e0ab75855f0603738f",
      );
    });

    it("hashes the received text, not a re-serialization", () => {
      const first = lines[0]!;
      const reserialized = JSON.stringify(JSON.parse(first), null, 1);
      expect(sha256Hex(reserialized)).not.toBe(sha256Hex(first));
    });

    it("every line matches node:crypto", () => {
      for (const l of lines) expect(sha256Hex(l)).toBe(nodeHex(l));
    });
  });
});

describe("NIST FIPS 180-4 vectors", () => {
  it("empty string", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(sha256(new Uint8Array(0)))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it('"abc"', () => {
    expect(sha256Hex("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("448-bit message (two blocks after padding)", () => {
    const m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    expect(m).toHaveLength(56);
    expect(sha256Hex(m)).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  it("896-bit message", () => {
    const m =
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    expect(m).toHaveLength(112);
    expect(sha256Hex(m)).toBe("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  });

  it('one million "a"', () => {
    const m = "a".repeat(1_000_000);
    const expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    expect(nodeHex(m)).toBe(expected);
    expect(sha256Hex(m)).toBe(expected);
  });
});

describe("padding boundaries", () => {
  const boundaryLengths = [
    0, 1, 2, 3, 4, 31, 32, 54, 55, 56, 57, 58, 62, 63, 64, 65, 66, 118, 119, 120, 121, 126, 127,
    128, 129, 183, 184, 191, 192, 193, 255, 256, 257, 1000, 1023, 1024, 4095, 4096, 4097,
  ];

  it("ASCII strings of every boundary length match node:crypto", () => {
    for (const n of boundaryLengths) {
      const s = Array.from({ length: n }, (_, i) =>
        String.fromCharCode(0x21 + ((i * 7) % 90)),
      ).join("");
      expect(sha256Hex(s), `length ${n}`).toBe(nodeHex(s));
    }
  });

  it("raw byte arrays of every boundary length match node:crypto (all byte values)", () => {
    for (const n of boundaryLengths) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 151 + 7) & 0xff);
      expect(toHex(sha256(b)), `length ${n}`).toBe(toHex(nodeBytes(b)));
    }
  });

  it("multi-byte UTF-8 characters straddling the 55/56/63/64/119/120-byte boundaries", () => {
    const chars = ["é", "€", "😀"]; // 2, 3 and 4 UTF-8 bytes
    for (const target of [55, 56, 63, 64, 119, 120]) {
      for (const ch of chars) {
        for (let shift = 0; shift < 4; shift++) {
          const s = "x".repeat(Math.max(0, target - shift)) + ch;
          expect(sha256Hex(s), `${target}-${shift} ${ch}`).toBe(nodeHex(s));
        }
      }
    }
  });

  it("sha256 of a subarray view uses only the view's bytes", () => {
    const backing = Uint8Array.from({ length: 200 }, (_, i) => i);
    const view = backing.subarray(10, 130);
    expect(toHex(sha256(view))).toBe(toHex(nodeBytes(view.slice())));
  });

  it("does not modify its input", () => {
    const b = Uint8Array.from({ length: 70 }, (_, i) => i);
    const copy = b.slice();
    sha256(b);
    expect(b).toEqual(copy);
  });

  it("returns a fresh 32-byte array each time", () => {
    const a = sha256(encodeUtf8("x"));
    const b = sha256(encodeUtf8("x"));
    expect(a).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(a).toEqual(b);
  });
});

describe("properties vs node:crypto", () => {
  it("sha256Hex(s) equals node:crypto for binary-unit strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        expect(sha256Hex(s)).toBe(nodeHex(s));
      }),
    );
  });

  it("sha256Hex(s) equals node:crypto for grapheme-unit strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 100 }), (s) => {
        expect(sha256Hex(s)).toBe(nodeHex(s));
      }),
    );
  });

  it("sha256Hex(s) equals node:crypto for strings with lone surrogates (both encode them as U+FFFD)", () => {
    const unit = fc.oneof(
      fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 80 }), (s) => {
        expect(sha256Hex(s)).toBe(nodeHex(s));
      }),
    );
  });

  it("sha256Hex(s) equals node:crypto for lengths around block boundaries", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }),
        (n, ch) => {
          const s = ch.repeat(n);
          expect(sha256Hex(s)).toBe(nodeHex(s));
        },
      ),
    );
  });

  it("sha256(bytes) equals node:crypto for arbitrary byte arrays", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        expect(toHex(sha256(b))).toBe(toHex(nodeBytes(b)));
      }),
    );
  });

  it("sha256Hex(s) is the hex of sha256(encodeUtf8(s))", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const hex = sha256Hex(s);
        expect(hex).toMatch(/^[0-9a-f]{64}$/);
        expect(hex).toBe(toHex(sha256(encodeUtf8(s))));
      }),
    );
  });
});

describe("sha256Utf8", () => {
  it("equals sha256 of the UTF-8 bytes for every length around the one-block ASCII path", () => {
    for (let n = 0; n <= 260; n++) {
      for (const s of ["a".repeat(n), "\u007f".repeat(n), "é".repeat(n), "a".repeat(n) + "é"]) {
        expect(sha256Utf8(s)).toEqual(sha256(encodeUtf8(s)));
      }
    }
  });

  it("writes into `out` when given; returns a fresh array otherwise", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string(), (a, b) => {
        const out = new Uint8Array(40).fill(7);
        expect(sha256Utf8(a, out)).toBe(out);
        expect(out.subarray(0, 32)).toEqual(
          new Uint8Array(createHash("sha256").update(a, "utf8").digest()),
        );
        expect([...out.subarray(32)]).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
        const x = sha256Utf8(a);
        const y = sha256Utf8(b);
        expect(x).not.toBe(y);
        expect(Buffer.from(x).toString("hex")).toBe(sha256Hex(a));
      }),
    );
  });
});
