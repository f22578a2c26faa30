import { describe, it, expect } from "vitest";
import fc from "fast-check";
import type { JsonArrayElement } from "./json-scan.js";
import {
  scanJsonValueEnd,
  skipJsonWhitespace,
  splitJsonArray,
  topLevelLiteral,
} from "./json-scan.js";

const jsonValue = fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: "binary" }));
const jsonWs = fc.string({ unit: fc.constantFrom(" ", "\t", "\n", "\r"), maxLength: 4 });
const texts = (els: JsonArrayElement[] | null): string[] | null =>
  els === null ? null : els.map((e) => e.text);

describe("skipJsonWhitespace", () => {
  it("skips only the four JSON whitespace characters", () => {
    expect(skipJsonWhitespace(" \t\r\nx")).toBe(4);
    expect(skipJsonWhitespace("x")).toBe(0);
    expect(skipJsonWhitespace("")).toBe(0);
    expect(skipJsonWhitespace("   ")).toBe(3);
    expect(skipJsonWhitespace("a  b", 1)).toBe(3);
    expect(skipJsonWhitespace("\u000bx")).toBe(0);
    expect(skipJsonWhitespace("\u00a0x")).toBe(0);
    expect(skipJsonWhitespace("\ufeffx")).toBe(0);
  });
});

