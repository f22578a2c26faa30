import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  EMPTY_KEY,
  blankToNull,
  compareKey,
  compareStrings,
  containsLower,
  eqIgnoreCase,
  eqModel,
  firstNonBlank,
  isBlank,
  isHexAddress,
  jtrim,
  normAddr,
} from "./strings.js";

/** Every UTF-16 code unit <= U+0020: the JVM `trim()` whitespace set. */
const JVM_WS: readonly string[] = Array.from({ length: 0x21 }, (_, i) => String.fromCharCode(i));

/** Characters JS `trim()` (or `\s`) treats as whitespace but the JVM does not. */
const NON_JVM_WS: readonly string[] = [
  "\u0085", // NEL
  "\u00a0", // no-break space
  "\u1680", // ogham space mark
  "\u2000", // en quad
  "\u2007", // figure space
  "\u200a", // hair space
  "\u200b", // zero-width space
  "\u2028", // line separator
  "\u2029", // paragraph separator
  "\u202f", // narrow no-break space
  "\u205f", // medium mathematical space
  "\u3000", // ideographic space
  "\ufeff", // byte-order mark / zero-width no-break space
];

/** Strings biased towards whitespace of both kinds, plus arbitrary code points and lone surrogates. */
const wsHeavyString = fc.string({
  unit: fc.oneof(
    { arbitrary: fc.constantFrom(...JVM_WS), weight: 4 },
    { arbitrary: fc.constantFrom(...NON_JVM_WS), weight: 2 },
    { arbitrary: fc.constantFrom("a", "B", "0x", "Σ", "İ", "ß", "_"), weight: 2 },
    { arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), weight: 1 },
    {
      arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
      weight: 1,
    },
  ),
  maxLength: 20,
});

const anyString = fc.oneof(
  wsHeavyString,
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary-ascii" }),
);

const nullableString = fc.oneof(
  { arbitrary: anyString, weight: 8 },
  { arbitrary: fc.constantFrom(null, undefined), weight: 1 },
);

describe("isBlank", () => {
  it("StringSemanticsTest.isBlankCoversNullWhitespaceAndNonBlank", () => {
    expect(isBlank(null)).toBe(true);
    expect(isBlank("")).toBe(true);
    expect(isBlank("   ")).toBe(true);
    expect(isBlank("a")).toBe(false);
  });

  it("treats undefined as blank", () => {
    expect(isBlank(undefined)).toBe(true);
  });

  it("treats every code unit <= U+0020 as blank, alone and combined", () => {
    for (const c of JVM_WS) {
      expect(isBlank(c), `U+${c.charCodeAt(0).toString(16)}`).toBe(true);
      expect(isBlank(c + c + " ")).toBe(true);
    }
    expect(isBlank(JVM_WS.join(""))).toBe(true);
    expect(isBlank("\u0000")).toBe(true);
    expect(isBlank("\u001f")).toBe(true);
    expect(isBlank(" \t\n\r\u000b\u000c")).toBe(true);
  });

  it("does not treat non-ASCII whitespace (U+00A0, U+2028, U+3000, U+FEFF, U+0085, ...) as blank", () => {
    for (const c of NON_JVM_WS) {
      expect(isBlank(c), `U+${c.charCodeAt(0).toString(16)}`).toBe(false);
      expect(isBlank(` ${c}\t`)).toBe(false);
    }
  });

  it("treats U+0021 and U+007F as non-blank", () => {
    expect(isBlank("!")).toBe(false);
    expect(isBlank("\u007f")).toBe(false);
    expect(isBlank("  x  ")).toBe(false);
  });

  it("treats a lone surrogate as non-blank", () => {
    expect(isBlank("\ud800")).toBe(false);
    expect(isBlank(" \udfff ")).toBe(false);
  });

  it("property: blank iff every code unit <= U+0020", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const expected = [...Array(s.length).keys()].every((i) => s.charCodeAt(i) <= 0x20);
        expect(isBlank(s)).toBe(expected);
      }),
    );
  });

  it('property: isBlank(s) <=> jtrim(s) === ""', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(isBlank(s)).toBe(jtrim(s) === "");
      }),
    );
  });
});

