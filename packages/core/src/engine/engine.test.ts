// End-to-end engine behaviour on the real event log (ingest-and-storage.md §10.3), snapshots,
// split/resume, reordering, duplicates and malformed input.
import { describe, expect, it } from "vitest";
import { REAL_SAMPLE_EXPECTED, realEventLines } from "@livepeer-analytics/testing/fixtures";
import { resolveEngineConfig } from "./config.js";
import {
  createEngine,
  EngineConfigError,
  EngineUsageError,
  type Engine,
  type EngineOutput,
  type EngineState,
} from "./engine.js";
import { collectFinalTables } from "./results.js";

const NOW = 1_800_000_000_000;

function replay(
  engine: Engine,
  lines: readonly string[],
  state: EngineState = engine.init(),
  flush = true,
): { state: EngineState; out: EngineOutput[] } {
  const out: EngineOutput[] = [];
  lines.forEach((value, i) => {
    out.push(...engine.stepInPlace(state, { record: { value, offset: i }, now: NOW }));
    const w = engine.nextWatermark(state);
    if (w !== null) out.push(...engine.advanceInPlace(state, w));
  });
  if (flush) out.push(...engine.flushInPlace(state));
  return { state, out };
}

const lines = realEventLines();
const countTables = (t: Record<string, unknown[]>) =>
  Object.fromEntries(
    Object.entries(t)
      .map(([k, v]) => [k, v.length])
      .sort(),
  );
const attributed = (rows: Record<string, unknown>[] | undefined) =>
  (rows ?? []).filter((r) => r["is_attributed"] === 1).length;

