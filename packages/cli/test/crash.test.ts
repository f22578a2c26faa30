/**
 * Crash safety of `lpa replay` with real child processes: SIGKILL at every step of the end of a
 * run (through the documented `LPA_TEST_CRASH_AT` test hook), concurrent runs on one `--out`, and
 * SIGINT in the middle of a run.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import {
  buildCli,
  killRunning,
  runLpa,
  startLpa,
  type BuiltCli,
  type ChildResult,
} from "./child.js";
import { freshPaths, writeLogParts } from "./support.js";

const tmp = mkdtempSync(join(tmpdir(), "lpa-crash-"));
let cli: BuiltCli;
beforeAll(async () => {
  cli = await buildCli();
}, 120_000);
afterEach(() => killRunning());
afterAll(() => {
  cli?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

const fresh = freshPaths(tmp);
const lines = realEventLines();
const { part1, part2 } = writeLogParts(tmp);

/**
 * `copies` shifted copies of the real log (new ids, request ids and timestamps, one hour apart),
 * so every copy is accepted and opens its own session.
 */
function bigInput(copies: number): string[] {
  const out: string[] = [];
  for (let k = 0; k < copies; k++) {
    for (const l of lines) {
      const e = JSON.parse(l) as Record<string, unknown> & { data: unknown };
      e["id"] = `${String(e["id"])}-${k}`;
      e["timestamp"] = String(Number(e["timestamp"]) + k * 3_600_000);
      const d = e.data as Record<string, unknown>;
      if (d !== null && !Array.isArray(d) && typeof d === "object") {
        if (typeof d["request_id"] === "string") d["request_id"] = `${d["request_id"]}-${k}`;
        if (typeof d["timestamp"] === "number") d["timestamp"] += k * 3_600_000;
      }
      out.push(JSON.stringify(e));
    }
  }
  return out;
}

/** Every file of a directory (names sorted) with its content, hidden entries apart. */
function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort())
    if (!f.startsWith(".")) out[f] = readFileSync(join(dir, f), "utf8");
  return out;
}

/** Hidden entries of a directory (locks, work directories, temporary files). */
const hidden = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith("."));

/** The exit status a shell reports: the code, or 128 + the number of the ending signal. */
function exitStatus(r: ChildResult): number | null {
  return r.code ?? (r.signal === null ? null : 128 + constants.signals[r.signal]);
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

describe("lpa replay: SIGKILL at every step of the end of a run", () => {
  // The uninterrupted reference: part 1 saves s1, part 2 resumes from it and saves s2.
  const ref = {
    s1: "",
    s2: "",
    out2: {} as Record<string, string>,
    flushedOut2: {} as Record<string, string>,
  };
  beforeAll(async () => {
    const s = fresh("ref-state");
    const r1 = await runLpa(cli, ["replay", part1, "--out", fresh("ref-out1"), "--state", s]);
    expect(r1.code, r1.err).toBe(0);
    ref.s1 = readFileSync(s, "utf8");
    const out2 = fresh("ref-out2");
    const r2 = await runLpa(cli, ["replay", part2, "--resume", s, "--state", s, "--out", out2]);
    expect(r2.code, r2.err).toBe(0);
    ref.s2 = readFileSync(s, "utf8");
    expect(ref.s2).not.toBe(ref.s1);
    ref.out2 = snapshotDir(out2);
    const s1 = fresh("ref-s1");
    writeFileSync(s1, ref.s1);
    const flushed = fresh("ref-flushed");
    const r3 = await runLpa(cli, ["replay", part2, "--resume", s1, "--out", flushed]);
    expect(r3.code, r3.err).toBe(0);
    ref.flushedOut2 = snapshotDir(flushed);
  }, 60_000);

  const points = [
    "before-commit",
    "mid-commit",
    "after-commit",
    "state-temp-written",
    "after-state",
  ] as const;
  for (const point of points) {
    it(`part 2 (--resume s --state s) killed at ${point}: s is the old or the new state, a rerun converges`, async () => {
      const s = fresh("state");
      writeFileSync(s, ref.s1);
      const out = fresh("out");
      const args = ["replay", part2, "--resume", s, "--state", s, "--out", out];
      const killed = await runLpa(cli, args, { LPA_TEST_CRASH_AT: point });
      expect(killed.signal).toBe("SIGKILL");
      const after = readFileSync(s, "utf8");
      expect(after).toBe(point === "after-state" ? ref.s2 : ref.s1);
      if (after === ref.s1) {
        // The state still says "part 2 not done": running part 2 again must converge.
        const again = await runLpa(cli, args);
        expect(again.code, again.err).toBe(0);
        expect(hidden(out)).toEqual([]);
      } else {
        // Killed after its last step: at most the lock of the dead run is left (taken over later).
        expect(hidden(out)).toEqual([".lpa.lock"]);
      }
      expect(readFileSync(s, "utf8")).toBe(ref.s2);
      expect(snapshotDir(out)).toEqual(ref.out2);
    });
  }

  it("part 2 without --state killed mid-commit: a rerun from the untouched state converges", async () => {
    const s = fresh("state");
    writeFileSync(s, ref.s1);
    const out = fresh("out");
    const args = ["replay", part2, "--resume", s, "--out", out];
    const killed = await runLpa(cli, args, { LPA_TEST_CRASH_AT: "mid-commit" });
    expect(killed.signal).toBe("SIGKILL");
    expect(readFileSync(s, "utf8")).toBe(ref.s1);
    const again = await runLpa(cli, args);
    expect(again.code, again.err).toBe(0);
    expect(snapshotDir(out)).toEqual(ref.flushedOut2);
    expect(hidden(out)).toEqual([]);
  });

  it("part 1 killed before its state exists: no state file, a rerun gives the reference state", async () => {
    const s = fresh("state");
    const out = fresh("out");
    const args = ["replay", part1, "--out", out, "--state", s];
    const killed = await runLpa(cli, args, { LPA_TEST_CRASH_AT: "state-temp-written" });
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(s)).toBe(false);
    const again = await runLpa(cli, args);
    expect(again.code, again.err).toBe(0);
    expect(readFileSync(s, "utf8")).toBe(ref.s1);
  });
});

