// Correction mode (attribution.md §7.2–7.3, test rows of §9.12) and the real event log in the
// default mode (ingest-and-storage.md §10.3, lifecycle.md §4.12).
import { describe, expect, it } from "vitest";
import {
  aiEventSignal,
  capabilitySnapshot,
  statusSample,
  statusSignal,
  traceSample,
  traceSignal,
} from "@livepeer-analytics/testing";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { parseCapabilitySnapshots } from "../events/network-capabilities.js";
import { runGate } from "../quality/gate.js";
import { DEFAULT_LIFECYCLE_CONFIG } from "./config.js";
import {
  correctionOperator,
  DEFAULT_CORRECTION_CONFIG,
  flushCorrection,
  initCorrectionState,
  CORRECTION_STATE_VERSION,
  upgradeCorrectionState,
  type CorrectionOperatorConfig,
  type CorrectionState,
} from "./correction.js";
import type { LifecycleInput, LifecycleOutput } from "./fold.js";
import { toLifecycleInputs } from "./signal.js";

const config: CorrectionOperatorConfig = {
  ...DEFAULT_LIFECYCLE_CONFIG,
  ...DEFAULT_CORRECTION_CONFIG,
};

interface Driver {
  readonly state: CorrectionState;
  readonly out: LifecycleOutput[];
  step(input: LifecycleInput): void;
  advance(w: number): void;
  flush(): void;
}
function driver(cfg: CorrectionOperatorConfig = config): Driver {
  const state = initCorrectionState();
  const out: LifecycleOutput[] = [];
  return {
    state,
    out,
    step: (input) => out.push(...correctionOperator.stepInPlace(state, input, cfg)),
    advance: (w) => out.push(...correctionOperator.advanceInPlace(state, w, cfg)),
    flush: () => out.push(...flushCorrection(state, cfg)),
  };
}
const rows = (out: readonly LifecycleOutput[], table: string) =>
  out.flatMap((o) =>
    o.kind === "row" && o.table === table ? [o.row as unknown as Record<string, unknown>] : [],
  );
/** Latest row per key (max version), as a reader would see it. */
function latest(
  out: readonly LifecycleOutput[],
  table: string,
  key: (r: Record<string, unknown>) => string,
) {
  const m = new Map<string, Record<string, unknown>>();
  for (const r of rows(out, table)) {
    const k = key(r);
    const prev = m.get(k);
    if (prev === undefined || (r["version"] as number) > (prev["version"] as number)) m.set(k, r);
  }
  return m;
}
const withoutVersion = (r: Record<string, unknown> | undefined) => {
  if (r === undefined) return r;
  const { version: _v, ...rest } = r;
  return rest;
};

function replayReal(d: Driver, cfg: CorrectionOperatorConfig = config): void {
  let maxTs = -Infinity;
  for (const line of realEventLines()) {
    const gate = runGate({ value: line }, { now: 0 });
    if (!gate.ok) throw new Error(gate.envelope.failure.reason);
    const e = gate.event;
    if (e.eventType === "network_capabilities")
      d.step({ kind: "capability", snapshots: parseCapabilitySnapshots(e).rows });
    else {
      const inputs = toLifecycleInputs(e);
      if (inputs !== null) d.step({ kind: "signal", ...inputs });
    }
    maxTs = Math.max(maxTs, e.timestamp);
    d.advance(maxTs - cfg.attribution.allowedLatenessMs);
  }
  d.flush();
}

