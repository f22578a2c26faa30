/**
 * Output and state safety of `lpa replay` in-process: the state file is replaced atomically and
 * only after the outputs, failed runs leave the previous outputs and no temporary files behind,
 * one run at a time per `--out`, and every failure is one `lpa: …` line without a stack trace.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { realFixturePath } from "@livepeer-analytics/testing/fixtures";
import { run } from "../src/main.js";
import { OutputWriter } from "../src/output.js";
import { freshPaths, memoryIo, writeLogParts } from "./support.js";

const tmp = mkdtempSync(join(tmpdir(), "lpa-safety-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
});
const fresh = freshPaths(tmp);
const jsonl = realFixturePath("streaming-events-2026-01-08.jsonl");
const { part1, part2 } = writeLogParts(tmp);

async function lpa(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const m = memoryIo();
  const code = await run(args, m.io);
  return { code, out: m.out(), err: m.err() };
}

function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort())
    out[f] = existsSync(join(dir, f, ".")) ? "<dir>" : readFileSync(join(dir, f), "utf8");
  return out;
}

/** The first line of stderr and whether anything looks like a stack trace. */
function oneLine(err: string): { first: string; stack: boolean } {
  return { first: err.split("\n")[0]!, stack: /^\s+at /m.test(err) };
}

