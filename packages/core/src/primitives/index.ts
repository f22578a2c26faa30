/**
 * Primitives shared by every operator: JVM-compatible string helpers, JSON coercion,
 * epoch-millisecond parsing, UTF-8/Base64 and SHA-256.
 *
 * @packageDocumentation
 */
export {
  isBlank,
  jtrim,
  firstNonBlank,
  blankToNull,
  normAddr,
  isHexAddress,
  EMPTY_KEY,
  compareKey,
  eqModel,
  eqIgnoreCase,
  containsLower,
  compareStrings,
} from "./strings.js";
export type { JsonValue, JsonArray, JsonObject, JsonNode } from "./json.js";
export {
  isJsonObject,
  field,
  getPath,
  text,
  nullableText,
  num,
  float32,
  nullableInt,
  nullableLong,
  intOr,
  tsMillis,
  isTruthyFlag,
} from "./json.js";
export { utf8ByteLength, encodeUtf8, decodeUtf8, encodeBase64 } from "./utf8.js";
export { sha256, sha256Hex, sha256Utf8 } from "./sha256.js";
export type { JsonArrayElement } from "./json-scan.js";
export {
  skipJsonWhitespace,
  scanJsonValueEnd,
  splitJsonArray,
  topLevelLiteral,
} from "./json-scan.js";
