/**
 * The progress line: pure formatting (percent, ETA, durations, phases) and when it is written.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  etaMs,
  formatDuration,
  formatProgressLine,
  progressPercent,
  RunProgress,
  type ProgressState,
} from "./progress.js";

const MiB = 1024 * 1024;
const reading: ProgressState = {
  command: "replay",
  phase: "reading",
  input: "big.jsonl",
  bytes: 8 * MiB,
  totalBytes: 20 * MiB,
  records: 11_264,
  phaseElapsedMs: 4_000,
  detail: "",
};

describe("progress formatting (pure)", () => {
  it("percent of bytes read, clamped; none without a total", () => {
    expect(progressPercent(8 * MiB, 20 * MiB)).toBe(40);
    expect(progressPercent(30, 20)).toBe(100);
    expect(progressPercent(5, null)).toBeNull();
    expect(progressPercent(5, 0)).toBeNull();
  });

  it("ETA at the rate so far; none before a second or without progress", () => {
    expect(etaMs(25, 100, 10_000)).toBe(30_000);
    expect(etaMs(100, 100, 10_000)).toBe(0);
    expect(etaMs(0, 100, 10_000)).toBeNull();
    expect(etaMs(25, 100, 999)).toBeNull();
    expect(etaMs(25, null, 10_000)).toBeNull();
  });

  it("durations", () => {
    expect([0, 999, 45_000, 60_000, 185_000, 3_600_000, 7_620_000].map(formatDuration)).toEqual([
      "0s",
      "1s",
      "45s",
      "1m00s",
      "3m05s",
      "1h00m",
      "2h07m",
    ]);
  });

  it("the reading line: share of bytes, records, rate and ETA", () => {
    expect(formatProgressLine(reading)).toBe(
      "lpa replay: reading big.jsonl 40.0% (8.0 of 20.0 MiB), 11,264 records, 2,816 rec/s, ETA 6s",
    );
    // Standard input: no total, no percent, no ETA.
    expect(formatProgressLine({ ...reading, input: "stdin", totalBytes: null })).toBe(
      "lpa replay: reading stdin 8.0 MiB, 11,264 records, 2,816 rec/s",
    );
    // Not yet a second: no ETA.
    expect(formatProgressLine({ ...reading, phaseElapsedMs: 500 })).not.toMatch(/ETA/);
  });

  it("later phases: name, what they did so far, time in the phase", () => {
    expect(formatProgressLine({ ...reading, phase: "final rows", phaseElapsedMs: 2_000 })).toBe(
      "lpa replay: final rows (2s)",
    );
    expect(
      formatProgressLine({
        ...reading,
        phase: "loading",
        detail: "120,000 rows inserted",
        phaseElapsedMs: 65_000,
      }),
    ).toBe("lpa replay: loading 120,000 rows inserted (1m05s)");
    expect(formatProgressLine({ ...reading, phase: "assertions", phaseElapsedMs: 3_000 })).toBe(
      "lpa replay: assertions (3s)",
    );
  });
});

/** A fake stream; `tty` sets `isTTY`. */
function stream(tty: boolean): { s: PassThrough & { isTTY?: boolean }; text: () => string } {
  const s = Object.assign(new PassThrough(), tty ? { isTTY: true } : {});
  let text = "";
  s.on("data", (c: Buffer) => (text += c.toString()));
  return { s, text: () => text };
}

describe("RunProgress", () => {
  it("on a TTY: percent over all inputs, then each phase, then a newline", () => {
    const { s, text } = stream(true);
    let t = 0;
    const p = new RunProgress(s, "replay", 20 * MiB, () => t);
    t = 5_000; // reading starts 5 s after (e.g. ClickHouse opened first): not reading time
    p.startInput("a.jsonl");
    t = 7_000;
    p.reading(10 * MiB, 1_000);
    p.startInput("b.jsonl");
    t = 9_000;
    p.reading(5 * MiB, 1_500);
    p.phase("final rows");
    let inserted = 0;
    p.phase("loading", () => `${inserted} rows inserted`);
    inserted = 7;
    t = 11_000;
    p.phase("assertions");
    p.done();
    const lines = text()
      .split("\r")
      .filter((l) => l !== "");
    expect(lines).toEqual([
      "lpa replay: reading a.jsonl 50.0% (10.0 of 20.0 MiB), 1,000 records, 500 rec/s, ETA 2s\x1b[K",
      "lpa replay: reading b.jsonl 75.0% (15.0 of 20.0 MiB), 1,500 records, 375 rec/s, ETA 1s\x1b[K",
      "lpa replay: final rows (0s)\x1b[K",
      "lpa replay: loading 0 rows inserted (0s)\x1b[K",
      "lpa replay: assertions (0s)\x1b[K\n",
    ]);
  });

  it("a note erases the progress line, takes a line of its own, and the line comes back", () => {
    const { s, text } = stream(true);
    let t = 0;
    const p = new RunProgress(s, "replay", 20 * MiB, () => t);
    p.note("before any progress");
    p.startInput("a");
    t = 1_000;
    p.reading(MiB, 10);
    t = 1_050;
    p.note("lpa replay: ClickHouse insert into t (1 rows) failed: x; retry 1 in 200 ms");
    t = 1_100;
    p.reading(2 * MiB, 20);
    p.done();
    expect(text()).toBe(
      "before any progress\n" +
        "\rlpa replay: reading a 5.0% (1.0 of 20.0 MiB), 10 records, 10 rec/s, ETA 19s\x1b[K" +
        "\r\x1b[Klpa replay: ClickHouse insert into t (1 rows) failed: x; retry 1 in 200 ms\n" +
        "\rlpa replay: reading a 10.0% (2.0 of 20.0 MiB), 20 records, 18 rec/s, ETA 10s\x1b[K\n",
    );
  });

  it("reading updates are throttled to one per 200 ms", () => {
    const { s, text } = stream(true);
    let t = 0;
    const p = new RunProgress(s, "validate", 100 * MiB, () => t);
    p.startInput("x");
    for (let i = 1; i <= 10; i++) {
      t += 50;
      p.reading(i * MiB, i);
    }
    p.done();
    expect(
      text()
        .split("\r")
        .filter((l) => l !== ""),
    ).toHaveLength(3);
  });

  it("silent when stderr is not a TTY, or the inputs are small", () => {
    const pipe = stream(false);
    const small = stream(true);
    for (const [s, total] of [
      [pipe.s, 100 * MiB],
      [small.s, 1024],
    ] as const) {
      const p = new RunProgress(s, "replay", total, () => 5_000);
      p.startInput("x");
      p.reading(512, 10);
      p.phase("loading");
      p.done();
    }
    expect([pipe.text(), small.text()]).toEqual(["", ""]);
  });

  it("standard input (no total) on a TTY is shown", () => {
    const { s, text } = stream(true);
    let t = 0;
    const p = new RunProgress(s, "validate", null, () => t);
    p.startInput("stdin");
    t = 1_000;
    p.reading(MiB, 10);
    p.done();
    expect(text()).toBe("\rlpa validate: reading stdin 1.0 MiB, 10 records, 10 rec/s\x1b[K\n");
  });
});
