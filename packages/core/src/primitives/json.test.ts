import { describe, it, expect } from "vitest";
import fc from "fast-check";
import type { JsonNode, JsonValue } from "./json.js";
import {
  field,
  float32,
  getPath,
  intOr,
  isJsonObject,
  isTruthyFlag,
  nullableInt,
  nullableLong,
  nullableText,
  num,
  text,
  tsMillis,
} from "./json.js";

/** JSON values as `JSON.parse` produces them, with unicode strings. */
const jsonNode: fc.Arbitrary<JsonNode> = fc.oneof(
  fc.jsonValue() as fc.Arbitrary<JsonValue>,
  fc.jsonValue({ stringUnit: "binary" }) as fc.Arbitrary<JsonValue>,
  fc.constant(undefined),
);

/** Anything at all, as an untyped caller might pass it. */
const anyNode = fc.anything({
  withBoxedValues: true,
  withMap: true,
  withSet: true,
}) as fc.Arbitrary<JsonNode>;

/** Strings that look numeric, almost-numeric or timestamp-like. */
const numericishString = fc.oneof(
  fc.stringMatching(/^[ \t]{0,2}[+-]?\d{0,25}(\.\d{0,5})?([eE][+-]?\d{1,3})?[ \t]{0,2}$/),
  fc.constantFrom(
    "",
    " ",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "1_000",
    "1e",
    ".",
    "+",
    "-",
    "\u00a01",
    "１２",
    "1 2",
  ),
  fc.string({ unit: "binary" }),
);

const everyHelper = (node: JsonNode): unknown[] => [
  isJsonObject(node),
  field(node, "a"),
  getPath(node, "a.b"),
  text(node),
  text(node, "d"),
  nullableText(node),
  num(node),
  num(node, 7),
  float32(node),
  nullableInt(node),
  nullableLong(node),
  intOr(node, 3),
  tsMillis(node),
  isTruthyFlag(node),
];

describe("isJsonObject", () => {
  it("is true only for non-null, non-array objects", () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject({ a: 1 })).toBe(true);
    expect(isJsonObject([])).toBe(false);
    expect(isJsonObject(null)).toBe(false);
    expect(isJsonObject(undefined)).toBe(false);
    expect(isJsonObject("{}")).toBe(false);
    expect(isJsonObject(0)).toBe(false);
    expect(isJsonObject(true)).toBe(false);
  });
});

describe("field", () => {
  it("reads a property of an object", () => {
    expect(field({ a: 1 }, "a")).toBe(1);
    expect(field({ a: { b: "x" } }, "a")).toEqual({ b: "x" });
    expect(field({ a: null }, "a")).toBeNull();
  });

  it("is undefined (missing) for an absent key", () => {
    expect(field({ a: 1 }, "b")).toBeUndefined();
  });

  it("is undefined for non-objects", () => {
    expect(field(null, "a")).toBeUndefined();
    expect(field(undefined, "a")).toBeUndefined();
    expect(field("abc", "length")).toBeUndefined();
    expect(field(5, "a")).toBeUndefined();
    expect(field(true, "a")).toBeUndefined();
    expect(field([1, 2], "0")).toBeUndefined();
    expect(field([1, 2], "length")).toBeUndefined();
  });

  it('reads an own "__proto__" key produced by JSON.parse', () => {
    const node = JSON.parse('{"__proto__": 5}') as JsonValue;
    expect(field(node, "__proto__")).toBe(5);
  });

  it("is undefined for inherited Object.prototype members", () => {
    expect(field({}, "constructor")).toBeUndefined();
    expect(field({}, "toString")).toBeUndefined();
    expect(field({}, "__proto__")).toBeUndefined();
    expect(getPath({ data: {} }, "data.constructor")).toBeUndefined();
    expect(getPath({}, "__proto__")).toBeUndefined();
  });

  it("property: equals the own property for JSON objects", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), (obj, key) => {
        const node = JSON.parse(JSON.stringify(obj)) as JsonValue;
        const keys = Object.keys(node as object);
        for (const k of keys) expect(field(node, k)).toEqual((node as Record<string, unknown>)[k]);
        fc.pre(!keys.includes(key) && !(key in Object.prototype));
        expect(field(node, key)).toBeUndefined();
      }),
    );
  });
});

