/**
 * JSON value coercion with the reference parsers' semantics (`lifecycle.md` §0.4,
 * `attribution.md` §0.2, `ingest-and-storage.md` §1.3).
 *
 * Every helper is total: it accepts any JSON node (or `undefined` for "missing") and returns a
 * value or the documented default; none of them throws.
 *
 * @module
 */
import { jtrim } from "./strings.js";

/** Any value `JSON.parse` can produce. */
export type JsonValue = null | boolean | number | string | JsonArray | JsonObject;
/** A JSON array. */
export type JsonArray = JsonValue[];
/** A JSON object (keys in document order, except integer-like keys, which JS orders first). */
export interface JsonObject {
  [key: string]: JsonValue;
}
/** A JSON node that may be missing (`undefined`). */
export type JsonNode = JsonValue | undefined;

/**
 * `true` for a JSON object (not `null`, not an array).
 *
 * @category JSON
 */
export function isJsonObject(node: JsonNode): node is JsonObject {
  return typeof node === "object" && node !== null && !Array.isArray(node);
}

/**
 * Property of `node` when it is an object, else `undefined` ("missing").
 *
 * @category JSON
 */
export function field(node: JsonNode, key: string): JsonNode {
  return isJsonObject(node) ? ownValue(node, key) : undefined;
}

/**
 * Own property of a JSON object. Every member a plain object inherits is a function or an
 * object, so primitives are returned without the own-property check (the hot path).
 */
function ownValue(node: JsonObject, key: string): JsonNode {
  const v: unknown = node[key];
  if (v === undefined) return undefined;
  if (typeof v === "object" || typeof v === "function") {
    return Object.prototype.hasOwnProperty.call(node, key) ? (v as JsonValue) : undefined;
  }
  return v as JsonValue;
}

/**
 * Resolves a dotted path (`"data.orchestrator_info.address"`) by descending object keys.
 * Descending through a non-object yields `undefined` ("missing").
 *
 * @category JSON
 */
export function getPath(root: JsonNode, dottedPath: string): JsonNode {
  let node: JsonNode = root;
  for (const key of dottedPath.split(".")) {
    if (!isJsonObject(node)) return undefined;
    node = ownValue(node, key);
  }
  return node;
}

/**
 * JSON text of a scalar node (`lifecycle.md` §0.4 `text`): a string as is (untrimmed), a number
 * or boolean as its text form, `null`/missing → `dflt`, object/array → `""`.
 *
 * @category JSON
 * @example
 * text("a") // "a"
 * text(5) // "5"
 * text(undefined, "x") // "x"
 * text({}) // ""
 */
export function text(node: JsonNode, dflt = ""): string {
  switch (typeof node) {
    case "string":
      return node;
    case "number":
      return String(node);
    case "boolean":
      return node ? "true" : "false";
    case "undefined":
      return dflt;
    default:
      return node === null ? dflt : "";
  }
}

/**
 * Nullable text: `null` when missing or JSON `null`; otherwise {@link text}, with `""` → `null`.
 * Whitespace-only strings are kept.
 *
 * @category JSON
 */
export function nullableText(node: JsonNode): string | null {
  if (node === undefined || node === null) return null;
  const t = text(node);
  return t === "" ? null : t;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const DIGITS = /^\d+$/;
const INT64_MAX = 9223372036854775807n;
const TWO_63 = 9223372036854775808;

/**
 * Numeric coercion (`lifecycle.md` §0.4 `num`): a JSON number as is; a decimal string (after
 * `jtrim`) parsed; a boolean as `1`/`0`; anything else (including non-finite results) `dflt`.
 *
 * @category JSON
 * @example
 * num("77") // 77
 * num(" 1.5 ") // 1.5
 * num("abc", 0) // 0
 */
export function num(node: JsonNode, dflt = 0): number {
  if (typeof node === "number") return node;
  if (typeof node === "boolean") return node ? 1 : 0;
  if (typeof node === "string") {
    const t = jtrim(node);
    if (DECIMAL.test(t)) {
      const v = Number(t);
      if (Number.isFinite(v)) return v;
    }
  }
  return dflt;
}

/**
 * {@link num} rounded to float32 with `Math.fround` (the reference stores these columns as
 * `Float32`).
 *
 * @category JSON
 */
export function float32(node: JsonNode, dflt = 0): number {
  return Math.fround(num(node, dflt));
}

/**
 * Nullable integer (`attribution.md` §0.2): a JSON number → its integer part; a string →
 * `jtrim`, then a strict decimal integer with optional sign; anything else `null`. Values outside
 * int32 are kept as exact JS numbers (the row mapper range-checks them).
 *
 * @category JSON
 * @example
 * nullableInt(12.9) // 12
 * nullableInt(" -7 ") // -7
 * nullableInt("1.5") // null
 */
export function nullableInt(node: JsonNode): number | null {
  if (typeof node === "number") {
    return Number.isFinite(node) ? Math.trunc(node) + 0 : null;
  }
  if (typeof node === "string") {
    const t = jtrim(node);
    return INTEGER.test(t) ? Number(t) + 0 : null;
  }
  return null;
}

/**
 * Same rule as {@link nullableInt}, used for int64 columns (GPU memory, byte counters).
 *
 * @category JSON
 */
export const nullableLong: (node: JsonNode) => number | null = nullableInt;

/**
 * Integer with a default: {@link nullableInt}, or `dflt` when that yields `null`.
 *
 * @category JSON
 */
export function intOr(node: JsonNode, dflt = 0): number {
  const v = nullableInt(node);
  return v === null ? dflt : v;
}

/**
 * Epoch-milliseconds parsing (`ingest-and-storage.md` §1.3), used for the envelope `timestamp`,
 * `data.start_time`, `last_error_time` and trace `data.timestamp`.
 *
 * - JSON number: truncated toward zero (negative values accepted, no unit detection);
 *   non-finite values or values outside the int64 range → `null`.
 * - String: `jtrim`, then only ASCII digits, and it must fit int64 (`"-5"`, `"1.5"`, `""` → `null`).
 * - Anything else (`null`, missing, boolean, object, array) → `null`.
 *
 * @category JSON
 * @example
 * tsMillis("1767908945298") // 1767908945298
 * tsMillis(1743500000.123) // 1743500000
 * tsMillis("1.5") // null
 */
export function tsMillis(node: JsonNode): number | null {
  if (typeof node === "number") {
    if (!Number.isFinite(node)) return null;
    const t = Math.trunc(node) + 0;
    return t >= TWO_63 || t < -TWO_63 ? null : t;
  }
  if (typeof node === "string") {
    const t = jtrim(node);
    if (!DIGITS.test(t)) return null;
    if (t.length < 16) return Number(t);
    return BigInt(t) > INT64_MAX ? null : Number(t);
  }
  return null;
}

/**
 * Reference truthiness of the replay flag (`ingest-and-storage.md` §1.5): JSON `true`, a non-zero
 * integer number, or a string equal to `"true"` after `jtrim` are true; everything else (including
 * `1.0`, `1e0` and `"TRUE"`) is false.
 *
 * `JSON.parse` cannot tell `1` from `1.0`; the quality gate therefore re-reads the literal of a
 * numeric root `__replay` from the raw text before calling this.
 *
 * @category JSON
 */
export function isTruthyFlag(node: JsonNode): boolean {
  if (node === true) return true;
  if (typeof node === "number") return Number.isInteger(node) && node !== 0;
  if (typeof node === "string") return jtrim(node) === "true";
  return false;
}