describe("scanJsonValueEnd", () => {
  it("finds the end of objects and arrays", () => {
    expect(scanJsonValueEnd('{"a":1}', 0)).toBe(7);
    expect(scanJsonValueEnd('{"a":1} , 2', 0)).toBe(7);
    expect(scanJsonValueEnd("[]", 0)).toBe(2);
    expect(scanJsonValueEnd("{}", 0)).toBe(2);
    expect(scanJsonValueEnd("[1,[2,[3]],{}]x", 0)).toBe(14);
    expect(scanJsonValueEnd('{"a":{"b":[{"c":[]}]}}', 0)).toBe(22);
  });

  it("skips leading JSON whitespace", () => {
    expect(scanJsonValueEnd("  \n{}", 0)).toBe(5);
    expect(scanJsonValueEnd("\t 42 ", 0)).toBe(4);
  });

  it("starts at the given offset", () => {
    const t = '[1, {"a":[2]}, 3]';
    expect(scanJsonValueEnd(t, 4)).toBe(13);
    expect(t.slice(4, 13)).toBe('{"a":[2]}');
    expect(scanJsonValueEnd(t, 3)).toBe(13);
    expect(scanJsonValueEnd(t, 15)).toBe(16);
  });

  it("respects strings: brackets, escaped quotes and escaped backslashes", () => {
    expect(scanJsonValueEnd('"abc"', 0)).toBe(5);
    expect(scanJsonValueEnd('""', 0)).toBe(2);
    expect(scanJsonValueEnd('"a\\"b" x', 0)).toBe(6); // "a\"b"
    expect(scanJsonValueEnd('"a\\\\" x', 0)).toBe(5); // "a\\"
    expect(scanJsonValueEnd('"a\\\\\\"b" x', 0)).toBe(8); // "a\\\"b"
    expect(scanJsonValueEnd('"\\u0022" x', 0)).toBe(8);
    expect(scanJsonValueEnd('{"a":"}]"}x', 0)).toBe(10);
    expect(scanJsonValueEnd('["[", "]", "{"] x', 0)).toBe(15);
    expect(scanJsonValueEnd('{"k\\"}":"\\\\"}x', 0)).toBe(13);
  });

  it("ends scalars at the next delimiter or whitespace", () => {
    expect(scanJsonValueEnd("123", 0)).toBe(3);
    expect(scanJsonValueEnd("-1.5e+3,", 0)).toBe(7);
    expect(scanJsonValueEnd("true]", 0)).toBe(4);
    expect(scanJsonValueEnd("false}", 0)).toBe(5);
    expect(scanJsonValueEnd("null 1", 0)).toBe(4);
    expect(scanJsonValueEnd("12:3", 0)).toBe(2);
    expect(scanJsonValueEnd("1\n", 0)).toBe(1);
    expect(scanJsonValueEnd("1\r", 0)).toBe(1);
    expect(scanJsonValueEnd("1\t", 0)).toBe(1);
  });

  it("returns -1 when the text ends before the value is complete", () => {
    expect(scanJsonValueEnd("", 0)).toBe(-1);
    expect(scanJsonValueEnd("   ", 0)).toBe(-1);
    expect(scanJsonValueEnd("x", 5)).toBe(-1);
    expect(scanJsonValueEnd('{"a":1', 0)).toBe(-1);
    expect(scanJsonValueEnd("[1,[2]", 0)).toBe(-1);
    expect(scanJsonValueEnd("[", 0)).toBe(-1);
    expect(scanJsonValueEnd("{", 0)).toBe(-1);
    expect(scanJsonValueEnd('"abc', 0)).toBe(-1);
    expect(scanJsonValueEnd('"abc\\"', 0)).toBe(-1);
    expect(scanJsonValueEnd('"abc\\', 0)).toBe(-1);
    expect(scanJsonValueEnd('{"a":"}', 0)).toBe(-1);
    expect(scanJsonValueEnd('["]"', 0)).toBe(-1);
    expect(scanJsonValueEnd('{"a\\', 0)).toBe(-1);
  });

  it("property: finds the end of any serialized JSON value, whatever follows", () => {
    fc.assert(
      fc.property(
        jsonWs,
        jsonValue,
        jsonWs,
        fc.constantFrom("", ",", "]", "}", ":", " 1", ",{}"),
        (pre, v, ws, post) => {
          const s = JSON.stringify(v);
          const t = pre + s + ws + post;
          expect(scanJsonValueEnd(t, 0)).toBe(pre.length + s.length);
          const pretty = JSON.stringify(v, null, 2);
          expect(scanJsonValueEnd(pre + pretty + ws + post, 0)).toBe(pre.length + pretty.length);
        },
      ),
    );
  });

  it("property: a strict prefix of a serialized container or string is incomplete", () => {
    const container = fc.oneof(
      fc.array(jsonValue, { maxLength: 4 }),
      fc.dictionary(fc.string(), jsonValue, { maxKeys: 4 }),
      fc.string({ unit: "binary" }),
    );
    fc.assert(
      fc.property(container, fc.nat(), (v, k) => {
        const s = JSON.stringify(v);
        const cut = k % s.length; // 0 .. s.length - 1
        expect(scanJsonValueEnd(s.slice(0, cut), 0)).toBe(-1);
      }),
    );
  });
});