describe("getPath", () => {
  const root = JSON.parse(
    '{"data":{"orchestrator_info":{"address":"0xAb","url":""},"n":null,"arr":[{"x":1}],"s":"str"},"top":1}',
  ) as JsonValue;

  it("resolves dotted paths", () => {
    expect(getPath(root, "data.orchestrator_info.address")).toBe("0xAb");
    expect(getPath(root, "data.orchestrator_info.url")).toBe("");
    expect(getPath(root, "top")).toBe(1);
    expect(getPath(root, "data.n")).toBeNull();
    expect(getPath(root, "data")).toEqual(
      JSON.parse(JSON.stringify((root as { data: unknown }).data)),
    );
  });

  it("is undefined for missing keys", () => {
    expect(getPath(root, "nope")).toBeUndefined();
    expect(getPath(root, "data.orchestrator_info.missing")).toBeUndefined();
    expect(getPath(root, "data.missing.deeper")).toBeUndefined();
  });

  it("yields undefined when descending through a non-object", () => {
    expect(getPath(root, "top.x")).toBeUndefined();
    expect(getPath(root, "data.n.x")).toBeUndefined();
    expect(getPath(root, "data.s.length")).toBeUndefined();
    expect(getPath(root, "data.arr.0")).toBeUndefined();
    expect(getPath(root, "data.arr.0.x")).toBeUndefined();
    expect(getPath(root, "data.orchestrator_info.address.length")).toBeUndefined();
    expect(getPath(null, "a")).toBeUndefined();
    expect(getPath(undefined, "a")).toBeUndefined();
    expect(getPath("x", "length")).toBeUndefined();
    expect(getPath([{ a: 1 }], "0.a")).toBeUndefined();
  });

  it("does not treat a dotted key as one key", () => {
    expect(getPath({ "a.b": 1 }, "a.b")).toBeUndefined();
  });

  it('treats empty path segments as the "" key', () => {
    expect(getPath({ "": 2 }, "")).toBe(2);
    expect(getPath({ a: { "": 3 } }, "a.")).toBe(3);
    expect(getPath({ a: 1 }, "")).toBeUndefined();
  });

  it("property: equals successive field() calls", () => {
    const path = fc.array(fc.constantFrom("a", "b", "c", ""), { minLength: 1, maxLength: 4 });
    const tree = fc.letrec<{ node: JsonValue }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.jsonValue({ maxDepth: 0 }) as fc.Arbitrary<JsonValue>,
        fc.dictionary(fc.constantFrom("a", "b", "c", ""), tie("node"), { maxKeys: 4 }),
        fc.array(tie("node"), { maxLength: 2 }),
      ),
    })).node;
    fc.assert(
      fc.property(tree, path, (node, keys) => {
        let expected: JsonNode = node;
        for (const k of keys) expected = field(expected, k);
        expect(getPath(node, keys.join("."))).toEqual(expected);
      }),
    );
  });
});

describe("text (lifecycle.md §0.4)", () => {
  it("returns strings untrimmed", () => {
    expect(text("a")).toBe("a");
    expect(text(" a ")).toBe(" a ");
    expect(text("")).toBe("");
    expect(text("\u00a0")).toBe("\u00a0");
  });

  it("renders numbers and booleans as text", () => {
    expect(text(5)).toBe("5");
    expect(text(-1.5)).toBe("-1.5");
    expect(text(0)).toBe("0");
    expect(text(1767908945298)).toBe("1767908945298");
    expect(text(true)).toBe("true");
    expect(text(false)).toBe("false");
  });

  it("returns the default for null/missing", () => {
    expect(text(null)).toBe("");
    expect(text(undefined)).toBe("");
    expect(text(undefined, "x")).toBe("x");
    expect(text(null, "x")).toBe("x");
  });

  it('returns "" for objects and arrays, whatever the default', () => {
    expect(text({})).toBe("");
    expect(text({ a: 1 })).toBe("");
    expect(text([])).toBe("");
    expect(text(["a"], "x")).toBe("");
    expect(text({}, "x")).toBe("");
  });

  it("property: the string itself for any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string(), (s, d) => {
        expect(text(s, d)).toBe(s);
      }),
    );
  });

  it("property: String(n) for any finite number", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(text(n)).toBe(String(n));
      }),
    );
  });
});