describe("jtrim", () => {
  it("removes leading and trailing code units <= U+0020", () => {
    expect(jtrim(" \t s \n")).toBe("s");
    expect(jtrim("\u0000\u001fx\u000b\u000c")).toBe("x");
    expect(jtrim("\r\n a b \r\n")).toBe("a b");
    expect(jtrim(JVM_WS.join("") + "v" + JVM_WS.join(""))).toBe("v");
  });

  it("keeps inner whitespace", () => {
    expect(jtrim("  a \t\n b  ")).toBe("a \t\n b");
  });

  it('returns "" for blank strings', () => {
    expect(jtrim("")).toBe("");
    expect(jtrim("   ")).toBe("");
    expect(jtrim(JVM_WS.join(""))).toBe("");
  });

  it("returns the very same string when there is nothing to trim", () => {
    expect(jtrim("abc")).toBe("abc");
    expect(jtrim("\u00a0")).toBe("\u00a0");
  });

  it("does not trim non-ASCII whitespace (unlike String.prototype.trim)", () => {
    for (const c of NON_JVM_WS) {
      expect(jtrim(`${c}s${c}`)).toBe(`${c}s${c}`);
      expect(jtrim(` ${c} `)).toBe(c);
      expect(jtrim(c)).toBe(c);
    }
    expect(jtrim("\u00a0s\u00a0")).toBe("\u00a0s\u00a0");
    expect(jtrim("\ufeff{}")).toBe("\ufeff{}");
    expect("\u3000x\u3000".trim()).toBe("x"); // the JS behaviour jtrim must not copy
    expect(jtrim("\u3000x\u3000")).toBe("\u3000x\u3000");
  });

  it("does not trim lone surrogates", () => {
    expect(jtrim(" \ud800 ")).toBe("\ud800");
  });

  it("property: idempotent", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(jtrim(jtrim(s))).toBe(jtrim(s));
      }),
    );
  });

  it("property: result is a substring whose ends are > U+0020, and only code units <= U+0020 are removed", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const t = jtrim(s);
        const start = s.indexOf(t);
        if (t === "") {
          expect(isBlank(s)).toBe(true);
          return;
        }
        expect(start).toBeGreaterThanOrEqual(0);
        expect(t.charCodeAt(0)).toBeGreaterThan(0x20);
        expect(t.charCodeAt(t.length - 1)).toBeGreaterThan(0x20);
        // Everything removed is <= U+0020: the prefix and suffix consist only of such code units.
        let lead = 0;
        while (lead < s.length && s.charCodeAt(lead) <= 0x20) lead++;
        let trail = s.length;
        while (trail > lead && s.charCodeAt(trail - 1) <= 0x20) trail--;
        expect(t).toBe(s.slice(lead, trail));
      }),
    );
  });

  it("property: never removes a code unit > U+0020", () => {
    const count = (s: string): number => {
      let n = 0;
      for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x20) n++;
      return n;
    };
    fc.assert(
      fc.property(anyString, (s) => {
        expect(count(jtrim(s))).toBe(count(s));
      }),
    );
  });

  it("property: padding with JVM whitespace does not change the result", () => {
    const pad = fc.string({ unit: fc.constantFrom(...JVM_WS), maxLength: 5 });
    fc.assert(
      fc.property(pad, anyString, pad, (l, s, r) => {
        expect(jtrim(l + s + r)).toBe(jtrim(s));
      }),
    );
  });
});

describe("firstNonBlank", () => {
  it("StringSemanticsTest.firstNonBlankReturnsFirstUsefulValueElseEmptyString", () => {
    expect(firstNonBlank(" ", null, "x", "y")).toBe("x");
    expect(firstNonBlank(" ", null, "\t")).toBe("");
  });

  it("returns the value unmodified (not trimmed)", () => {
    expect(firstNonBlank(undefined, "", "  padded  ", "z")).toBe("  padded  ");
  });

  it('returns "" with no arguments', () => {
    expect(firstNonBlank()).toBe("");
  });

  it("accepts non-ASCII whitespace as a useful value", () => {
    expect(firstNonBlank(" ", "\u00a0", "x")).toBe("\u00a0");
    expect(firstNonBlank("\u3000")).toBe("\u3000");
  });

  it('property: equals the first non-blank argument or ""', () => {
    fc.assert(
      fc.property(fc.array(nullableString, { maxLength: 6 }), (values) => {
        const expected = values.find((v) => !isBlank(v)) ?? "";
        expect(firstNonBlank(...values)).toBe(expected);
      }),
    );
  });
});

