/**
 * Small, allocation-free scanners over JSON text. They never validate fully: they only find
 * value boundaries (respecting strings and escapes) so callers can hand exact substrings to
 * `JSON.parse` and keep the received bytes of each record.
 *
 * @module
 */

const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Index of the first non-whitespace character at or after `from` (JSON whitespace only),
 * or `text.length`.
 *
 * @category JSON
 */
export function skipJsonWhitespace(text: string, from = 0): number {
  let i = from;
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

/**
 * End index (exclusive) of the JSON value that starts at `start` (after whitespace), or `-1`
 * when the text ends before the value is complete. Containers are matched by bracket depth,
 * strings by their quotes and escapes, scalars up to the next delimiter. Content is not
 * validated: `JSON.parse` does that on the returned slice.
 *
 * @category JSON
 */
export function scanJsonValueEnd(text: string, start: number): number {
  const len = text.length;
  let i = skipJsonWhitespace(text, start);
  if (i >= len) return -1;
  const c0 = text.charCodeAt(i);
  if (c0 === 0x22) return scanStringEnd(text, i);
  if (c0 !== 0x7b && c0 !== 0x5b) {
    // Scalar: up to the next structural character or whitespace.
    while (i < len) {
      const c = text.charCodeAt(i);
      if (isWs(c) || c === 0x2c || c === 0x5d || c === 0x7d || c === 0x3a) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = scanStringEnd(text, i);
      if (end < 0) return -1;
      i = end;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

function scanStringEnd(text: string, quote: number): number {
  const len = text.length;
  let i = quote + 1;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i += 2;
    else if (c === 0x22) return i + 1;
    else i++;
  }
  return -1;
}

/** One element of a top-level JSON array, as its exact source text. */
export interface JsonArrayElement {
  /** Exact source text of the element (may be incomplete for the last element of a cut file). */
  readonly text: string;
  /** Offset of the element's first character in the scanned text. */
  readonly offset: number;
  /** `false` when the text ended before the element was complete. */
  readonly complete: boolean;
}

/**
 * Splits a top-level JSON array into the exact source text of each element. Returns `null` when
 * `text` does not start (after whitespace) with `[`. A truncated array yields its complete
 * elements followed by one element with `complete: false` holding the remainder.
 *
 * @category JSON
 */
export function splitJsonArray(text: string): JsonArrayElement[] | null {
  let i = skipJsonWhitespace(text, 0);
  if (text.charCodeAt(i) !== 0x5b) return null;
  i++;
  const out: JsonArrayElement[] = [];
  const len = text.length;
  for (;;) {
    i = skipJsonWhitespace(text, i);
    if (i >= len) return out;
    const c = text.charCodeAt(i);
    if (c === 0x5d) return out;
    if (c === 0x2c) {
      i++;
      continue;
    }
    const end = scanJsonValueEnd(text, i);
    // No complete value here (cut-off text, or a stray `}` / `:`): the rest is one broken element.
    if (end <= i) {
      out.push({ text: text.slice(i), offset: i, complete: false });
      return out;
    }
    out.push({ text: text.slice(i, end), offset: i, complete: true });
    i = end;
  }
}

/**
 * Raw source text of the value of `key` in the top-level object of `text`, or `null` when the
 * root is not an object or has no such key. Used to read literals whose form `JSON.parse`
 * erases (`1` vs `1.0`).
 *
 * @category JSON
 */
export function topLevelLiteral(text: string, key: string): string | null {
  let i = skipJsonWhitespace(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return null;
  i++;
  const len = text.length;
  let found: string | null = null;
  while (i < len) {
    i = skipJsonWhitespace(text, i);
    const c = text.charCodeAt(i);
    if (c === 0x7d || i >= len) break;
    if (c === 0x2c) {
      i++;
      continue;
    }
    if (c !== 0x22) return found;
    const keyEnd = scanStringEnd(text, i);
    if (keyEnd < 0) return found;
    let name: string;
    try {
      name = JSON.parse(text.slice(i, keyEnd)) as string;
    } catch {
      return found;
    }
    i = skipJsonWhitespace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a) return found;
    const vStart = skipJsonWhitespace(text, i + 1);
    const vEnd = scanJsonValueEnd(text, vStart);
    if (vEnd < 0) return found;
    // Later duplicates win, as with JSON.parse.
    if (name === key) found = text.slice(vStart, vEnd);
    i = vEnd;
  }
  return found;
}
