/**
 * Deterministic generator of realistic `streaming_events` lines for benchmarks: the real
 * 2026-01-08 session used as a template, re-keyed into many concurrent sessions with shifted
 * times, plus a share of duplicates and malformed records.
 */
import { realEventLines } from "@livepeer-analytics/testing/fixtures";

/** A tiny deterministic PRNG (mulberry32) so every run generates the same file. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Envelope time of the template session's first event, epoch ms. */
export const TEMPLATE_START = 1_767_908_945_298;
/** Duration of the template session, ms. */
export const TEMPLATE_SPAN = 170_312;
/** Every time field of the template's lines that moves with a session's shift. */
export const TIME_FIELDS =
  /"(timestamp|start_time|last_output_time|last_params_update_time|last_state_update_time|last_status_timestamp|last_input_time)":"?(\d{13})"?/g;

/** Synthetic hot-wallet address of wallet `w`. */
export const walletAddress = (w: number): string => `0x${w.toString(16).padStart(40, "0")}`;
/** Synthetic canonical orchestrator address of wallet `w`. */
export const canonicalAddress = (w: number): string => `0x${w.toString(16).padStart(38, "0")}ca`;

/** The template's capability line re-stamped as snapshot `id` at `ts` for wallet `w`. */
export function capabilityLine(capLine: string, id: string, ts: number, w: number): string {
  return capLine
    .replace('"e89def1c-7a3c-40aa-a51a-ad490a305112"', `"${id}"`)
    .replace('"timestamp":"1767909021590"', `"timestamp":"${ts}"`)
    .replace(/0x52CF2968b3DC6016778742D3539449a6597D5954/g, walletAddress(w))
    .replace(/0xd00354656922168815Fcd1e51CBddB9e359e3C7F/g, canonicalAddress(w));
}

/**
 * A template session line moved into another session: its id rewritten by `id`, its stream renamed
 * `stream`, every time field shifted by `shift` ms, and its orchestrator the hot wallet `wallet`.
 */
export function sessionLine(
  line: string,
  o: {
    readonly id: (id: string) => string;
    readonly stream: string;
    readonly shift: number;
    readonly wallet: number;
  },
): string {
  return line
    .replace(/"id":"([0-9a-f-]{36})"/, (_x, id: string) => `"id":"${o.id(id)}"`)
    .replace(/stream-o5s73x-mk5zc8fy/g, o.stream)
    .replace(TIME_FIELDS, (x, _k, v: string) => x.replace(v, String(Number(v) + o.shift)))
    .replace(/0x52cf2968b3dc6016778742d3539449a6597d5954/g, walletAddress(o.wallet));
}

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
