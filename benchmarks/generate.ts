/**
 * Deterministic generator of realistic `streaming_events` lines for benchmarks: the real
 * 2026-01-08 session used as a template, re-keyed into many concurrent sessions with shifted
 * times, plus a share of duplicates and malformed records.
 */
import { realEventLines } from "@livepeer-analytics/testing/fixtures";

export {
  canonicalAddress,
  capabilityLine,
  prng,
  sessionLine,
  TEMPLATE_SPAN,
  TEMPLATE_START,
  TIME_FIELDS,
  walletAddress,
} from "@livepeer-analytics/testing/fixtures";
import { prng } from "@livepeer-analytics/testing/fixtures";

/** Options of {@link generateLines}. */
export interface GenerateOptions {
  readonly events: number;
  readonly sessions: number;
  readonly duplicateRate?: number;
  readonly malformedRate?: number;
  readonly seed?: number;
}

/** Generates `events` envelope lines spread over `sessions` interleaved sessions. */
export function generateLines(o: GenerateOptions): string[] {
  const template = realEventLines();
  const rand = prng(o.seed ?? 1);
  const base = 1767908945298;
  const out: string[] = [];
  let n = 0;
  while (out.length < o.events) {
    const t = template[n % template.length]!;
    const session = Math.floor(rand() * o.sessions);
    const shift = session * 997 + Math.floor(n / template.length) * 170_000;
    const line = t
      .replace(
        /"id":"([0-9a-f-]{36})"/,
        (_m, id: string) => `"id":"${id.slice(0, 24)}${n.toString(16).padStart(12, "0")}"`,
      )
      .replace(/stream-o5s73x-mk5zc8fy/g, `stream-${session.toString(36).padStart(6, "0")}-bench`)
      .replace(/"timestamp":"?(\d{13})"?/g, (m, ts: string) =>
        m.replace(ts, String(Number(ts) + shift)),
      );
    n += 1;
    const r = rand();
    if (r < (o.malformedRate ?? 0.001)) out.push(line.slice(0, Math.floor(line.length / 2)));
    else out.push(line);
    if (r > 1 - (o.duplicateRate ?? 0.01) && out.length < o.events) out.push(line);
  }
  void base;
  return out;
}