describe("nullableText", () => {
  it('is null for missing, null and ""', () => {
    expect(nullableText(undefined)).toBeNull();
    expect(nullableText(null)).toBeNull();
    expect(nullableText("")).toBeNull();
  });

  it("keeps whitespace-only strings", () => {
    expect(nullableText(" ")).toBe(" ");
    expect(nullableText("\t\n")).toBe("\t\n");
  });

  it("renders scalars", () => {
    expect(nullableText("a")).toBe("a");
    expect(nullableText(0)).toBe("0");
    expect(nullableText(false)).toBe("false");
  });

  it('is null for objects and arrays (their text is "")', () => {
    expect(nullableText({})).toBeNull();
    expect(nullableText([1])).toBeNull();
  });

  it('property: text() with "" → null', () => {
    fc.assert(
      fc.property(jsonNode, (node) => {
        const t = text(node);
        expect(nullableText(node)).toBe(node === null || node === undefined || t === "" ? null : t);
      }),
    );
  });
});

describe("num (lifecycle.md §0.4)", () => {
  it("returns JSON numbers as is", () => {
    expect(num(5)).toBe(5);
    expect(num(-2.25)).toBe(-2.25);
    expect(num(5, 9)).toBe(5);
    expect(num(1e300)).toBe(1e300);
  });

  it("parses numeric strings after jtrim", () => {
    expect(num("77")).toBe(77);
    expect(num(" 1.5 ")).toBe(1.5);
    expect(num("\t-3\n")).toBe(-3);
    expect(num("1e3")).toBe(1000);
    expect(num("2.5E-1")).toBe(0.25);
    expect(num("+4")).toBe(4);
    expect(num(".5")).toBe(0.5);
    expect(num("1.")).toBe(1);
    expect(num("007")).toBe(7);
  });

  it("maps booleans to 1/0", () => {
    expect(num(true)).toBe(1);
    expect(num(false)).toBe(0);
    expect(num(true, 9)).toBe(1);
  });

  it("returns the default otherwise", () => {
    expect(num("abc", 0)).toBe(0);
    expect(num("abc")).toBe(0);
    expect(num("abc", 42)).toBe(42);
    expect(num("", 1)).toBe(1);
    expect(num("  ", 1)).toBe(1);
    expect(num(null, 2)).toBe(2);
    expect(num(undefined, 3)).toBe(3);
    expect(num({}, 4)).toBe(4);
    expect(num([1], 5)).toBe(5);
    expect(num("0x10", 6)).toBe(6);
    expect(num("1_000", 6)).toBe(6);
    expect(num("1 2", 6)).toBe(6);
    expect(num("NaN", 6)).toBe(6);
    expect(num("Infinity", 6)).toBe(6);
    expect(num("1e999", 6)).toBe(6); // parses, but non-finite
    expect(num("\u00a01", 6)).toBe(6); // U+00A0 is not trimmed
    expect(num(".", 6)).toBe(6);
    expect(num("e5", 6)).toBe(6);
  });

  it("property: numeric strings parse like Number() when finite, else the default", () => {
    fc.assert(
      fc.property(numericishString, (s) => {
        const r = num(s, -123456.5);
        const t = s.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "");
        if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && Number.isFinite(Number(t))) {
          expect(r).toBe(Number(t));
        } else {
          expect(r).toBe(-123456.5);
        }
      }),
    );
  });

  it("property: num(String(n)) === n for finite doubles", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(num(String(n))).toBe(n + 0); // String(-0) is "0"
        expect(num(n)).toBe(n);
      }),
    );
  });
});

describe("float32", () => {
  it("has fround parity", () => {
    expect(float32(23.584042845918553)).toBe(Math.fround(23.584042845918553));
    expect(float32(0.9)).toBe(0.8999999761581421);
    expect(float32(0.7)).toBe(0.699999988079071);
    expect(float32(0.4)).toBe(0.4000000059604645);
    expect(float32(1 / 3)).toBe(0.3333333432674408);
    expect(float32(2 / 3)).toBe(0.6666666865348816);
    expect(float32(1)).toBe(1);
    expect(float32(0)).toBe(0);
  });

  it("coerces like num, then rounds", () => {
    expect(float32("0.9")).toBe(0.8999999761581421);
    expect(float32(true)).toBe(1);
    expect(float32(null)).toBe(0);
    expect(float32(undefined, 0.7)).toBe(Math.fround(0.7));
    expect(float32("x", 0.4)).toBe(Math.fround(0.4));
  });

  it("property: float32(node) === Math.fround(num(node))", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonNode,
          fc.double().map((d): JsonNode => d),
          numericishString,
        ),
        (node) => {
          expect(float32(node)).toBe(Math.fround(num(node)));
        },
      ),
    );
  });
});