describe("blankToNull", () => {
  it("StringSemanticsTest.blankToNullConvertsOnlyBlankValues", () => {
    expect(blankToNull(null)).toBeNull();
    expect(blankToNull(" ")).toBeNull();
    expect(blankToNull(" value ")).toBe(" value ");
  });

  it('maps undefined, "" and control-character-only strings to null', () => {
    expect(blankToNull(undefined)).toBeNull();
    expect(blankToNull("")).toBeNull();
    expect(blankToNull("\u0000\t\n")).toBeNull();
  });

  it("keeps non-ASCII whitespace", () => {
    expect(blankToNull("\u00a0")).toBe("\u00a0");
    expect(blankToNull("\ufeff")).toBe("\ufeff");
  });

  it("property: null iff blank, else identity", () => {
    fc.assert(
      fc.property(nullableString, (s) => {
        expect(blankToNull(s)).toBe(isBlank(s) ? null : s);
      }),
    );
  });
});

describe("normAddr (attribution.md §2)", () => {
  it("AddressNormalizerTest.normalizeOrEmptyTrimsAndLowerCases", () => {
    expect(normAddr(null)).toBe("");
    expect(normAddr("   ")).toBe("");
    expect(normAddr(" 0xAbC123 ")).toBe("0xabc123");
  });

  it("follows the §2 table", () => {
    expect(normAddr(undefined)).toBe("");
    expect(normAddr("")).toBe("");
    expect(normAddr("\t")).toBe("");
    expect(normAddr("0xcdF93B13EFCf63f84f2afFB01BeC48A5c096C69E")).toBe(
      "0xcdf93b13efcf63f84f2affb01bec48a5c096c69e",
    );
    // no 0x is added
    expect(normAddr("CDF93B13EFCF63F84F2AFFB01BEC48A5C096C69E")).toBe(
      "cdf93b13efcf63f84f2affb01bec48a5c096c69e",
    );
    // the prefix is just lower-cased, never stripped
    expect(normAddr("0X9D61B19DEFFD5A60BA844AF492EC2CC44449C5697")).toBe(
      "0x9d61b19deffd5a60ba844af492ec2cc44449c5697",
    );
    // no validation
    expect(normAddr("0xZZ")).toBe("0xzz");
    expect(normAddr("not-an-address")).toBe("not-an-address");
  });

  it("trims only JVM whitespace", () => {
    expect(normAddr("\n\t0xAB\r\u0000")).toBe("0xab");
    expect(normAddr("\u00a00xAB\u00a0")).toBe("\u00a00xab\u00a0");
    expect(normAddr("\u3000")).toBe("\u3000");
  });

  it("property: idempotent", () => {
    fc.assert(
      fc.property(nullableString, (s) => {
        const n = normAddr(s);
        expect(normAddr(n)).toBe(n);
      }),
    );
  });

  it('property: "" iff blank, else lower(jtrim(s))', () => {
    fc.assert(
      fc.property(nullableString, (s) => {
        if (isBlank(s)) expect(normAddr(s)).toBe("");
        else {
          expect(normAddr(s)).toBe(jtrim(s).toLowerCase());
          expect(normAddr(s)).not.toBe("");
        }
      }),
    );
  });

  it("property: insensitive to ASCII case and JVM-whitespace padding", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^(0x)?[0-9a-fA-F]{0,40}$/), (s) => {
        expect(normAddr(` ${s.toUpperCase()}\t`)).toBe(normAddr(s.toLowerCase()));
      }),
    );
  });
});

