/**
 * Runs the built `lpa replay --out` as a child process, as a user would, and measures it from the
 * outside: wall time from spawn to exit and peak RSS. Shared by replay.bench.ts and
 * replay-rss.bench.ts (not a benchmark itself: no usage).
 *
 * Peak RSS: the child runs with `node --import <preload>`, a tiny module written to the temporary
 * directory that writes `process.resourceUsage().maxRSS` (KiB, getrusage of the whole process:
 * heap, external buffers, code, stacks) to the path in `LPA_BENCH_RSS_FILE` at `process` exit.
 *
 * Extra `lpa replay` arguments pass through unchanged, except `--config`: `lpa replay` takes a
 * FILE there, so an inline JSON object (`--config '{"sessionStateTtlMs":600000}'`) is written to
 * a temporary file whose path is passed instead.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as nodeModule from "node:module";
import { dirname, join, resolve } from "node:path";
import type { ReplaySummary } from "@livepeer-analytics/cli";

export const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
export const mib = (bytes: number): string => (bytes / 1048576).toFixed(0);

/** The `lpa` entry of the built CLI; throws with the fix when it is not built. */
export function lpaEntry(): string {
  const pkgPath = nodeModule
    .createRequire(import.meta.url)
    .resolve("@livepeer-analytics/cli/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { bin: Record<string, string> };
  const bin = join(dirname(pkgPath), pkg.bin["lpa"]!);
  // bin/lpa.js only loads the bundle in dist/.
  const main = join(dirname(pkgPath), "dist", "main.js");
  if (!existsSync(bin) || !existsSync(main))
    throw new Error(`the CLI is not built (${main} is missing): run npm run build first`);
  return bin;
}

/** Splits `[n1, n2, ..., extra...]`: up to `count` leading integers, then the lpa arguments. */
export function splitArgs(
  argv: readonly string[],
  defaults: readonly number[],
): { numbers: number[]; extra: string[] } {
  const numbers = [...defaults];
  let i = 0;
  while (i < defaults.length && i < argv.length && /^\d+$/.test(argv[i]!)) {
    numbers[i] = Number(argv[i]);
    i++;
  }
  return { numbers, extra: argv.slice(i) };
}

/**
 * The extra arguments with an inline `--config` JSON written to `tmp` (see the module comment),
 * and a description of the engine configuration used.
 */
export function resolveExtraArgs(
  extra: readonly string[],
  tmp: string,
): { args: string[]; config: string } {
  const args: string[] = [];
  let config = "defaults (no --config)";
  for (let i = 0; i < extra.length; i++) {
    const a = extra[i]!;
    let value: string | undefined;
    if (a === "--config") value = extra[++i];
    else if (a.startsWith("--config=")) value = a.slice("--config=".length);
    else {
      args.push(a);
      continue;
    }
    if (value === undefined) throw new Error("--config needs a value (inline JSON or a file)");
    let path = value;
    if (value.trim().startsWith("{")) {
      JSON.parse(value); // fail here, not in the child, on a typo
      path = join(tmp, "config.json");
      writeFileSync(path, value);
      config = `--config ${value} (inline, written to ${path})`;
    } else config = `--config ${resolve(value)}: ${readFileSync(value, "utf8").trim()}`;
    args.push("--config", path);
  }
  return { args, config };
}

/** What one child run measured. */
export interface ChildRun {
  /** Wall time from spawn to exit, ms (Node start-up and module loading included). */
  readonly wallMs: number;
  /** Peak resident set size of the child, bytes. */
  readonly maxRssBytes: number;
  /** The `--json` summary the child printed. */
  readonly summary: ReplaySummary;
  /** Rows per table from `lpa-manifest.json` in the output directory. */
  readonly manifestTables: Readonly<Record<string, number>>;
  /** Bytes of every `*.jsonl` file in the output directory. */
  readonly outBytes: number;
}

/**
 * `node --import <preload> <lpa> replay <file> --out <tmp>/out-<tag> --no-assertions --json
 * ...args`, then reads the RSS file, the summary and the manifest. `tmp` must exist; the output
 * directory is left for the caller's cleanup of `tmp`.
 */
export async function runLpaReplay(
  file: string,
  args: readonly string[],
  tmp: string,
  tag: string,
): Promise<ChildRun> {
  const entry = lpaEntry();
  const preload = join(tmp, "rss-preload.mjs");
  if (!existsSync(preload))
    writeFileSync(
      preload,
      [
        'import { writeFileSync } from "node:fs";',
        'process.on("exit", () => {',
        "  const path = process.env.LPA_BENCH_RSS_FILE;",
        "  if (path) writeFileSync(path, String(process.resourceUsage().maxRSS));",
        "});",
        "",
      ].join("\n"),
    );
  const rssFile = join(tmp, `rss-${tag}.txt`);
  const out = join(tmp, `out-${tag}`);
  mkdirSync(out, { recursive: true });
  const argv = [
    "--import",
    preload,
    entry,
    "replay",
    file,
    "--out",
    out,
    "--no-assertions",
    "--json",
    ...args,
  ];
  process.stderr.write(`running node ${argv.join(" ")}\n`);
  const t0 = process.hrtime.bigint();
  const { code, stdout, stderr } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
  }>((done, fail) => {
    const child = spawn(process.execPath, argv, {
      env: { ...process.env, LPA_BENCH_RSS_FILE: rssFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const so: Buffer[] = [];
    const se: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => so.push(b));
    child.stderr.on("data", (b: Buffer) => se.push(b));
    child.on("error", fail);
    child.on("close", (c) =>
      done({
        code: c,
        stdout: Buffer.concat(so).toString("utf8"),
        stderr: Buffer.concat(se).toString("utf8"),
      }),
    );
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (code !== 0)
    throw new Error(`lpa replay exited with code ${code}:\n${stderr}${stdout.slice(0, 4000)}`);
  if (!existsSync(rssFile)) throw new Error(`the child wrote no peak RSS to ${rssFile}`);
  const maxRssBytes = Number(readFileSync(rssFile, "utf8")) * 1024;
  const summary = JSON.parse(stdout) as ReplaySummary;
  const manifest = JSON.parse(readFileSync(join(out, "lpa-manifest.json"), "utf8")) as {
    tables: Record<string, number>;
  };
  let outBytes = 0;
  for (const name of readdirSync(out))
    if (name.endsWith(".jsonl")) outBytes += statSync(join(out, name)).size;
  return { wallMs, maxRssBytes, summary, manifestTables: manifest.tables, outBytes };
}

/** One line per table: final rows (manifest) and rows emitted (summary, every version). */
export function tableLines(run: ChildRun): string[] {
  const names = Object.keys(run.manifestTables).sort();
  const width = Math.max(...names.map((n) => n.length));
  return names.map((t) => {
    const emitted = run.summary.tables[t]?.emitted;
    const rows = run.manifestTables[t]!;
    return `  ${t.padEnd(width)} ${fmt(rows).padStart(11)} rows${
      emitted !== undefined && emitted !== rows ? ` (${fmt(emitted)} emitted)` : ""
    }`;
  });
}