describe("nullableInt / nullableLong (attribution.md §0.2)", () => {
  it("truncates JSON numbers to their integer part", () => {
    expect(nullableInt(12.9)).toBe(12);
    expect(nullableInt(-12.9)).toBe(-12);
    expect(nullableInt(0.5)).toBe(0);
    expect(nullableInt(7)).toBe(7);
  });

  it("never returns -0", () => {
    expect(Object.is(nullableInt(-0), 0)).toBe(true);
    expect(Object.is(nullableInt(-0.5), 0)).toBe(true);
    expect(Object.is(nullableInt("-0"), 0)).toBe(true);
  });

  it("parses strict decimal integers after jtrim", () => {
    expect(nullableInt(" -7 ")).toBe(-7);
    expect(nullableInt("+7")).toBe(7);
    expect(nullableInt("0012")).toBe(12);
    expect(nullableInt("\n42\t")).toBe(42);
  });

  it("keeps values outside int32 as exact JS integers", () => {
    expect(nullableInt("2147483648")).toBe(2147483648);
    expect(nullableInt("-2147483649")).toBe(-2147483649);
    expect(nullableInt(8589934592)).toBe(8589934592);
    expect(nullableLong("9007199254740991")).toBe(9007199254740991);
  });

  it("is null for everything else", () => {
    expect(nullableInt("1.5")).toBeNull();
    expect(nullableInt("1e3")).toBeNull();
    expect(nullableInt("")).toBeNull();
    expect(nullableInt("  ")).toBeNull();
    expect(nullableInt("abc")).toBeNull();
    expect(nullableInt("- 1")).toBeNull();
    expect(nullableInt("0x1")).toBeNull();
    expect(nullableInt("\u00a01")).toBeNull();
    expect(nullableInt(true)).toBeNull();
    expect(nullableInt(false)).toBeNull();
    expect(nullableInt(null)).toBeNull();
    expect(nullableInt(undefined)).toBeNull();
    expect(nullableInt({})).toBeNull();
    expect(nullableInt([1])).toBeNull();
    expect(nullableInt(Number.NaN)).toBeNull();
    expect(nullableInt(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it("nullableLong is the same rule", () => {
    expect(nullableLong(12.9)).toBe(12);
    expect(nullableLong(" -7 ")).toBe(-7);
    expect(nullableLong("1.5")).toBeNull();
    expect(nullableLong(null)).toBeNull();
  });

  it("property: Math.trunc for finite numbers", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(nullableInt(n)).toBe(Math.trunc(n) + 0);
        expect(nullableLong(n)).toBe(nullableInt(n));
      }),
    );
  });

  it("property: round-trips safe integers through their string form (with padding and sign)", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.constantFrom("", " ", "\t", "\n "), (n, pad) => {
        expect(nullableInt(`${pad}${n}${pad}`)).toBe(n);
        if (n >= 0) expect(nullableInt(`+${n}`)).toBe(n);
      }),
    );
  });

  it("property: strings are null unless they are a strict signed integer", () => {
    fc.assert(
      fc.property(numericishString, (s) => {
        const t = s.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "");
        const r = nullableInt(s);
        if (/^[+-]?\d+$/.test(t)) expect(r).toBe(Number(t) + 0);
        else expect(r).toBeNull();
      }),
    );
  });
});

describe("intOr", () => {
  it("returns nullableInt or the default", () => {
    expect(intOr("3", 5)).toBe(3);
    expect(intOr(9.9)).toBe(9);
    expect(intOr("x", 5)).toBe(5);
    expect(intOr(undefined)).toBe(0);
    expect(intOr(null, -1)).toBe(-1);
    expect(intOr("1.5", 8)).toBe(8);
    expect(intOr(true, 8)).toBe(8);
  });

  it("property: nullableInt(node) ?? dflt", () => {
    fc.assert(
      fc.property(fc.oneof(jsonNode, numericishString), fc.integer(), (node, d) => {
        expect(intOr(node, d)).toBe(nullableInt(node) ?? d);
      }),
    );
  });
});