describe("engine over the real 2026-01-08 event log", () => {
  it("default correction mode: every expected table and count", () => {
    const engine = createEngine({ edgeSemanticsVersions: ["v1", "v2"] });
    const final = collectFinalTables(replay(engine, lines).out);
    expect(countTables(final.tables)).toEqual({
      ...REAL_SAMPLE_EXPECTED.rowsByTable,
      fact_lifecycle_edge_coverage: 23,
      fact_stream_status_samples: 17,
      fact_stream_trace_edges: 6,
      fact_workflow_latency_samples: 2,
      fact_workflow_session_segments: 1,
      fact_workflow_sessions: 1,
    });
    expect([final.dlq.length, final.quarantine.length]).toEqual([0, 0]);
    expect(attributed(final.tables["fact_stream_status_samples"])).toBe(17);
    expect(attributed(final.tables["fact_stream_trace_edges"])).toBe(5);
    expect(final.tables["fact_workflow_sessions"]![0]).toMatchObject({
      orchestrator_address: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      gpu_attribution_method: "nearest_prior_snapshot",
      served_session: 1,
      event_count: 23,
    });
    const lat = final.tables["fact_workflow_latency_samples"]!;
    expect(
      lat.map((r) => [
        r["edge_semantics_version"],
        r["prompt_to_first_frame_ms"],
        r["startup_time_ms"],
        r["e2e_latency_ms"],
      ]),
    ).toEqual([
      ["v1", 2655, 4089, 6744],
      ["v2", 6435, 2655, 105],
    ]);
    expect(final.counters["quality_gate.input"]).toBe(65);
  });

  it("reference-compat preset: 10 / 0 attributed status / trace rows, session version 23", () => {
    const engine = createEngine({ preset: "reference-compat" });
    const final = collectFinalTables(replay(engine, lines).out);
    expect(attributed(final.tables["fact_stream_status_samples"])).toBe(10);
    expect(attributed(final.tables["fact_stream_trace_edges"])).toBe(0);
    expect(final.tables["fact_workflow_sessions"]![0]).toMatchObject({
      version: 23,
      orchestrator_address: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
    });
  });

  it("is deterministic: the same input gives byte-identical outputs", () => {
    const engine = createEngine();
    expect(JSON.stringify(replay(engine, lines).out)).toBe(
      JSON.stringify(replay(engine, lines).out),
    );
  });

  it("split/resume with a snapshot equals one run (latest version per key over both runs)", () => {
    const engine = createEngine();
    const single = collectFinalTables(replay(engine, lines).out);
    for (const cut of [1, 20, 33, 64]) {
      const first = replay(engine, lines.slice(0, cut), engine.init(), false);
      const restored = engine.restore(engine.snapshot(first.state));
      if (!restored.ok) throw new Error(restored.error.message);
      expect(restored.state).toEqual(JSON.parse(JSON.stringify(first.state)));
      const second = replay(engine, lines.slice(cut), restored.state);
      expect(collectFinalTables([...first.out, ...second.out])).toEqual(single);
    }
  });

  it("shuffled input within the lateness bound gives the same final tables", () => {
    const engine = createEngine();
    const single = collectFinalTables(replay(engine, lines).out);
    const ts = (l: string) => Number((JSON.parse(l) as { timestamp: string }).timestamp);
    // Reverse the order inside consecutive 30 s windows (well within allowedLatenessMs = 60 s).
    const windows = new Map<number, string[]>();
    for (const l of lines) {
      const w = Math.floor(ts(l) / 30_000);
      windows.set(w, [...(windows.get(w) ?? []), l]);
    }
    const shuffled = [...windows.keys()]
      .sort((a, b) => a - b)
      .flatMap((w) => [...windows.get(w)!].reverse());
    expect(shuffled).not.toEqual(lines);
    const other = collectFinalTables(replay(engine, shuffled).out);
    const { counters: _a, ...restA } = other;
    const { counters: _b, ...restB } = single;
    expect(restA.tables["fact_workflow_sessions"]!.map(({ version: _v, ...r }) => r)).toEqual(
      restB.tables["fact_workflow_sessions"]!.map(({ version: _v, ...r }) => r),
    );
    for (const t of [
      "fact_stream_status_samples",
      "fact_stream_trace_edges",
      "fact_workflow_session_segments",
      "fact_workflow_latency_samples",
    ]) {
      const strip = (rows: Record<string, unknown>[]) =>
        rows
          .map(({ version: _v, ...r }) => r)
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(strip(restA.tables[t]!)).toEqual(strip(restB.tables[t]!));
    }
  });

  it("each event delivered twice: same final tables plus 65 quarantine rows", () => {
    const engine = createEngine();
    const single = collectFinalTables(replay(engine, lines).out);
    const doubled = collectFinalTables(
      replay(
        engine,
        lines.flatMap((l) => [l, l]),
      ).out,
    );
    expect(doubled.tables).toEqual(single.tables);
    expect(doubled.quarantine).toHaveLength(65);
    expect(new Set(doubled.quarantine.map((e) => e.failure.reason))).toEqual(
      new Set(["duplicate_event"]),
    );
  });

  it("malformed records become DLQ envelopes with reasons; nothing crashes", () => {
    const engine = createEngine();
    const bad = [
      "",
      "{not json",
      lines[0]!.slice(0, 50),
      '{"type":"job_auth","timestamp":1,"data":{}}',
      "\u0000\u0001binary",
      "[1,2,3]",
    ];
    const final = collectFinalTables(replay(engine, [...bad, ...lines]).out);
    expect(final.dlq.map((e) => e.failure.reason)).toEqual([
      "root_not_object",
      "json_parse_error",
      "json_parse_error",
      "unsupported_event_type",
      "json_parse_error",
      "root_not_object",
    ]);
    expect(final.tables["fact_workflow_sessions"]).toHaveLength(1);
  });

  it("pure step/advance/flush agree with the in-place path and leave their input untouched", () => {
    const engine = createEngine();
    let pure = engine.init();
    const owned = engine.init();
    for (const [i, value] of lines.slice(0, 30).entries()) {
      const before = JSON.stringify(pure);
      const r = engine.step(pure, { record: { value, offset: i }, now: NOW });
      expect(JSON.stringify(pure)).toBe(before);
      expect(engine.stepInPlace(owned, { record: { value, offset: i }, now: NOW })).toEqual(
        r.outputs,
      );
      pure = r.state;
      const w = engine.nextWatermark(owned);
      if (w !== null) {
        const beforeAdvance = JSON.stringify(pure);
        const a = engine.advance(pure, w);
        expect(JSON.stringify(pure)).toBe(beforeAdvance);
        expect(engine.advanceInPlace(owned, w)).toEqual(a.outputs);
        pure = a.state;
      }
    }
    const beforeFlush = JSON.stringify(pure);
    const flushed = engine.flush(pure);
    expect(JSON.stringify(pure)).toBe(beforeFlush);
    expect(flushed.outputs.length).toBeGreaterThan(0);
    expect(engine.flushInPlace(owned)).toEqual(flushed.outputs);
  });
});

