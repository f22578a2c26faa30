/**
 * `lpa replay --out` end to end, as a whole process, against bare `JSON.parse` of the same lines.
 *
 *   npm run build                      # once: the bench runs the built CLI
 *   npm run bench -- replay [envelopes=200000] [sessions=2000] [extra lpa replay args...]
 *
 * Target (issue 10): the whole `lpa replay --out` process (Node start-up, reading, the full
 * engine, every table written — versioned facts once each, as the engine emits them when final —
 * the commit) runs at
 * ≥ 0.25× the rate of bare `JSON.parse` of the same lines, on 200k generated realistic envelopes
 * (the engine file, see engine-file.ts; generated once under benchmarks/.tsc/.cache).
 *
 * (a) bare `JSON.parse` of every line, streamed from disk in this process (bare-parse.ts, the
 *     same pass as engine.bench.ts); (b) `node --import <rss preload> packages/cli/bin/lpa.js
 *     replay FILE --out TMP --no-assertions --json [extra...]` as a child process, timed from
 *     spawn to exit, with its peak RSS (see replay-child.ts); (c) b/a. Then the rows per table
 *     (final rows from lpa-manifest.json, emitted versions from the summary). The temporary
 *     directory is removed at the end.
 *
 * Extra arguments go to `lpa replay` unchanged, except an inline `--config '{...}'` (lpa takes a
 * file there; the bench writes the JSON to a temporary file and prints the configuration used).
 * The "long-running process" variant evicts engine state after one minute of event time instead
 * of the defaults (signals seal 10 min after their time, idle sessions are evicted after 7 days,
 * dedup entries after 24 h: within a file of minutes nothing is evicted); see replay-rss.bench.ts:
 *
 *   npm run bench -- replay 200000 2000 --config '{"sessionStateTtlMs":60000,"tombstoneTtlMs":60000,"futureReachMs":60000,"dedupTtlMs":60000}'
 *
 * Peak RSS over input length: replay-rss.bench.ts.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bareParse } from "./bare-parse.js";
import { ensureEngineFile } from "./engine-file.js";
import { fmt, mib, resolveExtraArgs, runLpaReplay, splitArgs, tableLines } from "./replay-child.js";

const {
  numbers: [envelopes, sessions],
  extra,
} = splitArgs(process.argv.slice(2), [200_000, 2_000]);

const file = await ensureEngineFile(envelopes!, sessions!);
const size = statSync(file).size;
const tmp = mkdtempSync(join(tmpdir(), "lpa-replay-bench-"));
try {
  const { args, config } = resolveExtraArgs(extra, tmp);
  (globalThis as { gc?: () => void }).gc?.();
  const a = await bareParse(file);
  const b = await runLpaReplay(file, args, tmp, "run");
  const aRate = (a.lines / a.ms) * 1000;
  const bRate = (b.summary.events.read / b.wallMs) * 1000;
  const ratio = bRate / aRate;
  console.log(
    `file ${file} (${fmt(a.lines)} lines, ${mib(size)} MiB), ${fmt(sessions!)} generated sessions`,
  );
  console.log(`lpa replay args: ${args.length > 0 ? args.join(" ") : "(none)"}`);
  console.log(`config: ${config}`);
  console.log(
    `(a) bare JSON.parse (streamed)   ${fmt(aRate)} lines/s (${(a.ms / 1000).toFixed(2)} s)`,
  );
  console.log(
    `(b) lpa replay --out (process)   ${fmt(bRate)} envelopes/s (${(b.wallMs / 1000).toFixed(2)} s spawn to exit; ${(b.summary.wallTimeMs / 1000).toFixed(2)} s run in-process), ${fmt(b.summary.events.read)} envelopes read`,
  );
  console.log(
    `(c) ratio b/a                    ${ratio.toFixed(3)} (target ≥ 0.25: ${ratio >= 0.25 ? "met" : "NOT met"})`,
  );
  console.log(`peak RSS of (b)                  ${mib(b.maxRssBytes)} MiB`);
  console.log(
    `events: ${fmt(b.summary.events.accepted)} accepted, ${fmt(b.summary.events.duplicates)} duplicates, ${fmt(b.summary.events.dlq)} DLQ, ${fmt(b.summary.events.quarantine)} quarantine; ${fmt(b.summary.sessions.total)} sessions`,
  );
  console.log(`tables written (${mib(b.outBytes)} MiB of JSONL):`);
  for (const line of tableLines(b)) console.log(line);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