describe("the real 2026-01-08 event log in the default correction mode", () => {
  const d = driver({ ...config, edgeSemanticsVersions: ["v1", "v2"] });
  replayReal(d, config);
  const sessions = rows(d.out, "fact_workflow_sessions");

  it("the final session row equals the REFERENCE_COMPAT worked example except version", () => {
    const last = sessions.at(-1)!;
    expect(last).toMatchObject({
      workflow_id: "ai_live_video_stream",
      pipeline: "live-video-to-video",
      model_id: "streamdiffusion-sdxl-faceid",
      gpu_id: "GPU-a8d13655-197b-2226-d09f-b4b81e07504b",
      orchestrator_address: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      orchestrator_url: "https://rtav-orch2.xodeapp.xyz:28935",
      gpu_attribution_method: "nearest_prior_snapshot",
      gpu_attribution_confidence: Math.fround(0.9),
      session_start_ts: 1767908945298,
      session_end_ts: 1767909115610,
      event_count: 23,
      status_sample_count: 17,
      health_completeness_ratio: 1,
      source_first_event_uid: "59485235-8460-472f-a894-3b84f37ee9bb",
      source_last_event_uid: "8b35b1b6-38ca-4acb-bc55-84ecc5cb73b5",
      served_session: 1,
      served_duration_ms: 163568,
      active_duration_ms: 170312,
      orchestrator_assigned_ts: 1767908947583,
      capacity_units_at_start: 1,
      capacity_snapshot_ts: 1767909021590,
      attribution_source: "direct",
    });
    expect(sessions.map((r) => r["version"])).toEqual(sessions.map((_, i) => i + 1));
  });

  it("latency v1 and v2 of the final version", () => {
    const finalVersion = sessions.at(-1)!["version"];
    const lat = rows(d.out, "fact_workflow_latency_samples").filter(
      (r) => r["version"] === finalVersion,
    );
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
  });

  it("status samples and trace edges: 17 / 6 latest rows, 17 / 5 attributed (only the request edge is not)", () => {
    const status = latest(
      d.out,
      "fact_stream_status_samples",
      (r) => `${String(r["sample_ts"])}|${String(r["source_event_uid"])}`,
    );
    const traces = latest(
      d.out,
      "fact_stream_trace_edges",
      (r) => `${String(r["edge_ts"])}|${String(r["source_event_uid"])}`,
    );
    expect([status.size, traces.size]).toEqual([17, 6]);
    expect([...status.values()].filter((r) => r["is_attributed"] === 1)).toHaveLength(17);
    const unattributed = [...traces.values()].filter((r) => r["is_attributed"] !== 1);
    expect(unattributed.map((r) => r["trace_type"])).toEqual(["gateway_receive_stream_request"]);
    for (const r of [...status.values(), ...traces.values()]) {
      if (r["is_attributed"] === 1)
        expect(r["orchestrator_address"]).toBe("0xd00354656922168815fcd1e51cbddb9e359e3c7f");
    }
    expect(d.state.sessions["stream-o5s73x-mk5zc8fy|db936fab"]!.retained).toEqual([]);
  });

  it("one segment, attributed; no guarantee counters fired", () => {
    const segs = latest(d.out, "fact_workflow_session_segments", (r) => String(r["segment_index"]));
    expect([...segs.keys()]).toEqual(["0"]);
    expect(segs.get("0")).toMatchObject({
      orchestrator_address: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      is_retracted: 0,
      reason: "initial",
    });
    const counters = d.out
      .filter((o) => o.kind === "counter")
      .map((o) => (o.kind === "counter" ? o.name : ""));
    expect(
      counters.filter((c) =>
        [
          "late_events",
          "late_capabilities",
          "forced_seals",
          "relevant_evictions",
          "duplicate_signals",
        ].includes(c),
      ),
    ).toEqual([]);
  });
});

// Example A's first orchestrator and ai_stream_status.json (attribution.md §1.8, §9.12).
const CAP_TS = 1770063008615;
const HOT = "0xcdf93b13efcf63f84f2affb01bec48a5c096c69e";
const CANON = "0x9d61ae5875e89036fbf6059f3116d01a22ace3c8";
const URL = "https://rtv.nullworks.xyz:9924";
const capInput = (ts = CAP_TS): LifecycleInput => ({
  kind: "capability",
  snapshots: [
    "GPU-1e7025d4-a3dd-5371-daec-b666af6ec29c",
    "GPU-c391d107-0999-d9be-45a4-b494d6da1ccf",
  ].map((gpuId) =>
    capabilitySnapshot({
      snapshotTs: ts,
      hotAddress: HOT,
      canonicalOrchestratorAddress: CANON,
      orchestratorUrl: URL,
      gpuId,
      sourceEventId: "bcca7b6c-e09e-4567-a34a-2c4f5200a8e8",
      capacityUnits: 1,
    }),
  ),
});
const SESSION = "stream-0h8yoh-ml5l86hk|e66dd3fd";
const statusInput = (ts: number): LifecycleInput => ({
  kind: "signal",
  signal: statusSignal(ts, "streamdiffusion-sdxl", {
    workflowSessionId: SESSION,
    streamId: "stream-0h8yoh-ml5l86hk",
    requestId: "e66dd3fd",
    orchestratorAddress: HOT,
    orchestratorUrl: URL,
    sourceEventUid: "ae6f98da-5418-43cd-80d5-8d9a9521bb22",
  }),
  sample: statusSample(ts, {
    workflowSessionId: SESSION,
    orchestratorUrl: URL,
    sourceEventUid: "sha-status",
  }),
});

