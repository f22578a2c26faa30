/**
 * The Kafka commands' argument handling (no broker needed): every mistake is a usage error with
 * exit code 2 and one clear line, before anything connects.
 */
import { describe, expect, it } from "vitest";
import { HELP, run } from "../src/main.js";
import { memoryIo } from "./support.js";

const usage = async (argv: string[]): Promise<{ code: number; err: string }> => {
  const m = memoryIo();
  const code = await run(argv, m.io);
  return { code, err: m.err().split("\n")[0]! };
};

describe("Kafka commands: usage errors", () => {
  it("lists the Kafka commands in the top-level help", () => {
    for (const c of ["run", "produce", "dlq-replay", "dev-kafka"]) expect(HELP).toContain(`  ${c}`);
  });

  it.each([
    [["run"], "nothing to write to: give --clickhouse TARGET (or CLICKHOUSE_URL) and/or --out DIR"],
    [["run", "--out", "x", "--log-format", "xml"], "--log-format must be text or json"],
    [
      ["run", "--out", "x", "--emission", "sometimes"],
      "--emission must be coalesced, every-change or final",
    ],
    [["run", "--out", "x", "--brokers", " , "], "--brokers is empty"],
    [["run", "extra"], "This command does not take positional arguments"],
    [["run", "--out", "x", "--exit-when-idle", "soon"], "--exit-when-idle"],
    [["produce"], "lpa produce needs at least one input file (or - for stdin)"],
    [["produce", "f.jsonl", "--partitions", "0"], "--partitions must be at least 1"],
  ])("lpa %j → exit 2", async (argv, message) => {
    const r = await usage(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it("prints each command's help with --help (exit 0)", async () => {
    for (const c of ["run", "produce", "dlq-replay", "dev-kafka"]) {
      const m = memoryIo();
      expect(await run([c, "--help"], m.io)).toBe(0);
      expect(m.out()).toMatch(/^Usage: lpa /);
    }
  });

  it(
    "unreachable brokers fail with one line and exit 1 within the probe time",
    { timeout: 60_000 },
    async () => {
      for (const argv of [
        ["run", "--out", "unused", "--brokers", "127.0.0.1:1"],
        ["produce", "unused.jsonl", "--brokers", "127.0.0.1:1"],
      ]) {
        const m = memoryIo();
        expect(await run(argv, m.io)).toBe(1);
        expect(m.err()).toMatch(/^lpa: cannot reach Kafka at 127\.0\.0\.1:1 within 15 s: /m);
        expect(m.err()).not.toContain("internal error");
      }
    },
  );
});
