/**
 * Safe records keyed by untrusted strings (`__proto__`, `constructor`, …).
 *
 * Plain-JSON state cannot use `Map`, and assigning `record["__proto__"]` would change the
 * prototype instead of adding a key (and immer drafts refuse `defineProperty`). Keys are
 * therefore stored escaped: `"__proto__"` and keys that start with U+0000 get one extra leading
 * U+0000. The mapping is injective and leaves every other key unchanged.
 *
 * @internal
 * @module
 */

const hasOwn = Object.prototype.hasOwnProperty;

/** Storage form of a key. */
export function escapeKey(key: string): string {
  return key === "__proto__" || key.charCodeAt(0) === 0 ? "\u0000" + key : key;
}

/** Original key of a storage-form key. */
export function unescapeKey(stored: string): string {
  return stored.charCodeAt(0) === 0 ? stored.slice(1) : stored;
}

/** Own value stored under the (unescaped) `key`, or `undefined`; never an inherited member. */
export function getOwn<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  const k = escapeKey(key);
  return hasOwn.call(record, k) ? record[k] : undefined;
}

/** Stores `value` under the (unescaped) `key`. */
export function setOwn<V>(record: Record<string, V>, key: string, value: V): void {
  record[escapeKey(key)] = value;
}

/** Deletes the (unescaped) `key`. */
export function deleteOwn<V>(record: Record<string, V>, key: string): void {
  const k = escapeKey(key);
  if (hasOwn.call(record, k)) delete record[k];
}

/** Deep copy of plain JSON data (an own `__proto__` key stays an own key). */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(cloneJson) as unknown as T;
  // A spread copies the source's shape at once (compact, fast-mode objects in V8); adding the
  // keys one by one to `{}` left large accumulators with out-of-object property stores.
  const out = { ...value } as Record<string, unknown>;
  for (const k of Object.keys(out)) {
    const v = out[k];
    if (v === null || typeof v !== "object") continue;
    // (An own `__proto__` key must not reach the prototype setter.)
    if (k === "__proto__")
      Object.defineProperty(out, k, { value: cloneJson(v), enumerable: true, writable: true });
    else out[k] = cloneJson(v);
  }
  return out as T;
}