describe("tsMillis (ingest-and-storage.md §1.3)", () => {
  it("accepts integer JSON numbers, including negative ones", () => {
    expect(tsMillis(1767908945298)).toBe(1767908945298);
    expect(tsMillis(0)).toBe(0);
    expect(tsMillis(-5)).toBe(-5);
    expect(tsMillis(-1767908945298)).toBe(-1767908945298);
  });

  it("truncates fractional JSON numbers toward zero (no unit detection)", () => {
    expect(tsMillis(1743500000.123)).toBe(1743500000);
    expect(tsMillis(1.7e12)).toBe(1700000000000);
    expect(tsMillis(1.9)).toBe(1);
    expect(tsMillis(-1.9)).toBe(-1);
    expect(Object.is(tsMillis(-0.5), 0)).toBe(true);
    expect(Object.is(tsMillis(-0), 0)).toBe(true);
  });

  it("rejects numbers outside int64", () => {
    expect(tsMillis(2 ** 63)).toBeNull();
    expect(tsMillis(1e19)).toBeNull();
    expect(tsMillis(1e300)).toBeNull();
    expect(tsMillis(-1e19)).toBeNull();
    expect(tsMillis(-(2 ** 63) * 1.0000001)).toBeNull();
    expect(tsMillis(-(2 ** 63))).toBe(-(2 ** 63)); // Long.MIN_VALUE is representable
    expect(tsMillis(2 ** 62)).toBe(2 ** 62);
  });

  it("rejects non-finite numbers", () => {
    expect(tsMillis(Number.NaN)).toBeNull();
    expect(tsMillis(Number.POSITIVE_INFINITY)).toBeNull();
    expect(tsMillis(Number.NEGATIVE_INFINITY)).toBeNull();
  });

  it("parses digit strings after jtrim", () => {
    expect(tsMillis("1767908945298")).toBe(1767908945298);
    expect(tsMillis(" 17 ")).toBe(17);
    expect(tsMillis("\t17\r\n")).toBe(17);
    expect(tsMillis("0")).toBe(0);
    expect(tsMillis("00017")).toBe(17);
    expect(tsMillis("9223372036854775807")).toBe(9223372036854775807);
    expect(tsMillis("00000000000000000000000000001")).toBe(1);
  });

  it("rejects digit strings that overflow int64", () => {
    expect(tsMillis("9223372036854775808")).toBeNull();
    expect(tsMillis("99999999999999999999")).toBeNull();
    expect(tsMillis("1" + "0".repeat(40))).toBeNull();
  });

  it("rejects empty, signed, fractional and non-digit strings", () => {
    expect(tsMillis("")).toBeNull();
    expect(tsMillis("   ")).toBeNull();
    expect(tsMillis("-5")).toBeNull();
    expect(tsMillis("+5")).toBeNull();
    expect(tsMillis("1.5")).toBeNull();
    expect(tsMillis("1.")).toBeNull();
    expect(tsMillis("1e3")).toBeNull();
    expect(tsMillis("0x10")).toBeNull();
    expect(tsMillis("12a")).toBeNull();
    expect(tsMillis("1 2")).toBeNull();
    expect(tsMillis("abc")).toBeNull();
    expect(tsMillis("NaN")).toBeNull();
    expect(tsMillis("Infinity")).toBeNull();
    expect(tsMillis("１７")).toBeNull(); // full-width digits are not ASCII digits
    expect(tsMillis("\u0661\u0662")).toBeNull(); // Arabic-Indic digits
    expect(tsMillis("\u00a017")).toBeNull(); // U+00A0 is not trimmed
    expect(tsMillis("17\ufeff")).toBeNull();
  });

  it("rejects null, missing, booleans, objects and arrays", () => {
    expect(tsMillis(null)).toBeNull();
    expect(tsMillis(undefined)).toBeNull();
    expect(tsMillis(true)).toBeNull();
    expect(tsMillis(false)).toBeNull();
    expect(tsMillis({})).toBeNull();
    expect(tsMillis({ value: 1 })).toBeNull();
    expect(tsMillis([])).toBeNull();
    expect(tsMillis([1767908945298])).toBeNull();
    expect(tsMillis(["1767908945298"])).toBeNull();
  });

  it("property: tsMillis(n) === n and tsMillis(String(n)) === n for non-negative safe integers", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(tsMillis(n)).toBe(n);
        expect(tsMillis(String(n))).toBe(n);
        expect(tsMillis(` ${n}\t`)).toBe(n);
      }),
    );
  });

  it("property: negative safe integers are accepted as numbers but rejected as strings", () => {
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }), (n) => {
        expect(tsMillis(n)).toBe(n);
        expect(tsMillis(String(n))).toBeNull();
      }),
    );
  });

  it("property: finite numbers are truncated toward zero when inside int64, else null", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        const t = Math.trunc(d) + 0;
        const inRange = BigInt(t) >= -(2n ** 63n) && BigInt(t) <= 2n ** 63n - 1n;
        expect(tsMillis(d)).toBe(inRange ? t : null);
      }),
    );
  });

  it("property: digit strings of any length parse iff they fit int64", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,25}$/), (s) => {
        const fits = BigInt(s) <= 2n ** 63n - 1n;
        expect(tsMillis(s)).toBe(fits ? Number(s) : null);
      }),
    );
  });

  it("property: strings with any non-digit after jtrim are null", () => {
    fc.assert(
      fc.property(numericishString, (s) => {
        const t = s.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "");
        if (!/^[0-9]+$/.test(t)) expect(tsMillis(s)).toBeNull();
      }),
    );
  });
});

