/**
 * Input containers end to end (`lpa validate` / `lpa replay`): every byte of an input becomes a
 * record, a DLQ envelope or a counted note, whatever the container, the line ends, gzip or stdin;
 * DLQ raw bytes are the bytes received; an oversize record is rejected in bounded memory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { readRealFixture, realEventLines } from "@livepeer-analytics/testing/fixtures";
import type { ValidateReport } from "../src/commands/validate.js";
import { run } from "../src/main.js";
import type { ReplaySummary } from "../src/summary.js";
import { buildCli, startLpa } from "./child.js";
import { memoryIo } from "./support.js";

const tmp = mkdtempSync(join(tmpdir(), "lpa-input-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const file = (name: string, content: string | Uint8Array): string => {
  const path = join(tmp, `${n++}-${name}`);
  writeFileSync(path, content);
  return path;
};
const lines = realEventLines();
const jsonlText = `${lines.join("\n")}\n`;
const capabilities = readRealFixture("getNetworkCapabilities.json");

/** Runs `lpa validate --json` with standard input made of the given chunks. */
async function validate(
  args: readonly string[],
  stdin: readonly Uint8Array[] = [],
): Promise<{ code: number; report: ValidateReport; err: string }> {
  const m = memoryIo();
  const io = { ...m.io, stdin: Readable.from(stdin.map((c) => Buffer.from(c))) };
  const code = await run(["validate", "--json", "--now", "1", ...args], io);
  return {
    code,
    report: code === 0 ? (JSON.parse(m.out()) as ValidateReport) : ({} as ValidateReport),
    err: m.err(),
  };
}

describe("every record of every container is read", () => {
  const array = `[${lines.join(",")}]`;
  it.each([
    ["a first line [] followed by JSONL", `[]\n${jsonlText}`, 65, "jsonl"],
    ["two JSON arrays on two lines", `${array}\n${array}\n`, 130, "json-array"],
    ["JSONL after an array's closing bracket", `${array}\n${jsonlText}`, 130, "jsonl"],
    ["CR-only line ends", lines.join("\r"), 65, "jsonl"],
    ["CRLF line ends", lines.join("\r\n"), 65, "jsonl"],
    ["several envelopes on one line, separated by spaces", lines.join(" "), 65, "jsonl"],
    [
      "pretty-printed concatenated envelopes",
      lines.map((l) => JSON.stringify(JSON.parse(l), null, 2)).join("\n"),
      65,
      "jsonl",
    ],
  ])("%s", async (_name, text, records, format) => {
    const { code, report } = await validate([file("input.json", text)]);
    expect(code).toBe(0);
    expect([report.inputs[0]!.format, report.inputs[0]!.records]).toEqual([format, records]);
    // Every envelope is accepted once; a second copy is a duplicate, nothing is rejected.
    expect([report.accepted, report.dlq, report.quarantine]).toEqual([65, 0, records - 65]);
  });

  it("a line that is not JSON, and text after a value, become DLQ records; the notes say where", async () => {
    const text = `${lines[0]} trailing words\n${lines[1]}\nnot json at all\n${lines[2]}`;
    const { report } = await validate([file("mixed.jsonl", text)]);
    expect(report.accepted).toBe(3);
    expect(report.dlqByReason).toEqual({ json_parse_error: 2 });
    expect(report.inputs[0]!.notes).toEqual([
      "2 malformed segments handed to the gate as records (first at line 1)",
    ]);
  });
});

describe("gzip and standard input", () => {
  const gz = gzipSync(Buffer.from(jsonlText));

  it("gzip is detected on standard input, even when the first chunk holds one byte", async () => {
    for (const chunks of [[gz], [gz.subarray(0, 1), gz.subarray(1, 2), gz.subarray(2)]]) {
      const { code, report } = await validate(["-"], chunks);
      expect(code).toBe(0);
      expect([report.records, report.accepted, report.dlq]).toEqual([65, 65, 0]);
    }
  });

  it("a capability API response on stdin, or gzipped, is the one envelope it is", async () => {
    const cases: [string[], Uint8Array[]][] = [
      [["-"], [Buffer.from(capabilities)]],
      [["-"], [gzipSync(capabilities)]],
      [[file("caps.json.gz", gzipSync(capabilities))], []],
      [["-"], [Buffer.from(JSON.stringify(JSON.parse(capabilities)))]],
    ];
    for (const [args, stdin] of cases) {
      const { report } = await validate(["--snapshot-ts", "1767909021590", ...args], stdin);
      expect([report.inputs[0]!.format, report.records, report.accepted, report.dlq]).toEqual([
        "capabilities-api",
        1,
        1,
        0,
      ]);
    }
  });

  it("corrupt or truncated gzip fails the run with exit 1, naming the input and the position", async () => {
    const truncated = file("cut.jsonl.gz", gz.subarray(0, Math.floor(gz.length / 2)));
    const a = await validate([truncated]);
    expect(a.code).toBe(1);
    expect(a.err).toMatch(
      new RegExp(
        `^lpa: \\d+-cut\\.jsonl\\.gz: gzip data is corrupt or truncated after [\\d,]+ bytes: `,
      ),
    );
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x41, 20, 60);
    const b = await validate(["-"], [corrupt]);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/^lpa: stdin: gzip data is corrupt or truncated after [\d,]+ bytes: /);
  });
});

