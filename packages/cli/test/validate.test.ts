import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  realFixturePath,
  readRealFixture,
  REAL_SAMPLE_EXPECTED,
} from "@livepeer-analytics/testing/fixtures";
import { run } from "../src/main.js";
import { memoryIo, writeMixedInput } from "./support.js";
import type { ValidateReport } from "../src/commands/validate.js";

async function validateJson(
  args: string[],
  stdin = "",
): Promise<{ code: number; report: ValidateReport; err: string }> {
  const m = memoryIo({ stdin });
  const code = await run(["validate", "--json", ...args], m.io);
  return { code, report: JSON.parse(m.out()) as ValidateReport, err: m.err() };
}

const tmp = mkdtempSync(join(tmpdir(), "lpa-validate-"));
const jsonl = realFixturePath("streaming-events-2026-01-08.jsonl");

describe("lpa validate", () => {
  it("the real event log: 65 accepted, 0 DLQ, 0 quarantine", async () => {
    const { code, report } = await validateJson([jsonl]);
    expect(code).toBe(0);
    expect(report.accepted).toBe(65);
    expect(report.acceptedByType).toEqual(REAL_SAMPLE_EXPECTED.acceptedByType);
    expect(report.rowsByTable).toEqual(REAL_SAMPLE_EXPECTED.rowsByTable);
    expect([report.dlq, report.quarantine]).toEqual([0, 0]);
  });

  it("the same file twice: the second pass quarantines all 65 as duplicates", async () => {
    const { report } = await validateJson([jsonl, jsonl]);
    expect(report.records).toBe(130);
    expect(report.accepted).toBe(65);
    expect(report.quarantineByReason).toEqual({ duplicate_event: 65 });
  });

  it("prints a table by default", async () => {
    const m = memoryIo();
    expect(await run(["validate", jsonl], m.io)).toBe(0);
    expect(m.out()).toMatch(/records 65 = accepted 65 \+ DLQ at the gate 0 \+ duplicates 0\n/);
    expect(m.out()).toMatch(/stream_ingest_metrics\s+34/);
  });

  it("the counts reconcile: records = accepted + DLQ at the gate + duplicates", async () => {
    const file = writeMixedInput(tmp);
    const { report } = await validateJson([file]);
    expect(report).toMatchObject({
      records: 71,
      accepted: 66,
      gateDlq: 2,
      duplicates: 3,
      afterAcceptance: { dlq: 1, quarantine: 0 },
      dlq: 3,
      quarantine: 3,
    });
    expect(report.records).toBe(report.accepted + report.gateDlq + report.duplicates);
    expect(report.dlqByReason).toEqual({ json_parse_error: 2, record_too_large: 1 });
    const m = memoryIo();
    expect(await run(["validate", file], m.io)).toBe(0);
    expect(m.out()).toContain("records 71 = accepted 66 + DLQ at the gate 2 + duplicates 3\n");
    expect(m.out()).toContain(
      "rejected after acceptance (not in the count above): DLQ 1, quarantine 0\n",
    );
  });

  it("every real fixture is handled", async () => {
    const files = [
      "event-logs-streaming-events-2026-01-08.json",
      "getNetworkCapabilities.json",
      "getNetworkCapabilities-ai-batch-byoc.json",
    ] as const;
    const { code, report } = await validateJson(files.map((f) => realFixturePath(f)));
    expect(code).toBe(0);
    expect(report.inputs.map((i) => i.format)).toEqual([
      "ui-export",
      "capabilities-api",
      "capabilities-api",
    ]);
    expect(report.accepted).toBe(67);
    expect(report.dlq).toBe(0);
  });

  it("malformed inputs become DLQ counts with reasons, never a failure", async () => {
    const bad = join(tmp, "bad.jsonl");
    const lines = readRealFixture("streaming-events-2026-01-08.jsonl").split("\n").slice(0, 3);
    writeFileSync(
      bad,
      Buffer.concat([
        Buffer.from(`${lines[0]}\n${lines[1]!.slice(0, 40)}\n\n`),
        Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a]),
        Buffer.from('{"type":"job_gateway","timestamp":1,"data":{}}\n[1]\n'),
      ]),
    );
    const rejects = join(tmp, "rejects.jsonl");
    const { code, report } = await validateJson([bad, "--rejects", rejects]);
    expect(code).toBe(0);
    expect(report.accepted).toBe(1);
    expect(report.dlqByReason).toEqual({
      json_parse_error: 2,
      root_not_object: 1,
      unsupported_event_type: 1,
    });
    expect(report.inputs[0]!.skippedBlank).toBe(1);
    const envelopes = readFileSync(rejects, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { failure: { reason: string }; source: { offset: number } });
    expect(envelopes.map((e) => e.failure.reason)).toEqual([
      "json_parse_error",
      "json_parse_error",
      "unsupported_event_type",
      "root_not_object",
    ]);
    expect(envelopes.map((e) => e.source.offset)).toEqual([1, 2, 3, 4]);
  });

  it("empty files and wrong containers are reported, not fatal", async () => {
    const empty = join(tmp, "empty.jsonl");
    writeFileSync(empty, "");
    const scalar = join(tmp, "scalar.json");
    writeFileSync(scalar, '"just a string"');
    const { code, report } = await validateJson([empty, scalar]);
    expect(code).toBe(0);
    expect(report.inputs.map((i) => [i.format, i.records])).toEqual([
      ["empty", 0],
      ["jsonl", 1],
    ]);
    expect(report.dlqByReason).toEqual({ root_not_object: 1 });
  });

  it("reads gzip and standard input", async () => {
    const gz = join(tmp, "events.jsonl.gz");
    writeFileSync(gz, gzipSync(readFileSync(jsonl)));
    expect((await validateJson([gz])).report.accepted).toBe(65);
    expect(
      (await validateJson(["-"], readRealFixture("streaming-events-2026-01-08.jsonl"))).report
        .accepted,
    ).toBe(65);
  });

  it("usage errors exit 2, I/O errors exit 1", async () => {
    const m = memoryIo();
    expect(await run(["validate"], m.io)).toBe(2);
    expect(m.err()).toMatch(/at least one input/);
    expect(await run(["validate", "--bogus", jsonl], memoryIo().io)).toBe(2);
    expect(await run(["validate", "--dedup-ttl", "soon", jsonl], memoryIo().io)).toBe(2);
    expect(await run(["frobnicate"], memoryIo().io)).toBe(2);
    const missing = memoryIo();
    expect(await run(["validate", join(tmp, "nope.jsonl")], missing.io)).toBe(1);
    expect(missing.err()).toMatch(/ENOENT|no such file/);
  });

  it("options reach the gate: supported versions and dedup TTL", async () => {
    const v = join(tmp, "versions.jsonl");
    writeFileSync(
      v,
      '{"id":"a","type":"stream_ingest_metrics","timestamp":1,"version":"2","data":{"stream_id":"s","request_id":"r"}}\n',
    );
    expect((await validateJson([v])).report.dlqByReason).toEqual({ unsupported_version: 1 });
    expect((await validateJson([v, "--supported-versions", " "])).report.accepted).toBe(1);
    const { report } = await validateJson([jsonl, jsonl, "--dedup-ttl", "1"]);
    expect(report.config.dedupTtlMs).toBe(1);
    // The TTL is measured against the newest accepted event: after the first pass only the key of
    // the single newest event is still within 1 ms, so the second pass re-accepts the other 64.
    expect(report.records).toBe(130);
    expect(report.accepted).toBe(129);
    expect(report.quarantineByReason).toEqual({ duplicate_event: 1 });
  });

  it("the built binary prints 65 accepted (npx lpa validate … --json)", () => {
    const bin = join(import.meta.dirname, "..", "bin", "lpa.js");
    const out = execFileSync(process.execPath, [bin, "validate", jsonl, "--json"], {
      encoding: "utf8",
    });
    expect((JSON.parse(out) as ValidateReport).accepted).toBe(65);
  });
});
