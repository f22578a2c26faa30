// Property tests are reproducible by default: every run uses the same seed unless FC_SEED is set
// (FC_SEED=random draws a fresh one and prints it). FC_NUM_RUNS scales the number of cases.
//
// Property tests are sized by their number of runs, never by wall time: no
// `interruptAfterTimeLimit` / `timeout` here or in a test, so a slow (busy) machine runs the same
// cases, only later. The projects' generous `testTimeout` (vitest.config.ts) only catches hangs;
// scripts/vitest/timeouts.test.ts guards both rules.
import fc from "fast-check";

const raw = process.env["FC_SEED"];
const seed =
  raw === "random" ? Date.now() ^ (Math.random() * 0x100000000) : Number(raw ?? 20260108);
if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer or "random", got ${raw}`);
if (raw === "random") process.stderr.write(`fast-check seed: ${seed}\n`);
const numRuns = Number(process.env["FC_NUM_RUNS"] ?? 100);
if (!Number.isInteger(numRuns) || numRuns < 1)
  throw new Error(`FC_NUM_RUNS must be a positive integer, got ${process.env["FC_NUM_RUNS"]}`);

fc.configureGlobal({ seed, numRuns });