describe("DLQ raw bytes are the bytes received", () => {
  const raw = Buffer.concat([
    Buffer.from(`${lines[0]}\n`),
    Buffer.from([0x80, 0xbf, 0x0a]),
    Buffer.from(`{"broken": "\xe9`),
    Buffer.from([0xff, 0x0a]),
  ]);
  const expected = [
    Buffer.from([0x80, 0xbf]),
    Buffer.concat([Buffer.from('{"broken": "\xe9'), Buffer.from([0xff])]),
  ];

  it("lpa validate --rejects", async () => {
    const rejects = join(tmp, "rejects.jsonl");
    const { report } = await validate([file("utf8.jsonl", raw), "--rejects", rejects]);
    expect(report.dlqByReason).toEqual({ json_parse_error: 2 });
    const envelopes = readFileSync(rejects, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { payload: { encoding: string; body: string } });
    expect(envelopes.map((e) => e.payload.encoding)).toEqual(["base64", "base64"]);
    expect(envelopes.map((e) => Buffer.from(e.payload.body, "base64"))).toEqual(expected);
  });

  it("lpa replay (raw_streaming_events_dlq.jsonl)", async () => {
    const out = join(tmp, "replay-utf8");
    const m = memoryIo();
    expect(await run(["replay", "--json", "--out", out, file("utf8.jsonl", raw)], m.io)).toBe(0);
    const rows = readFileSync(join(out, "raw_streaming_events_dlq.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { payload_encoding: string; payload_body: string });
    expect(rows.map((r) => Buffer.from(r.payload_body, "base64"))).toEqual(expected);
  });
});

describe("records over maxRecordBytes", () => {
  it("lpa replay takes the limit from the engine configuration", async () => {
    const config = file("config.json", JSON.stringify({ maxRecordBytes: 2000 }));
    const big = `{"id":"big","type":"stream_trace","data":"${"x".repeat(5000)}"}`;
    const out = join(tmp, "replay-big");
    const m = memoryIo();
    const input = file("big.jsonl", `${lines[0]}\n${big}\n${lines[1]}\n`);
    expect(await run(["replay", "--json", "--config", config, "--out", out, input], m.io)).toBe(0);
    const summary = JSON.parse(m.out()) as ReplaySummary;
    expect(summary.dlqByReason).toEqual({ record_too_large: 1 });
    expect(summary.events.read).toBe(3);
    expect(summary.inputs[0]!.notes).toContain(
      "1 record larger than 2,000 bytes rejected as record_too_large (first at line 2)",
    );
    const [row] = readFileSync(join(out, "raw_streaming_events_dlq.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(row).toMatchObject({
      source_offset: 1,
      failure_stage: "SINK_GUARD",
      failure_reason: "record_too_large",
      failure_details: `Record size ${big.length} exceeds limit 2000; payload holds the first 1024 bytes`,
      payload_encoding: "base64",
    });
    expect(Buffer.from(row!["payload_body"] as string, "base64").toString()).toBe(
      big.slice(0, 1024),
    );
  });

  it("a 300 MB line streamed through stdin is rejected in bounded memory (256 MB heap)", async () => {
    const cli = await buildCli();
    try {
      const out = join(tmp, "replay-300mb");
      const size = 300 * 1024 * 1024;
      const child = startLpa(cli, ["replay", "--json", "--out", out, "-"], {
        NODE_OPTIONS: "--max-old-space-size=256",
      });
      const block = Buffer.alloc(1024 * 1024, 0x61);
      async function* input(): AsyncGenerator<Buffer> {
        yield Buffer.from(`${lines[0]}\n{"id":"huge","type":"stream_trace","data":"`);
        for (let k = 0; k < 300; k++) yield block;
        yield Buffer.from(`"}\n${lines[1]}\n`);
      }
      // Resolves with the write error, if any, so that a crashed child is reported by its output.
      const piped = new Promise<Error | null>((resolve) => {
        const src = Readable.from(input());
        src.on("error", resolve);
        child.child.stdin!.on("error", resolve);
        src.pipe(child.child.stdin!).on("finish", () => resolve(null));
      });
      const [result, pipeError] = await Promise.all([child.done, piped]);
      expect(result.err).not.toMatch(/heap out of memory/i);
      expect([result.code, result.signal]).toEqual([0, null]);
      expect(pipeError).toBeNull();
      const summary = JSON.parse(result.out) as ReplaySummary;
      expect(summary.events.read).toBe(3);
      expect(summary.dlqByReason).toEqual({ record_too_large: 1 });
      const [row] = readFileSync(join(out, "raw_streaming_events_dlq.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const bytes = size + '{"id":"huge","type":"stream_trace","data":"'.length + 2;
      expect(row).toMatchObject({
        source_topic: "stdin",
        source_offset: 1,
        failure_reason: "record_too_large",
        failure_details: `Record size ${bytes} exceeds limit 1000000; payload holds the first 1024 bytes`,
      });
    } finally {
      cli.dispose();
    }
  }, 300_000);
});
