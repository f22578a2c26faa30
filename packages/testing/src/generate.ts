/**
 * Deterministic generated telemetry for benchmarks and integration tests: the real 2026-01-08
 * session re-keyed into many concurrent sessions with shifted times (Node only: it reads the real
 * fixture).
 *
 * @module
 */
import { realEventLines } from "./fixtures.js";

/**
 * A tiny deterministic PRNG (mulberry32): the same seed gives the same sequence in [0, 1).
 *
 * @category Generated data
 */
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

/**
 * Envelope time of the template session's first event, epoch ms.
 *
 * @category Generated data
 */
export const TEMPLATE_START = 1_767_908_945_298;
/**
 * Duration of the template session, ms.
 *
 * @category Generated data
 */
export const TEMPLATE_SPAN = 170_312;
/**
 * Every time field of the template's lines that moves with a session's shift.
 *
 * @category Generated data
 */
export const TIME_FIELDS =
  /"(timestamp|start_time|last_output_time|last_params_update_time|last_state_update_time|last_status_timestamp|last_input_time)":"?(\d{13})"?/g;

/**
 * Synthetic hot-wallet address of wallet `w`.
 *
 * @category Generated data
 */
export const walletAddress = (w: number): string => `0x${w.toString(16).padStart(40, "0")}`;
/**
 * Synthetic canonical orchestrator address of wallet `w`.
 *
 * @category Generated data
 */
export const canonicalAddress = (w: number): string => `0x${w.toString(16).padStart(38, "0")}ca`;

/**
 * The template's capability line re-stamped as snapshot `id` at `ts` for wallet `w`.
 *
 * @category Generated data
 */
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
 *
 * @category Generated data
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

/**
 * Realistic `streaming_events` lines: the real 2026-01-08 session as a template replayed by
 * `sessions` concurrent sessions in real proportions (ingest metrics, status every ~10 s, traces,
 * payments, discovery), starting staggered over 10 minutes and repeated in rounds; capability
 * snapshots per hot wallet (one wallet per 100 sessions) refreshed each round; ~1 % duplicates,
 * ~0.1 % malformed (truncated) lines and bounded reordering (≤ 5 s of arrival jitter).
 * Deterministic for a seed. Yields at most `envelopes` lines, in arrival order.
 *
 * @category Generated data
 * @example
 * const lines = [...realisticEventLines(50_000, 500)];
 */
export function* realisticEventLines(
  envelopes: number,
  sessions: number,
  seed = 20260108,
): Generator<string> {
  const template = realEventLines();
  const tStart = TEMPLATE_START;
  const rand = prng(seed);
  const wallets = Math.max(1, Math.floor(sessions / 100));
  const perSession = template.length - 1; // the capability line is emitted per wallet instead
  const rounds = Math.ceil(envelopes / (sessions * perSession)) + 1;
  let written = 0;
  const capLine = template.find((l) => l.includes('"network_capabilities"'))!;
  const lines = template.filter((l) => l !== capLine);
  // Sessions start staggered over the first 10 minutes; each replays the template's cadence.
  const offsets = Array.from({ length: sessions }, (_, s) => (s * 600_000) / sessions);
  const span = TEMPLATE_SPAN;
  let pending: { ts: number; line: string }[] = [];
  for (let r = 0; r < rounds && written < envelopes; r++) {
    const base = tStart + r * (span + 10_000);
    // Capabilities of every wallet, refreshed each round (~every 3 minutes).
    for (let w = 0; w < wallets; w++) {
      const ts = base - 30_000 + w;
      pending.push({ ts, line: capabilityLine(capLine, `cap-${r}-${w}`, ts, w) });
    }
    for (let i = 0; i < perSession; i++) {
      for (let s = 0; s < sessions; s++) {
        const t = lines[i]!;
        const m = /"timestamp":"(\d{13})"/.exec(t)!;
        const shift = base - tStart + offsets[s]!;
        const ts = Number(m[1]) + shift;
        let line = sessionLine(t, {
          id: (id) =>
            `${id.slice(0, 18)}${r.toString(16).padStart(4, "0")}${s.toString(16).padStart(8, "0")}`,
          stream: `stream-${s.toString(36).padStart(6, "0")}-${r}`,
          shift,
          wallet: s % wallets,
        });
        const u = rand();
        if (u < 0.001) line = line.slice(0, Math.floor(line.length / 2));
        // Bounded reordering: up to 5 s of jitter in arrival position.
        pending.push({ ts: ts + Math.floor(rand() * 5000), line });
        if (u > 0.99) pending.push({ ts: ts + Math.floor(rand() * 5000), line });
      }
    }
    pending.sort((a, b) => a.ts - b.ts);
    for (const p of pending) {
      if (written >= envelopes) return;
      written += 1;
      yield p.line;
    }
    pending = [];
  }
}