describe("isTruthyFlag (ingest-and-storage.md §1.5)", () => {
  it('is true for true, non-zero integers and "true" after jtrim', () => {
    expect(isTruthyFlag(true)).toBe(true);
    expect(isTruthyFlag(1)).toBe(true);
    expect(isTruthyFlag(-3)).toBe(true);
    expect(isTruthyFlag(2 ** 40)).toBe(true);
    expect(isTruthyFlag("true")).toBe(true);
    expect(isTruthyFlag(" true ")).toBe(true);
    expect(isTruthyFlag("\ttrue\n")).toBe(true);
  });

  it("is false for everything else", () => {
    expect(isTruthyFlag(false)).toBe(false);
    expect(isTruthyFlag(0)).toBe(false);
    expect(isTruthyFlag(-0)).toBe(false);
    expect(isTruthyFlag("TRUE")).toBe(false);
    expect(isTruthyFlag("True")).toBe(false);
    expect(isTruthyFlag("1")).toBe(false);
    expect(isTruthyFlag("yes")).toBe(false);
    expect(isTruthyFlag("")).toBe(false);
    expect(isTruthyFlag("\u00a0true")).toBe(false);
    expect(isTruthyFlag(1.5)).toBe(false);
    expect(isTruthyFlag(-0.5)).toBe(false);
    expect(isTruthyFlag(Number.NaN)).toBe(false);
    expect(isTruthyFlag(null)).toBe(false);
    expect(isTruthyFlag(undefined)).toBe(false);
    expect(isTruthyFlag({})).toBe(false);
    expect(isTruthyFlag({ value: true })).toBe(false);
    expect(isTruthyFlag([])).toBe(false);
    expect(isTruthyFlag([true])).toBe(false);
  });

  it("property: integers are truthy iff non-zero; other doubles are falsy", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (d) => {
        expect(isTruthyFlag(d)).toBe(Number.isInteger(d) && d !== 0);
      }),
    );
  });
});

describe("totality", () => {
  it("property: no helper throws on JSON values", () => {
    fc.assert(
      fc.property(jsonNode, (node) => {
        expect(() => everyHelper(node)).not.toThrow();
      }),
    );
  });

  it("property: no helper throws on arbitrary values", () => {
    fc.assert(
      fc.property(anyNode, (node) => {
        expect(() => everyHelper(node)).not.toThrow();
      }),
    );
  });

  it("property: no helper throws on arbitrary strings and paths", () => {
    fc.assert(
      fc.property(
        fc.oneof(numericishString, fc.string({ unit: "grapheme" })),
        fc.string(),
        (s, path) => {
          expect(() => everyHelper(s)).not.toThrow();
          expect(() => getPath({ a: { b: s } }, path)).not.toThrow();
        },
      ),
    );
  });

  it("property: result types are as documented for JSON values", () => {
    fc.assert(
      fc.property(jsonNode, fc.string(), (node, d) => {
        expect(typeof text(node, d)).toBe("string");
        const nt = nullableText(node);
        expect(nt === null || (typeof nt === "string" && nt !== "")).toBe(true);
        expect(typeof num(node)).toBe("number");
        const i = nullableInt(node);
        expect(i === null || Number.isInteger(i)).toBe(true);
        const ts = tsMillis(node);
        expect(ts === null || Number.isInteger(ts)).toBe(true);
        expect(typeof isTruthyFlag(node)).toBe("boolean");
      }),
    );
  });
});