describe("§9.12 correction-mode cases", () => {
  const finals = (d: Driver) => ({
    session: withoutVersion(rows(d.out, "fact_workflow_sessions").at(-1)),
    segments: [
      ...latest(d.out, "fact_workflow_session_segments", (r) =>
        String(r["segment_index"]),
      ).values(),
    ].map(withoutVersion),
    status: [
      ...latest(d.out, "fact_stream_status_samples", (r) => String(r["source_event_uid"])).values(),
    ].map(withoutVersion),
  });

  it("capability before status: attributed on first emission", () => {
    const d = driver();
    d.step(capInput());
    d.step(statusInput(CAP_TS + 60_000));
    const first = rows(d.out, "fact_workflow_sessions")[0]!;
    expect(first).toMatchObject({
      orchestrator_address: CANON,
      gpu_attribution_method: "nearest_prior_snapshot",
      version: 1,
    });
    expect(rows(d.out, "fact_workflow_session_segments")[0]).toMatchObject({
      orchestrator_address: CANON,
    });
    expect(rows(d.out, "fact_stream_status_samples")).toMatchObject([
      { is_attributed: 1, orchestrator_address: CANON, version: 1 },
    ]);
    d.flush();
  });

  it("status before capability (60 s older, on time): unattributed first, corrected; the status row waits and is first emitted attributed", () => {
    const inOrder = driver();
    inOrder.step(capInput());
    inOrder.step(statusInput(CAP_TS + 60_000));
    inOrder.flush();

    const d = driver();
    d.advance(CAP_TS - 1); // watermark before both events
    d.step(statusInput(CAP_TS + 60_000));
    expect(rows(d.out, "fact_workflow_sessions").at(-1)).toMatchObject({
      orchestrator_address: "",
      version: 1,
    });
    expect(rows(d.out, "fact_stream_status_samples")).toEqual([]); // pending (≤ 15 s)
    d.step(capInput());
    expect(rows(d.out, "fact_workflow_sessions").at(-1)).toMatchObject({
      orchestrator_address: CANON,
      gpu_attribution_method: "nearest_prior_snapshot",
      version: 2,
    });
    expect(
      rows(d.out, "fact_workflow_session_segments").map((r) => [
        r["orchestrator_address"],
        r["version"],
      ]),
    ).toEqual([
      ["", 1],
      [CANON, 2],
    ]);
    expect(rows(d.out, "fact_stream_status_samples")).toMatchObject([
      { is_attributed: 1, orchestrator_address: CANON, version: 1 },
    ]);
    d.flush();
    expect(finals(d)).toEqual(finals(inOrder));
  });

  it("wallet/canonical mapping: a params_update AI event looks up by the canonical address", () => {
    const d = driver();
    d.step(capInput());
    d.step(statusInput(CAP_TS + 60_000));
    d.step({
      kind: "signal",
      signal: aiEventSignal("params_update", CAP_TS + 61_000, "streamdiffusion-sdxl", {
        workflowSessionId: SESSION,
        sourceEventUid: "p1",
        message: null,
      }),
    });
    const [param] = rows(d.out, "fact_workflow_param_updates");
    expect(param).toMatchObject({
      orchestrator_address: CANON,
      update_type: "params_update",
      source_event_uid: "p1",
      version: 1,
    });
    for (const table of [
      "fact_workflow_sessions",
      "fact_workflow_session_segments",
      "fact_workflow_param_updates",
      "fact_stream_status_samples",
    ]) {
      for (const r of rows(d.out, table)) expect(r["orchestrator_address"]).not.toBe(HOT);
    }
  });

  it("late status on an unattributed segment: first emitted unattributed after 15 s, then one correction", () => {
    const d = driver();
    const t = CAP_TS - 30_000;
    d.advance(t - 1000);
    d.step({
      kind: "signal",
      signal: traceSignal("gateway_receive_stream_request", t - 500, {
        workflowSessionId: SESSION,
        sourceEventUid: "req",
      }),
      sample: traceSample("gateway_receive_stream_request", t - 500, {
        workflowSessionId: SESSION,
        sourceEventUid: "sha-req",
      }),
    });
    d.step(statusInput(t));
    d.advance(t + 20_000);
    const status = rows(d.out, "fact_stream_status_samples");
    expect(status).toMatchObject([
      {
        is_attributed: 0,
        orchestrator_address: "",
        version: 1,
        attribution_source: "unattributed",
      },
    ]);
    d.step(capInput(t + 30_000));
    const after = rows(d.out, "fact_stream_status_samples");
    expect(after).toHaveLength(2);
    expect(after[1]).toMatchObject({
      is_attributed: 1,
      orchestrator_address: CANON,
      version: 2,
      attribution_source: "direct",
    });
    expect(rows(d.out, "fact_workflow_session_segments").at(-1)).toMatchObject({
      orchestrator_address: CANON,
    });
    expect(rows(d.out, "fact_workflow_sessions").at(-1)).toMatchObject({
      orchestrator_address: CANON,
      gpu_attribution_method: "nearest_snapshot_within_ttl",
    });
  });

  it("retraction: an out-of-order capability reveals an orchestrator change earlier than assumed", () => {
    const other = "0x5263e0ce3a97b634d8828ce4337ad0f70b30b077";
    const hot2 = "0xedd45674825cd5a27c4c645014f37b9e402fdcbe";
    const cap2 = (ts: number): LifecycleInput => ({
      kind: "capability",
      snapshots: [
        capabilitySnapshot({
          snapshotTs: ts,
          hotAddress: hot2,
          canonicalOrchestratorAddress: other,
        }),
      ],
    });
    const sig = (ts: number, hot: string, uid: string): LifecycleInput => ({
      kind: "signal",
      signal: statusSignal(ts, "streamdiffusion-sdxl", {
        workflowSessionId: SESSION,
        orchestratorAddress: hot,
        sourceEventUid: uid,
      }),
    });
    const d = driver();
    d.advance(CAP_TS - 10_000);
    d.step(capInput(CAP_TS));
    d.step(sig(CAP_TS + 1000, HOT, "a"));
    d.step(sig(CAP_TS + 3000, HOT, "c"));
    // Before the second orchestrator's capability is known, "b" looks like the first orchestrator.
    d.step(cap2(CAP_TS + 1500));
    d.step(sig(CAP_TS + 2000, hot2, "b"));
    const segs = latest(d.out, "fact_workflow_session_segments", (r) => String(r["segment_index"]));
    expect(
      [...segs.values()].map((r) => [
        r["segment_index"],
        r["orchestrator_address"],
        r["segment_start_ts"],
        r["segment_end_ts"],
        r["is_retracted"],
      ]),
    ).toEqual([
      [0, CANON, CAP_TS + 1000, CAP_TS + 2000, 0],
      [1, other, CAP_TS + 2000, CAP_TS + 3000, 0],
      [2, CANON, CAP_TS + 3000, null, 0],
    ]);
    const versions = rows(d.out, "fact_workflow_session_segments").map((r) => r["version"]);
    expect(versions).toEqual(versions.map((_, i) => i + 1));

    // A later capability makes hot2 ambiguous (two canonicals): "b" and "c" no longer change the
    // orchestrator, the re-fold has one segment, and indices 1 and 2 are retracted.
    d.step({
      kind: "capability",
      snapshots: [
        capabilitySnapshot({
          snapshotTs: CAP_TS + 1600,
          hotAddress: hot2,
          canonicalOrchestratorAddress: CANON,
        }),
      ],
    });
    const after = latest(d.out, "fact_workflow_session_segments", (r) =>
      String(r["segment_index"]),
    );
    expect(
      [...after.values()].map((r) => [
        r["segment_index"],
        r["orchestrator_address"],
        r["segment_end_ts"],
        r["is_retracted"],
      ]),
    ).toEqual([
      [0, CANON, null, 0],
      [1, other, CAP_TS + 3000, 1],
      [2, CANON, null, 1],
    ]);
    expect(rows(d.out, "fact_workflow_sessions").at(-1)).toMatchObject({
      orchestrator_address: CANON,
      inferred_orchestrator_change_count: 0,
    });
  });

  it("duplicates inside the fold are ignored and counted", () => {
    const d = driver();
    d.step(statusInput(CAP_TS));
    d.step(statusInput(CAP_TS));
    expect(
      d.out.filter((o) => o.kind === "counter" && o.name === "duplicate_signals"),
    ).toHaveLength(1);
    expect(rows(d.out, "fact_workflow_sessions")).toHaveLength(1);
  });

  it("every retained row is final once W > ts + futureReachMs; state is plain JSON", () => {
    const d = driver();
    d.step(statusInput(CAP_TS));
    expect(d.state.sessions[SESSION]!.retained).toHaveLength(1);
    d.advance(CAP_TS + 600_000);
    expect(d.state.sessions[SESSION]!.retained).toHaveLength(1);
    d.advance(CAP_TS + 600_001);
    expect(d.state.sessions[SESSION]!.retained).toHaveLength(0);
    expect(d.state.sessions[SESSION]!.unsealed).toHaveLength(0);
    expect(JSON.parse(JSON.stringify(d.state))).toEqual(d.state);
  });
});