describe("isHexAddress", () => {
  it("accepts 0x + 40 hex digits after normalization", () => {
    expect(isHexAddress("0xcdf93b13efcf63f84f2affb01bec48a5c096c69e")).toBe(true);
    expect(isHexAddress(" 0xCDF93B13EFCF63F84F2AFFB01BEC48A5C096C69E ")).toBe(true);
    expect(isHexAddress("0XCDF93B13EFCF63F84F2AFFB01BEC48A5C096C69E")).toBe(true);
  });

  it("rejects everything else", () => {
    expect(isHexAddress(null)).toBe(false);
    expect(isHexAddress(undefined)).toBe(false);
    expect(isHexAddress("")).toBe(false);
    expect(isHexAddress("   ")).toBe(false);
    expect(isHexAddress("cdf93b13efcf63f84f2affb01bec48a5c096c69e")).toBe(false);
    expect(isHexAddress("0xcdf93b13efcf63f84f2affb01bec48a5c096c69")).toBe(false);
    expect(isHexAddress("0xcdf93b13efcf63f84f2affb01bec48a5c096c69e0")).toBe(false);
    expect(isHexAddress("0xzdf93b13efcf63f84f2affb01bec48a5c096c69e")).toBe(false);
    expect(isHexAddress("0xabc123")).toBe(false);
    expect(isHexAddress("\u00a00xcdf93b13efcf63f84f2affb01bec48a5c096c69e")).toBe(false);
  });

  it("property: agrees with the §2 definition", () => {
    const hex = fc.stringMatching(/^(0[xX])?[0-9a-fA-FgG]{38,42}$/);
    fc.assert(
      fc.property(fc.oneof(hex, nullableString), (s) => {
        const n = normAddr(s);
        const expected = n.length === 42 && n.startsWith("0x") && /^[0-9a-f]+$/.test(n.slice(2));
        expect(isHexAddress(s)).toBe(expected);
      }),
    );
  });
});

describe("compareKey (attribution.md §0.2 key)", () => {
  it('is "__empty__" for blank values', () => {
    expect(EMPTY_KEY).toBe("__empty__");
    expect(compareKey(null)).toBe("__empty__");
    expect(compareKey(undefined)).toBe("__empty__");
    expect(compareKey("")).toBe("__empty__");
    expect(compareKey(" \t\n")).toBe("__empty__");
  });

  it("is lower(jtrim(s)) otherwise", () => {
    expect(compareKey(" Https://Orch:1 ")).toBe("https://orch:1");
    expect(compareKey("Model-X")).toBe("model-x");
    expect(compareKey("\u00a0")).toBe("\u00a0");
  });

  it('property: "__empty__" iff blank (for values that do not themselves normalize to "__empty__")', () => {
    fc.assert(
      fc.property(nullableString, (s) => {
        fc.pre(isBlank(s) || jtrim(s).toLowerCase() !== EMPTY_KEY);
        expect(compareKey(s) === EMPTY_KEY).toBe(isBlank(s));
        if (!isBlank(s)) expect(compareKey(s)).toBe(normAddr(s));
      }),
    );
  });

  it("property: idempotent on non-blank values", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        fc.pre(!isBlank(s));
        expect(compareKey(compareKey(s))).toBe(compareKey(s));
      }),
    );
  });
});

describe("eqModel", () => {
  it("compares after jtrim, case-insensitively", () => {
    expect(eqModel(" StreamDiffusion ", "streamdiffusion")).toBe(true);
    expect(eqModel("a", "b")).toBe(false);
    expect(eqModel("a b", "ab")).toBe(false);
  });

  it('treats null/undefined as ""', () => {
    expect(eqModel(null, "")).toBe(true);
    expect(eqModel(undefined, "  ")).toBe(true);
    expect(eqModel(null, undefined)).toBe(true);
    expect(eqModel(null, "x")).toBe(false);
  });

  it("does not trim non-ASCII whitespace", () => {
    expect(eqModel("\u00a0m", "m")).toBe(false);
  });

  it("property: reflexive, symmetric and consistent with lower(jtrim())", () => {
    fc.assert(
      fc.property(nullableString, nullableString, (a, b) => {
        expect(eqModel(a, a)).toBe(true);
        expect(eqModel(a, b)).toBe(eqModel(b, a));
        expect(eqModel(a, b)).toBe(jtrim(a ?? "").toLowerCase() === jtrim(b ?? "").toLowerCase());
      }),
    );
  });
});