describe("--state", () => {
  it("is replaced atomically (a new file renamed over the old one, never rewritten in place)", async () => {
    const state = fresh("state");
    expect((await lpa(["replay", part1, "--out", fresh("out"), "--state", state])).code).toBe(0);
    const old = readFileSync(state, "utf8");
    // A second name for the old file: an in-place rewrite would change it too.
    const alias = fresh("alias");
    linkSync(state, alias);
    const r = await lpa([
      "replay",
      part2,
      "--out",
      fresh("out"),
      "--resume",
      state,
      "--state",
      state,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(alias, "utf8")).toBe(old);
    expect(readFileSync(state, "utf8")).not.toBe(old);
    expect(readdirSync(tmp).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("is not written when the outputs cannot be written; the previous outputs stay intact", async () => {
    // Tables of the full log that part 1 alone does not produce.
    const full = fresh("full");
    expect((await lpa(["replay", jsonl, "--out", full])).code).toBe(0);
    const out = fresh("out");
    expect((await lpa(["replay", part1, "--out", out])).code).toBe(0);
    const missing = readdirSync(full).filter(
      (f) => f.endsWith(".jsonl") && !existsSync(join(out, f)),
    );
    expect(missing.length).toBeGreaterThan(0);
    // A directory where an output file must go: the run fails after reading every input.
    mkdirSync(join(out, missing[0]!));
    const before = snapshotDir(out);
    const state = fresh("state");
    const r = await lpa(["replay", jsonl, "--out", out, "--state", state]);
    expect(r.code).toBe(1);
    expect(oneLine(r.err)).toEqual({
      first: expect.stringMatching(/^lpa: /) as string,
      stack: false,
    });
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(existsSync(state)).toBe(false);
    // No table replaced, no spool, no private work directory, no lock left behind.
    expect(snapshotDir(out)).toEqual(before);
  });

  it("a --state in a missing directory is refused before anything is read", async () => {
    const out = fresh("out");
    const r = await lpa(["replay", jsonl, "--out", out, "--state", join(tmp, "nope", "s.json")]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `lpa: --state ${join(tmp, "nope", "s.json")}: directory ${join(tmp, "nope")} does not exist\n`,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe("--out", () => {
  it("one run at a time: a second run on the same --out fails fast with a clear message", async () => {
    const out = fresh("out");
    const a = memoryIo();
    const b = memoryIo();
    const [ca, cb] = await Promise.all([
      run(["replay", jsonl, "--out", out, "--json"], a.io),
      run(["replay", jsonl, "--out", out, "--json"], b.io),
    ]);
    expect(ca, a.err()).toBe(0);
    expect(cb).toBe(1);
    expect(b.err()).toBe(
      `lpa: --out ${out} is in use by another lpa run (pid ${process.pid}); if no lpa is running, remove ${join(out, ".lpa.lock")}\n`,
    );
    const single = fresh("single");
    expect((await lpa(["replay", jsonl, "--out", single])).code).toBe(0);
    expect(snapshotDir(out)).toEqual(snapshotDir(single));
  });

  it("a lock left by a dead process is taken over, and released at the end", async () => {
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const out = fresh("out");
    mkdirSync(out);
    writeFileSync(join(out, ".lpa.lock"), `${JSON.stringify({ pid: dead })}\n`);
    mkdirSync(join(out, ".lpa-tmp-leftover"));
    const r = await lpa(["replay", jsonl, "--out", out]);
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(out).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("a run replaces the previous run's tables, including those it does not produce", async () => {
    const out = fresh("out");
    expect((await lpa(["replay", jsonl, "--out", out])).code).toBe(0);
    expect((await lpa(["replay", part1, "--out", out])).code).toBe(0);
    const alone = fresh("alone");
    expect((await lpa(["replay", part1, "--out", alone])).code).toBe(0);
    expect(snapshotDir(out)).toEqual(snapshotDir(alone));
  });

  it("refuses to resume into the --out of the run that saved the state (it would be lost)", async () => {
    const out = fresh("out");
    const state = fresh("state");
    expect((await lpa(["replay", part1, "--out", out, "--state", state])).code).toBe(0);
    const before = snapshotDir(out);
    const r = await lpa(["replay", part2, "--out", out, "--resume", state]);
    expect(r.code).toBe(2);
    expect(oneLine(r.err).first).toBe(
      `lpa: --out ${out} holds the outputs of the run that saved --resume ${state}; give each part its own --out`,
    );
    expect(snapshotDir(out)).toEqual(before);
    // The next part into its own directory is fine, and so is rerunning it there.
    const out2 = fresh("out2");
    expect((await lpa(["replay", part2, "--out", out2, "--resume", state])).code).toBe(0);
    expect((await lpa(["replay", part2, "--out", out2, "--resume", state])).code).toBe(0);
  });
});

describe("a ClickHouse-only run", () => {
  it("writes nothing to disk: rows go straight to the consumer, even when it fails", () => {
    const dir = fresh("tmpdir");
    mkdirSync(dir);
    vi.stubEnv("TMPDIR", dir);
    const seen: string[] = [];
    const writer = new OutputWriter(null, {
      consumer: {
        row: (table) => {
          seen.push(table);
          if (seen.length > 1) throw new Error("insert failed");
        },
      },
    });
    try {
      writer.add({ kind: "row", table: "fact_workflow_sessions", row: { version: 1 } } as never);
      expect(seen).toEqual(["fact_workflow_sessions"]);
      expect(() =>
        writer.add({ kind: "row", table: "raw_stream_trace_events", row: {} } as never),
      ).toThrow("insert failed");
    } finally {
      writer.dispose();
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("failures print one line, not a stack trace", () => {
  it("validate --rejects into a missing directory: exit 1", async () => {
    const r = await lpa(["validate", jsonl, "--rejects", "/nonexistent/x.jsonl"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "lpa: --rejects /nonexistent/x.jsonl: directory /nonexistent does not exist\n",
    );
  });

  it("validate --rejects is written atomically: no temporary file is left", async () => {
    const dir = fresh("rejects");
    mkdirSync(dir);
    const r = await lpa(["validate", jsonl, "--rejects", join(dir, "r.jsonl")]);
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual(["r.jsonl"]);
  });

  it("an invalid ClickHouse database name is a usage error (exit 2) before anything is opened", async () => {
    const db = fresh("db");
    for (const args of [
      ["replay", jsonl, "--clickhouse", `embedded:${db}`, "--database", "bad name;"],
      ["query", "SELECT 1", "--clickhouse", `embedded:${db}`, "--database", "bad name;"],
      ["ddl", "--database", "bad name;"],
    ]) {
      const r = await lpa(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(oneLine(r.err)).toEqual({
        first:
          'lpa: --database "bad name;" is not a ClickHouse database name (letters, digits and _, not starting with a digit)',
        stack: false,
      });
    }
    expect(existsSync(db)).toBe(false);
  });

  it("an unexpected error prints its message and exits 1; LPA_DEBUG=1 adds the stack", async () => {
    const failing = (): { io: ReturnType<typeof memoryIo>["io"]; err: () => string } => {
      const m = memoryIo();
      const stdout = new PassThrough();
      stdout.write = () => {
        throw new Error("stdout is gone");
      };
      return { io: { ...m.io, stdout }, err: m.err };
    };
    const plain = failing();
    expect(await run(["replay", jsonl, "--out", fresh("out")], plain.io)).toBe(1);
    expect(plain.err()).toBe(
      "lpa: internal error: stdout is gone (set LPA_DEBUG=1 to print the stack trace)\n",
    );
    vi.stubEnv("LPA_DEBUG", "1");
    const debug = failing();
    expect(await run(["replay", jsonl, "--out", fresh("out")], debug.io)).toBe(1);
    expect(debug.err()).toMatch(
      /^lpa: internal error: stdout is gone\nError: stdout is gone\n\s+at /,
    );
  });
});
