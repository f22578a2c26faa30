/**
 * Environment parsing rules shared by the executor and sink loaders (`ingest-and-storage.md` §8):
 * an empty value is unset; an integer that does not parse falls back to the default and is
 * reported.
 *
 * @module
 */
import type { ConfigNotice } from "@livepeer-analytics/core/engine";

/**
 * Environment variables as `process.env` holds them.
 *
 * @category Configuration
 */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * The value of `name`, or `undefined` when it is absent or empty.
 *
 * @internal
 */
export function envValue(env: EnvSource, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === "" ? undefined : v;
}

const INTEGER = /^[+-]?\d+$/;
const MAX_INT = 2_147_483_647;

/**
 * Reads a positive integer (1 … 2³¹−1, surrounding whitespace allowed). Unset or empty → the
 * default silently; anything else that is not such an integer → the default plus an
 * `ignored_value` notice.
 *
 * @internal
 */
export function envPositiveInt(
  env: EnvSource,
  name: string,
  fallback: number,
  notices: ConfigNotice[],
): number {
  const raw = envValue(env, name);
  if (raw === undefined) return fallback;
  const text = raw.trim();
  const n = INTEGER.test(text) ? Number(text) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= MAX_INT) return n;
  notices.push({
    code: "ignored_value",
    key: name,
    message: `${name}=${JSON.stringify(raw)} is not a positive integer; using the default ${fallback}`,
  });
  return fallback;
}