describe("eqIgnoreCase", () => {
  it("compares case-insensitively without trimming", () => {
    expect(eqIgnoreCase("ERROR", "error")).toBe(true);
    expect(eqIgnoreCase("Params_Update", "params_update")).toBe(true);
    expect(eqIgnoreCase(" error", "error")).toBe(false);
    expect(eqIgnoreCase("", "")).toBe(true);
  });

  it("never matches null/undefined", () => {
    expect(eqIgnoreCase(null, null)).toBe(false);
    expect(eqIgnoreCase(undefined, undefined)).toBe(false);
    expect(eqIgnoreCase(null, "")).toBe(false);
    expect(eqIgnoreCase("", undefined)).toBe(false);
  });

  it("property: symmetric and reflexive on strings", () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        expect(eqIgnoreCase(a, a)).toBe(true);
        expect(eqIgnoreCase(a, b)).toBe(eqIgnoreCase(b, a));
      }),
    );
  });
});

describe("containsLower", () => {
  it("is a substring test on the lower-cased haystack", () => {
    expect(containsLower("Error: Pipeline FAILED", "failed")).toBe(true);
    expect(containsLower("abc", "")).toBe(true);
    expect(containsLower("abc", "d")).toBe(false);
  });

  it("does not lower-case the needle", () => {
    expect(containsLower("ABC", "B")).toBe(false);
  });

  it("is false for a null/undefined haystack", () => {
    expect(containsLower(null, "")).toBe(false);
    expect(containsLower(undefined, "x")).toBe(false);
  });

  it("property: any lower-cased slice of the lower-cased haystack is contained", () => {
    fc.assert(
      fc.property(anyString, fc.nat(), fc.nat(), (s, i, j) => {
        const l = s.toLowerCase();
        const a = Math.min(i, j) % (l.length + 1);
        const b = Math.max(i, j) % (l.length + 1);
        expect(containsLower(s, l.slice(Math.min(a, b), Math.max(a, b)))).toBe(true);
      }),
    );
  });
});

describe("compareStrings", () => {
  it("orders by UTF-16 code units, not by locale", () => {
    expect(compareStrings("a", "b")).toBeLessThan(0);
    expect(compareStrings("b", "a")).toBeGreaterThan(0);
    expect(compareStrings("a", "a")).toBe(0);
    expect(compareStrings("", "a")).toBeLessThan(0);
    expect(compareStrings("a", "ab")).toBeLessThan(0);
    // Upper case sorts before lower case (code units), unlike localeCompare.
    expect(compareStrings("B", "a")).toBeLessThan(0);
    expect(compareStrings("Z", "a")).toBeLessThan(0);
    // Code-unit (Java compareTo) order, not code-point order: a surrogate pair < U+FFFF.
    expect(compareStrings("\u{1f600}", "\uffff")).toBeLessThan(0);
    expect(compareStrings("\u00e4", "z")).toBeGreaterThan(0);
  });

  it("returns exactly -1, 0 or 1", () => {
    expect(compareStrings("x", "y")).toBe(-1);
    expect(compareStrings("y", "x")).toBe(1);
    expect(compareStrings("y", "y")).toBe(0);
  });

  it("property: consistent with < and ===, antisymmetric", () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        const c = compareStrings(a, b);
        expect(c < 0).toBe(a < b);
        expect(c > 0).toBe(a > b);
        expect(c === 0).toBe(a === b);
        expect(Math.sign(compareStrings(b, a))).toBe(-Math.sign(c) + 0);
      }),
    );
  });

  it("property: transitive", () => {
    fc.assert(
      fc.property(anyString, anyString, anyString, (a, b, c) => {
        if (compareStrings(a, b) <= 0 && compareStrings(b, c) <= 0) {
          expect(compareStrings(a, c)).toBeLessThanOrEqual(0);
        }
      }),
    );
  });

  it("property: sorting with it equals the default (code-unit) sort", () => {
    fc.assert(
      fc.property(fc.array(anyString, { maxLength: 20 }), (xs) => {
        const sorted = [...xs].sort(compareStrings);
        expect(sorted).toEqual([...xs].sort());
        for (let i = 1; i < sorted.length; i++) {
          expect(compareStrings(sorted[i - 1]!, sorted[i]!)).toBeLessThanOrEqual(0);
        }
      }),
    );
  });
});