describe("the last emitted session row is kept as a digest", () => {
  /** A second status signal of the session (another event), at `ts`. */
  const otherStatus = (ts: number): LifecycleInput => {
    const base = statusInput(ts) as Extract<LifecycleInput, { kind: "signal" }>;
    return {
      ...base,
      signal: { ...base.signal, sourceEventUid: `other-${ts}` },
      sample: { ...base.sample!, sourceEventUid: `other-sample-${ts}` },
    };
  };

  it("lastSession is null until a session row is emitted, then a short string", () => {
    const d = driver({ ...config, foldRows: "final" });
    d.step(statusInput(CAP_TS));
    expect(d.state.sessions[SESSION]!.lastSession).toBeNull();
    d.flush();
    expect(rows(d.out, "fact_workflow_sessions")).toHaveLength(1);
    const digest = d.state.sessions[SESSION]!.lastSession;
    // 128 bits in base64url: 22 characters, whatever the size of the row (~1.7 KB of JSON).
    expect(digest).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(rows(d.out, "fact_workflow_sessions")[0]).length).toBeGreaterThan(1000);
    const e = driver();
    e.step(statusInput(CAP_TS));
    expect(e.state.sessions[SESSION]!.lastSession).toBe(digest);
  });

  it("a state saved with the row itself restores: an unchanged session re-emits nothing, a changed one re-emits", () => {
    const cfg: CorrectionOperatorConfig = { ...config, foldRows: "advance" };
    const d = driver(cfg);
    d.step(capInput());
    d.step(statusInput(CAP_TS + 60_000));
    d.advance(CAP_TS);
    const emitted = rows(d.out, "fact_workflow_sessions");
    expect(emitted).toHaveLength(1);
    const digest = d.state.sessions[SESSION]!.lastSession!;
    // The same state as saved by version 2, before digests: `lastSession` held the row last
    // emitted, with its `version`, and went through JSON.
    const saved = JSON.stringify(d.state);
    const old = JSON.parse(saved) as {
      v: number;
      sessions: Record<string, { lastSession: unknown }>;
    };
    old.v = 2;
    old.sessions[SESSION]!.lastSession = JSON.parse(JSON.stringify(emitted[0]));
    const oldText = JSON.stringify(old);
    const upgraded = upgradeCorrectionState(old) as CorrectionState;
    expect(upgraded.sessions[SESSION]!.lastSession).toBe(digest);
    expect(upgraded).toEqual(JSON.parse(saved));
    expect(JSON.stringify(old)).toBe(oldText); // pure
    // Version-1 states get the same conversion; current states are returned as they are, even
    // one holding a record (validation reports it).
    const v1 = upgradeCorrectionState({ ...old, v: 1 }) as CorrectionState;
    expect(v1.sessions[SESSION]!.lastSession).toBe(digest);
    const current = JSON.parse(saved) as unknown;
    expect(upgradeCorrectionState(current)).toBe(current);
    const malformed = { ...old, v: CORRECTION_STATE_VERSION };
    expect(upgradeCorrectionState(malformed)).toBe(malformed);
    // A version-3 state of an unreleased build with a whole coverage accumulator is compacted.
    const current3 = JSON.parse(saved) as {
      sessions: Record<string, { coverage: Record<string, unknown> }>;
    };
    const compact = current3.sessions[SESSION]!.coverage;
    current3.sessions[SESSION]!.coverage = { ...compact, pipelinesSeen: [], errorCount: 0 };
    expect(upgradeCorrectionState(current3)).toEqual(JSON.parse(saved));

    const resume = (state: CorrectionState) => {
      const out: LifecycleOutput[] = [];
      // The same capability again: the session is re-folded and marked for the next advance,
      // which compares its row with the last one emitted.
      out.push(...correctionOperator.stepInPlace(state, capInput(), cfg));
      expect(state.dirty).toEqual([SESSION]);
      out.push(...correctionOperator.advanceInPlace(state, CAP_TS + 1, cfg));
      const unchanged = rows(out, "fact_workflow_sessions");
      // Another status signal changes the row.
      out.push(...correctionOperator.stepInPlace(state, otherStatus(CAP_TS + 70_000), cfg));
      out.push(...correctionOperator.advanceInPlace(state, CAP_TS + 2, cfg));
      out.push(...flushCorrection(state, cfg));
      return { unchanged, out };
    };
    const fromOld = resume(upgraded);
    expect(fromOld.unchanged).toEqual([]);
    const changed = rows(fromOld.out, "fact_workflow_sessions");
    expect(changed.length).toBeGreaterThan(0);
    expect(changed[0]).toMatchObject({ version: 2, event_count: 2 });
    // Exactly what the state saved with the digest gives.
    expect(fromOld.out).toEqual(resume(JSON.parse(saved) as CorrectionState).out);
  });
});