describe("splitJsonArray", () => {
  it("returns the exact text and offset of each element", () => {
    const t = '[1, "a" ,{"b":[2,3]} , null,true,\n-2.5e3 ,[ ],"x\\"]"]';
    const els = splitJsonArray(t);
    expect(texts(els)).toEqual([
      "1",
      '"a"',
      '{"b":[2,3]}',
      "null",
      "true",
      "-2.5e3",
      "[ ]",
      '"x\\"]"',
    ]);
    for (const e of els!) {
      expect(e.complete).toBe(true);
      expect(t.slice(e.offset, e.offset + e.text.length)).toBe(e.text);
    }
    expect(els![0]!.offset).toBe(1);
    expect(els![1]!.offset).toBe(4);
  });

  it("handles whitespace around the array and between elements", () => {
    const t = '\n  [\n  {"id":"a"},\r\n\t{"id":"b"}\n]\n';
    expect(splitJsonArray(t)).toEqual([
      { text: '{"id":"a"}', offset: 7, complete: true },
      { text: '{"id":"b"}', offset: 21, complete: true },
    ]);
  });

  it("returns [] for an empty array", () => {
    expect(splitJsonArray("[]")).toEqual([]);
    expect(splitJsonArray("  [ \n ]  ")).toEqual([]);
  });

  it("returns null when the text is not an array", () => {
    expect(splitJsonArray("")).toBeNull();
    expect(splitJsonArray("   ")).toBeNull();
    expect(splitJsonArray("{}")).toBeNull();
    expect(splitJsonArray('{"a":[1]}')).toBeNull();
    expect(splitJsonArray("1")).toBeNull();
    expect(splitJsonArray('"[1]"')).toBeNull();
    expect(splitJsonArray("null")).toBeNull();
    expect(splitJsonArray("x[1]")).toBeNull();
  });

  it("marks the last element of a truncated array as incomplete", () => {
    expect(splitJsonArray('[{"a":1}, {"b":')).toEqual([
      { text: '{"a":1}', offset: 1, complete: true },
      { text: '{"b":', offset: 10, complete: false },
    ]);
    expect(splitJsonArray('[1, "ab')).toEqual([
      { text: "1", offset: 1, complete: true },
      { text: '"ab', offset: 4, complete: false },
    ]);
    expect(splitJsonArray('[{"a":"x\\"}]')).toEqual([
      { text: '{"a":"x\\"}]', offset: 1, complete: false },
    ]);
  });

  it("returns the complete elements when the text ends between elements", () => {
    expect(splitJsonArray("[")).toEqual([]);
    expect(splitJsonArray("[1,")).toEqual([{ text: "1", offset: 1, complete: true }]);
    expect(splitJsonArray('[{"a":1} ,\n ')).toEqual([
      { text: '{"a":1}', offset: 1, complete: true },
    ]);
  });

  it("ignores anything after the closing bracket", () => {
    expect(texts(splitJsonArray("[1,2] [3]"))).toEqual(["1", "2"]);
  });

  it("does not validate: empty slots and missing commas are tolerated", () => {
    expect(texts(splitJsonArray("[1,,2]"))).toEqual(["1", "2"]);
    expect(texts(splitJsonArray("[1 2]"))).toEqual(["1", "2"]);
  });

  it("terminates on a stray `}` or `:`: the rest becomes one incomplete element", () => {
    expect(splitJsonArray("[}]")).toEqual([{ text: "}]", offset: 1, complete: false }]);
    expect(splitJsonArray("[1:2]")).toEqual([
      { text: "1", offset: 1, complete: true },
      { text: ":2]", offset: 2, complete: false },
    ]);
    expect(splitJsonArray('[{"a":1}}]')).toEqual([
      { text: '{"a":1}', offset: 1, complete: true },
      { text: "}]", offset: 8, complete: false },
    ]);
  });

  it("property: elements of JSON.stringify(array) are the serialized elements", () => {
    fc.assert(
      fc.property(fc.array(jsonValue, { maxLength: 8 }), (arr) => {
        const t = JSON.stringify(arr);
        const els = splitJsonArray(t);
        expect(els).not.toBeNull();
        expect(texts(els)).toEqual(arr.map((v) => JSON.stringify(v)));
        for (const e of els!) {
          expect(e.complete).toBe(true);
          expect(t.slice(e.offset, e.offset + e.text.length)).toBe(e.text);
        }
        expect(els!.map((e) => JSON.parse(e.text) as unknown)).toEqual(JSON.parse(t));
      }),
    );
  });

  it("property: elements of an indented array parse back to the originals", () => {
    fc.assert(
      fc.property(
        fc.array(jsonValue, { maxLength: 8 }),
        fc.constantFrom(2, 4, "\t"),
        (arr, indent) => {
          const t = JSON.stringify(arr, null, indent);
          const els = splitJsonArray(t);
          expect(els).not.toBeNull();
          expect(els!.every((e) => e.complete)).toBe(true);
          expect(els!.map((e) => JSON.parse(e.text) as unknown)).toEqual(
            JSON.parse(JSON.stringify(arr)),
          );
        },
      ),
    );
  });

  it("property: arbitrary JSON whitespace between tokens does not change the elements", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(jsonWs, jsonValue, jsonWs), { maxLength: 6 }),
        jsonWs,
        jsonWs,
        (parts, a, b) => {
          const t =
            a + "[" + parts.map(([l, v, r]) => l + JSON.stringify(v) + r).join(",") + "]" + b;
          expect(texts(splitJsonArray(t))).toEqual(parts.map(([, v]) => JSON.stringify(v)));
        },
      ),
    );
  });

  it("property: a truncated array keeps every earlier element and ends with a prefix of the cut one", () => {
    fc.assert(
      fc.property(fc.array(jsonValue, { minLength: 1, maxLength: 6 }), fc.nat(), (arr, k) => {
        const t = JSON.stringify(arr, null, 1);
        const full = splitJsonArray(t)!;
        const cut = 1 + (k % (t.length - 1)); // keep at least "["
        const part = splitJsonArray(t.slice(0, cut));
        expect(part).not.toBeNull();
        const els = part!;
        expect(els.length).toBeLessThanOrEqual(full.length);
        for (let i = 0; i < els.length - 1; i++) expect(els[i]).toEqual(full[i]);
        const last = els[els.length - 1];
        if (last !== undefined) {
          const ref = full[els.length - 1]!;
          expect(last.offset).toBe(ref.offset);
          expect(ref.text.startsWith(last.text)).toBe(true);
          if (!last.complete) expect(last.offset + last.text.length).toBe(cut);
          if (last.text !== ref.text && /^[[{"]/.test(ref.text)) {
            // Cut containers and strings are detected; a cut scalar cannot be.
            expect(last.complete).toBe(false);
          }
        }
      }),
    );
  });
});

describe("topLevelLiteral", () => {
  it("returns the raw literal that JSON.parse would erase", () => {
    expect(topLevelLiteral('{"__replay":1.0}', "__replay")).toBe("1.0");
    expect(topLevelLiteral('{"__replay":1}', "__replay")).toBe("1");
    expect(topLevelLiteral('{"__replay":1e0}', "__replay")).toBe("1e0");
    expect(topLevelLiteral('{"__replay":-0}', "__replay")).toBe("-0");
    expect(topLevelLiteral('{"__replay":true}', "__replay")).toBe("true");
    expect(topLevelLiteral('{"__replay":null}', "__replay")).toBe("null");
    expect(topLevelLiteral('{"__replay":"true"}', "__replay")).toBe('"true"');
    expect(topLevelLiteral('{"__replay":{"a":[1]}}', "__replay")).toBe('{"a":[1]}');
  });

  it("handles whitespace around keys, colons and values", () => {
    expect(topLevelLiteral(' \n{ "id" : "x" ,\r\n\t"__replay" : 1.0 , "b":2 }\n', "__replay")).toBe(
      "1.0",
    );
    expect(topLevelLiteral('{"a":1,"__replay":[ 1 , 2 ] }', "__replay")).toBe("[ 1 , 2 ]");
  });

  it("ignores nested keys with the same name", () => {
    expect(topLevelLiteral('{"data":{"__replay":1},"x":2}', "__replay")).toBeNull();
    expect(topLevelLiteral('{"data":[{"__replay":1}]}', "__replay")).toBeNull();
    expect(topLevelLiteral('{"data":{"__replay":1},"__replay":0}', "__replay")).toBe("0");
    expect(topLevelLiteral('{"__replay":0,"data":{"__replay":1}}', "__replay")).toBe("0");
  });

  it("ignores the key when it only appears inside a string", () => {
    expect(topLevelLiteral('{"a":"\\"__replay\\":1"}', "__replay")).toBeNull();
    expect(topLevelLiteral('{"a":"{\\"__replay\\":1}","b":1}', "__replay")).toBeNull();
  });

  it("lets the last duplicate win, as JSON.parse does", () => {
    expect(topLevelLiteral('{"__replay":1,"__replay":2.0}', "__replay")).toBe("2.0");
    expect(topLevelLiteral('{"__replay":1,"x":0,"__replay":"a","y":{}}', "__replay")).toBe('"a"');
  });

  it("compares decoded key names", () => {
    expect(topLevelLiteral('{"\\u005f_replay":1.0}', "__replay")).toBe("1.0");
    expect(topLevelLiteral('{"__Replay":1}', "__replay")).toBeNull();
    expect(topLevelLiteral('{"a\\"b":5}', 'a"b')).toBe("5");
  });

  it("returns null when the key is absent", () => {
    expect(topLevelLiteral("{}", "__replay")).toBeNull();
    expect(topLevelLiteral('{"id":"x"}', "__replay")).toBeNull();
  });

  it("returns null when the root is not an object", () => {
    expect(topLevelLiteral('[{"__replay":1}]', "__replay")).toBeNull();
    expect(topLevelLiteral('"{\\"__replay\\":1}"', "__replay")).toBeNull();
    expect(topLevelLiteral("1", "__replay")).toBeNull();
    expect(topLevelLiteral("", "__replay")).toBeNull();
    expect(topLevelLiteral("   ", "__replay")).toBeNull();
    expect(topLevelLiteral("null", "__replay")).toBeNull();
  });

  it("returns what it found so far on malformed or truncated input, without throwing", () => {
    expect(topLevelLiteral('{"__replay":1.0,', "__replay")).toBe("1.0");
    expect(topLevelLiteral('{"__replay":1.0, "data":{"a":', "__replay")).toBe("1.0");
    expect(topLevelLiteral('{"__replay":1.0, x', "__replay")).toBe("1.0");
    expect(topLevelLiteral('{"__replay":{"a":', "__replay")).toBeNull();
    expect(topLevelLiteral('{"__replay"', "__replay")).toBeNull();
    expect(topLevelLiteral('{"__replay" 1}', "__replay")).toBeNull();
    expect(topLevelLiteral('{"__re', "__replay")).toBeNull();
    expect(topLevelLiteral('{"\\x":1}', "__replay")).toBeNull(); // key that JSON.parse rejects
    expect(topLevelLiteral("{", "__replay")).toBeNull();
  });

  it("property: agrees with JSON.parse on serialized objects (compact and indented)", () => {
    const key = fc.oneof(
      fc.constantFrom("__replay", "a", "", "__proto__"),
      fc.string({ unit: "binary", maxLength: 4 }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(key, jsonValue, { maxKeys: 6 }),
        key,
        fc.constantFrom(undefined, 2),
        (obj, k, indent) => {
          const t = JSON.stringify(obj, null, indent);
          const parsed = JSON.parse(t) as Record<string, unknown>;
          const lit = topLevelLiteral(t, k);
          if (Object.prototype.hasOwnProperty.call(parsed, k)) {
            expect(lit).not.toBeNull();
            expect(JSON.parse(lit!)).toEqual(parsed[k]);
            if (indent === undefined) expect(lit).toBe(JSON.stringify(parsed[k]));
          } else {
            expect(lit).toBeNull();
          }
        },
      ),
    );
  });

  it("property: the last of several duplicates wins", () => {
    fc.assert(
      fc.property(fc.array(jsonValue, { minLength: 1, maxLength: 5 }), (values) => {
        const t =
          "{" + values.map((v, i) => `"k":${JSON.stringify(v)},"o${i}":{"k":0}`).join(",") + "}";
        expect(topLevelLiteral(t, "k")).toBe(JSON.stringify(values[values.length - 1]));
      }),
    );
  });

  it("property: never throws on arbitrary text", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.json().map((j) => j.slice(0, j.length - 1)),
        ),
        fc.string(),
        (t, k) => {
          expect(() => topLevelLiteral(t, k)).not.toThrow();
          expect(() => topLevelLiteral("{" + t, k)).not.toThrow();
        },
      ),
    );
  });
});