describe("lpa replay: concurrent runs and SIGINT", () => {
  const big = join(tmp, "big.jsonl");
  const bigLines = bigInput(150);
  writeFileSync(big, bigLines.join("\n") + "\n");
  let reference: Record<string, string> = {};
  beforeAll(async () => {
    const out = fresh("big-ref");
    const r = await runLpa(cli, ["replay", big, "--out", out]);
    expect(r.code, r.err).toBe(0);
    reference = snapshotDir(out);
  }, 120_000);

  it("two runs on the same --out: the second fails fast with a clear message, never a corrupt file", async () => {
    const out = fresh("shared");
    // The first run reads the file, then an empty stdin that stays open until the second run has
    // ended: it certainly holds the directory all that time (and writes the reference outputs).
    const a = startLpa(cli, ["replay", big, "-", "--out", out]);
    await waitFor(() => existsSync(join(out, ".lpa.lock")), 10_000);
    const rb = await runLpa(cli, ["replay", big, "--out", out]);
    expect(rb.code).toBe(1);
    expect(rb.err).toMatch(/^lpa: .*in use by another lpa run \(pid \d+\)/);
    expect(rb.err.trim().split("\n")).toHaveLength(1);
    a.child.stdin!.end();
    const ra = await a.done;
    expect(ra.code, ra.err).toBe(0);
    expect(snapshotDir(out)).toEqual(reference);
    expect(hidden(out)).toEqual([]);
  }, 120_000);

  it("SIGINT mid-run: exit 130, the previous outputs untouched, no temporary files left", async () => {
    const out = fresh("interrupted");
    const first = await runLpa(cli, ["replay", part1, "--out", out]);
    expect(first.code, first.err).toBe(0);
    const before = snapshotDir(out);
    const state = `${fresh("state")}.json`;
    // Half the input on stdin, which then stays open: the run is certainly in the middle.
    const r = startLpa(cli, ["replay", "-", "--out", out, "--state", state]);
    r.child.stdin!.write(bigLines.slice(0, bigLines.length / 2).join("\n") + "\n");
    await waitFor(() => readdirSync(out).length > Object.keys(before).length, 10_000);
    await new Promise((res) => setTimeout(res, 300));
    r.child.kill("SIGINT");
    const done = await r.done;
    expect(exitStatus(done)).toBe(130);
    expect(done.err).toMatch(/^lpa: interrupted/m);
    expect(snapshotDir(out)).toEqual(before);
    expect(hidden(out)).toEqual([]);
    expect(existsSync(state)).toBe(false);
  }, 60_000);

  it("SIGINT during a ClickHouse-only run: exit 130, nothing written to the temp directory", async () => {
    const tmpDir = fresh("tmpdir");
    mkdirSync(tmpDir);
    const db = fresh("db");
    const r = startLpa(cli, ["replay", "-", "--clickhouse", `embedded:${db}`], {
      TMPDIR: tmpDir,
    });
    r.child.stdin!.write(bigLines.slice(0, 2000).join("\n") + "\n");
    // The database directory exists once the run has started writing.
    const started = await waitFor(() => existsSync(db), 60_000);
    expect(started).toBe(true);
    await new Promise((res) => setTimeout(res, 300));
    r.child.kill("SIGINT");
    const done = await r.done;
    expect(exitStatus(done)).toBe(130);
    expect(readdirSync(tmpDir).filter((f) => f.startsWith("lpa-"))).toEqual([]);
  }, 120_000);
});
