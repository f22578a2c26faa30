/**
 * Peak RSS of `lpa replay --out` as a whole process over input length: the same session rate,
 * two file lengths.
 *
 *   npm run build                      # once: the bench runs the built CLI
 *   npm run bench -- replay-rss [envelopes1=1000000] [envelopes2=3000000] [sessions=10000]
 *     [extra lpa replay args...]
 *
 * Targets (issue 10): peak RSS ≤ 600 MB on 1M generated envelopes, and within ±20 % between 1M
 * and 3M envelopes generated at the same session rate (memory independent of input length). The
 * engine file (engine-file.ts) runs its sessions in rounds of ~3 minutes of event time with new
 * session ids per round, so both files, at the same `sessions`, have the same session rate; the
 * longer one has more rounds. Each length is one child process, measured as in replay.bench.ts
 * (replay-child.ts: `node --import <rss preload> packages/cli/bin/lpa.js replay FILE --out TMP
 * --no-assertions --json [extra...]`). "MB" in the target is read as 10^6 bytes; the figures are
 * printed in MiB and MB.
 *
 * With the default configuration no session leaves the engine state within these files: signals
 * seal only `futureReachMs` (10 min) after their time, idle state is evicted `sessionStateTtlMs`
 * (7 days) after the session's end, tombstones expire after `tombstoneTtlMs`, and dedup entries
 * after `dedupTtlMs` (24 h), while the 1M / 3M files span ~10 / ~20 minutes of event time. The
 * "long-running process" variant shortens all four to one minute of event time, so that state
 * is evicted well within the files (an inline `--config` is written to a temporary file: lpa
 * takes a file there; the configuration used is printed):
 *
 *   npm run bench -- replay-rss 1000000 3000000 10000 --config '{"sessionStateTtlMs":60000,"tombstoneTtlMs":60000,"futureReachMs":60000,"dedupTtlMs":60000}'
 *
 * (`{"sessionStateTtlMs":600000,"tombstoneTtlMs":600000}` alone evicts nothing in the 1M file:
 * with the 10-minute future reach a session is idle ~10 minutes after its end at the earliest.)
 * The figures are the whole process: engine state, V8's heap headroom, output buffers and the
 * summary's per-session record.
 *
 * The 1M / 3M files take 653 / 1967 MiB under benchmarks/.tsc/.cache (generated once, ~20 s /
 * ~60 s), and the JSONL outputs ~2.5× that in the temporary directory (each run's removed before
 * the next, the directory at the end).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureEngineFile } from "./engine-file.js";
import {
  fmt,
  mib,
  resolveExtraArgs,
  runLpaReplay,
  splitArgs,
  type ChildRun,
} from "./replay-child.js";

const {
  numbers: [envelopes1, envelopes2, sessions],
  extra,
} = splitArgs(process.argv.slice(2), [1_000_000, 3_000_000, 10_000]);

const files = [
  await ensureEngineFile(envelopes1!, sessions!),
  await ensureEngineFile(envelopes2!, sessions!),
];
const tmp = mkdtempSync(join(tmpdir(), "lpa-replay-rss-bench-"));
try {
  const { args, config } = resolveExtraArgs(extra, tmp);
  const runs: ChildRun[] = [];
  for (const [i, file] of files.entries()) {
    const run = await runLpaReplay(file, args, tmp, String(i));
    // Only the figures are kept: each run's outputs are removed before the next.
    rmSync(join(tmp, `out-${i}`), { recursive: true, force: true });
    runs.push(run);
  }
  console.log(`lpa replay args: ${args.length > 0 ? args.join(" ") : "(none)"}`);
  console.log(`config: ${config}`);
  for (const [i, r] of runs.entries()) {
    const read = r.summary.events.read;
    const rows = Object.values(r.manifestTables).reduce((s, n) => s + n, 0);
    console.log(
      `${fmt(read).padStart(9)} envelopes (${mib(statSync(files[i]!).size)} MiB file, ${fmt(sessions!)} sessions/round): peak RSS ${mib(r.maxRssBytes)} MiB (${(r.maxRssBytes / 1e6).toFixed(0)} MB), ${(r.wallMs / 1000).toFixed(1)} s, ${fmt((read / r.wallMs) * 1000)} envelopes/s; ${fmt(r.summary.sessions.total)} sessions, ${fmt(rows)} final rows (${mib(r.outBytes)} MiB JSONL), dedup_evictions ${fmt(r.summary.counters["dedup_evictions"] ?? 0)}, signals of evicted sessions quarantined ${fmt(r.summary.quarantineByReason["session_state_evicted"] ?? 0)}`,
    );
  }
  const [r1, r2] = runs as [ChildRun, ChildRun];
  const ratio = r2.maxRssBytes / r1.maxRssBytes;
  console.log(
    `peak RSS at ${fmt(envelopes1!)} ≤ 600 MB: ${r1.maxRssBytes <= 600e6 ? "met" : "NOT met"} (${(r1.maxRssBytes / 1e6).toFixed(0)} MB)`,
  );
  console.log(
    `peak RSS ratio ${fmt(envelopes2!)} / ${fmt(envelopes1!)}: ${ratio.toFixed(3)} (target within ±20 %: ${Math.abs(ratio - 1) <= 0.2 ? "met" : "NOT met"})`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
