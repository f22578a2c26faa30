import { describe, expect, it } from "vitest";
import {
  readRealFixture,
  realEventLines,
  REAL_SAMPLE_EXPECTED,
} from "@livepeer-analytics/testing/fixtures";
import { loadContainer } from "../events/containers.js";
import { DEFAULT_GATE_CONFIG } from "./config.js";
import {
  emptyTally,
  initQualityState,
  qualityOperator,
  qualityStepInPlace,
  tallyOutput,
  type QualityConfig,
  type QualityOutput,
  type QualityState,
} from "./pipeline.js";
import { rejectAcceptedEvent } from "./reject-envelope.js";
import type { TransportRecord } from "../events/transport.js";

function run(
  state: QualityState,
  records: readonly TransportRecord[],
  config = DEFAULT_GATE_CONFIG,
) {
  const tally = emptyTally();
  let watermark = -Infinity;
  for (const record of records) {
    for (const o of qualityOperator.stepInPlace(
      state,
      { record, now: 1_800_000_000_000 },
      config,
    )) {
      tallyOutput(tally, o);
      if (o.kind === "accepted") watermark = Math.max(watermark, o.event.timestamp);
    }
    if (watermark > -Infinity) qualityOperator.advanceInPlace(state, watermark, config);
  }
  return tally;
}

const expectedTypes = REAL_SAMPLE_EXPECTED.acceptedByType;

describe("the real 2026-01-08 event log through the gate (ingest-and-storage.md §10.3)", () => {
  const jsonl = loadContainer(readRealFixture("streaming-events-2026-01-08.jsonl"), {
    topic: "jsonl",
  });
  const ui = loadContainer(readRealFixture("event-logs-streaming-events-2026-01-08.json"), {
    topic: "ui",
  });

  it("all 65 events pass (0 DLQ, 0 quarantine), every dedup key by event_id", () => {
    const tally = run(initQualityState(), jsonl.records);
    expect(tally.input).toBe(65);
    expect(tally.acceptedByType).toEqual(expectedTypes);
    expect(tally.dlqByReason).toEqual({});
    expect(tally.quarantineByReason).toEqual({});
    expect(tally.dedupStrategies).toEqual({ event_id: 65, payload_hash: 0 });
    expect(tally.rowsByTable).toEqual(REAL_SAMPLE_EXPECTED.rowsByTable);
  });

  it("a second pass within the TTL quarantines all 65 as duplicates", () => {
    const state = initQualityState();
    run(state, jsonl.records);
    const second = run(state, jsonl.records);
    expect(second.acceptedByType).toEqual({});
    expect(second.quarantineByReason).toEqual({ duplicate_event: 65 });
    expect(second.dlqByReason).toEqual({});
  });

  it("the UI-export container yields the same 65 record texts as the JSONL file, byte for byte", () => {
    expect(ui.format).toBe("ui-export");
    expect(jsonl.format).toBe("jsonl");
    expect(ui.records.map((r) => r.value)).toEqual(realEventLines());
    expect(new Set(ui.records.map((r) => r.offset)).size).toBe(65);
    expect(ui.records[0]).toMatchObject({
      topic: "streaming-events",
      partition: 0,
      recordTimestamp: 1767908945298,
    });
    expect(run(initQualityState(), ui.records).acceptedByType).toEqual(expectedTypes);
  });

  it("after the TTL has elapsed in event time, the same events are admitted again", () => {
    const state = initQualityState();
    const config = { ...DEFAULT_GATE_CONFIG, dedupTtlMs: 60_000 };
    run(state, jsonl.records, config);
    qualityOperator.advanceInPlace(state, 1767909115610 + 86_400_000, config);
    const again = run(state, jsonl.records, config);
    expect(again.acceptedByType).toEqual(expectedTypes);
  });
});

describe("qualityStepInPlace hooks (how the engine composes the pipeline)", () => {
  const NOW = 1_800_000_000_000;
  const line = realEventLines()[0]!;
  const step = (
    state: QualityState,
    hooks: Parameters<typeof qualityStepInPlace>[4],
    config: QualityConfig = DEFAULT_GATE_CONFIG,
  ): QualityOutput[] => {
    const out: QualityOutput[] = [];
    qualityStepInPlace(
      state,
      { record: { value: line }, now: NOW },
      config,
      (o) => out.push(o),
      hooks,
    );
    return out;
  };

  it("without hooks: exactly the operator's step", () => {
    const a = initQualityState();
    const b = initQualityState();
    expect(step(a, {})).toEqual(
      qualityOperator.stepInPlace(b, { record: { value: line }, now: NOW }, DEFAULT_GATE_CONFIG),
    );
    expect(a).toEqual(b);
  });

  it("screen: quarantines before dedup, with its counter; the event leaves no dedup entry", () => {
    const state = initQualityState();
    const out = step(state, {
      screen: (e) => ({
        counter: "event_time_outliers",
        envelope: rejectAcceptedEvent(e, "event_time_in_future", "test", NOW),
      }),
    });
    expect(out.map((o) => (o.kind === "counter" ? o.name : o.kind))).toEqual([
      "quality_gate.input",
      "quality_gate.accepted",
      "event_time_outliers",
      "quarantine",
    ]);
    expect(state).toEqual(initQualityState());
    // The same record afterwards is new, not a duplicate.
    expect(step(state, {}).some((o) => o.kind === "accepted")).toBe(true);
  });

  it("parsed: sees the typed rows before the guard; guardRows false emits oversize rows", () => {
    const seen: string[] = [];
    const tiny = { ...DEFAULT_GATE_CONFIG, maxRecordBytes: 64 };
    const guarded = step(
      initQualityState(),
      { parsed: (rows) => seen.push(...rows.map((r) => r.table)) },
      tiny,
    );
    expect(seen).toEqual(["raw_stream_trace_events"]);
    expect(guarded.filter((o) => o.kind === "row")).toEqual([]);
    expect(guarded.filter((o) => o.kind === "dlq")).toHaveLength(1);
    const unguarded = step(initQualityState(), {}, { ...tiny, guardRows: false });
    expect(unguarded.filter((o) => o.kind === "row")).toHaveLength(1);
    expect(unguarded.filter((o) => o.kind === "dlq")).toEqual([]);
  });
});