describe("engine configuration", () => {
  it("defaults and presets", () => {
    const d = resolveEngineConfig({});
    const r = resolveEngineConfig({ preset: "reference-compat" });
    if (!d.ok || !r.ok) throw new Error("config");
    expect(d.config).toMatchObject({
      preset: "correction",
      correction: true,
      lifecycle: {
        attribution: { pruning: "watermark", futureReachMs: 600_000, staleWindowMs: 86_400_000 },
      },
    });
    expect(r.config).toMatchObject({
      preset: "reference-compat",
      correction: false,
      lifecycle: {
        attribution: { pruning: "reference", futureReachMs: null, staleWindowMs: null },
      },
    });
    expect(d.config.lifecycle.edgeSemanticsVersions).toEqual(["v1"]);
    expect(d.config.gate.dedupTtlMs).toBe(86_400_000);
  });

  it("reports unknown keys and ignored values, rejects invalid ones", () => {
    const r = resolveEngineConfig({
      resolverMode: "typo",
      lateness: 5,
      maxCandidatesPerKey: 0,
      servingEdgeSemanticsVersion: "v2",
    });
    if (!r.ok) throw new Error("config");
    expect(r.notices.map((n) => `${n.code}:${n.key}`).sort()).toEqual([
      "ignored_value:maxCandidatesPerKey",
      "ignored_value:resolverMode",
      "ignored_value:servingEdgeSemanticsVersion",
      "unknown_key:lateness",
    ]);
    expect(r.config.lifecycle.resolverMode).toBe("legacy_misnamed");
    const bad = resolveEngineConfig({ dedupTtlMs: -1, edgeSemanticsVersions: [] });
    if (bad.ok) throw new Error("invalid values were accepted");
    expect(bad.error.code).toBe("invalid_config");
    // One issue per invalid key, each prefixed with the key's path.
    expect(bad.error.issues.map((i) => i.slice(0, i.indexOf(":")))).toEqual([
      "dedupTtlMs",
      "edgeSemanticsVersions",
    ]);
    expect(() => createEngine({ pruning: "sometimes" } as never)).toThrow(
      /invalid engine configuration/,
    );
  });

  it("restore rejects foreign or mismatched snapshots with typed errors", () => {
    const engine = createEngine();
    expect(engine.restore("nope")).toMatchObject({
      ok: false,
      error: { code: "invalid_snapshot" },
    });
    expect(engine.restore('{"format":"x"}')).toEqual({
      ok: false,
      error: { code: "invalid_snapshot", message: "not an engine snapshot" },
    });
    const rc = createEngine({ preset: "reference-compat" });
    expect(rc.restore(engine.snapshot(engine.init()))).toMatchObject({
      ok: false,
      error: { message: /correction mode/ },
    });
  });

  it("refuses a null, array or primitive configuration with a configuration error", () => {
    for (const bad of [null, [], 42, "correction"]) {
      let error: unknown;
      try {
        createEngine(bad as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EngineConfigError);
      expect((error as EngineConfigError).issues[0]).toMatch(/must be an object/);
    }
  });

  it("step after flush throws step_after_flush; advance and flush after flush do nothing", () => {
    const engine = createEngine();
    const state = engine.init();
    engine.stepInPlace(state, { record: { value: lines[0]! }, now: NOW });
    engine.flushInPlace(state);
    let error: unknown;
    try {
      engine.stepInPlace(state, { record: { value: lines[1]! }, now: NOW });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EngineUsageError);
    expect((error as EngineUsageError).code).toBe("step_after_flush");
    expect(() => engine.step(state, { record: { value: lines[1]! }, now: NOW })).toThrow(
      EngineUsageError,
    );
    expect(engine.flushInPlace(state)).toEqual([]);
    expect(engine.nextWatermark(state)).toBeNull();
    expect(engine.advanceInPlace(state, NOW)).toEqual([]);
  });

  it("restore validates the whole state: a broken subtree is refused, not accepted and thrown later", () => {
    const engine = createEngine();
    const { state } = replay(engine, lines.slice(0, 30), engine.init(), false);
    const doc = JSON.parse(engine.snapshot(state)) as {
      state: { lifecycle: { sessions: Record<string, { unsealed: unknown }> } };
    };
    const id = Object.keys(doc.state.lifecycle.sessions)[0]!;
    doc.state.lifecycle.sessions[id]!.unsealed = "broken";
    const r = engine.restore(JSON.stringify(doc));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toContain(
      `state.lifecycle.sessions["${id}"].unsealed: expected array`,
    );
    // The intact snapshot still restores and continues.
    const good = engine.restore(engine.snapshot(state));
    expect(good.ok).toBe(true);
  });

  it("advance refuses a non-finite watermark (it would not survive a snapshot)", () => {
    const engine = createEngine();
    const state = engine.init();
    for (const w of [Infinity, -Infinity, NaN]) {
      expect(() => engine.advanceInPlace(state, w)).toThrow(EngineUsageError);
    }
    expect(state.watermark).toBeNull();
  });
});
