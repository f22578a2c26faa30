// Property tests of the lifecycle invariants (lifecycle.md §9) on the composed operator in
// arrival order (REFERENCE_COMPAT processing), over generated realistic sessions.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  capabilitySnapshot,
  REAL_CANONICAL_ADDRESSES,
  REAL_HOT_WALLETS,
  inputTime,
  lifecycleSessionArbitrary,
  lifecycleStreamArbitrary,
  withBoundedReordering,
  withDuplicates,
} from "@livepeer-analytics/testing";
import { REFERENCE_COMPAT_LIFECYCLE_CONFIG, type LifecycleConfig } from "./config.js";
import type { LifecycleInput, LifecycleOutput } from "./fold.js";
import { initLifecycleState, lifecycleOperator, type LifecycleState } from "./operator.js";
import type { SessionRow } from "./session.js";
import type { SegmentRow } from "./segment.js";

const config: LifecycleConfig = {
  ...REFERENCE_COMPAT_LIFECYCLE_CONFIG,
  edgeSemanticsVersions: ["v1", "v2"],
};
const HOTS = REAL_HOT_WALLETS;
const CANONS = REAL_CANONICAL_ADDRESSES;

/** Capability inputs for the generated hot wallets, spread over the sessions' time range. */
const capabilitiesArb: fc.Arbitrary<LifecycleInput[]> = fc
  .array(
    fc.record({
      ts: fc.integer({ min: 1_767_899_000_000, max: 1_767_900_200_000 }),
      hot: fc.constantFrom(...HOTS),
      canon: fc.constantFrom(...CANONS),
      model: fc.constantFrom(
        "streamdiffusion-sdxl",
        "streamdiffusion-sdxl-faceid",
        "meta-llama/Meta-Llama-3.1-8B-Instruct",
      ),
      gpu: fc.constantFrom("GPU-a", "GPU-b", null),
      units: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
    }),
    { maxLength: 4 },
  )
  .map((caps) =>
    caps.map((c) => ({
      kind: "capability" as const,
      snapshots: [
        capabilitySnapshot({
          snapshotTs: c.ts,
          hotAddress: c.hot,
          canonicalOrchestratorAddress: c.canon,
          modelId: c.model,
          pipeline: c.model.startsWith("meta") ? "llm" : "live-video-to-video",
          gpuId: c.gpu,
          capacityUnits: c.units,
          sourceEventId: `cap-${c.ts}-${c.hot}`,
        }),
      ],
    })),
  );

const streamArb = fc
  .tuple(lifecycleStreamArbitrary({ hotWallets: [...HOTS, ""] }), capabilitiesArb)
  .map(([signals, caps]) => [...signals, ...caps].sort((a, b) => inputTime(a) - inputTime(b)));

interface Run {
  readonly outputs: LifecycleOutput[];
  readonly state: LifecycleState;
}

function run(
  inputs: readonly LifecycleInput[],
  roundTripEvery = 0,
  cfg: LifecycleConfig = config,
): Run {
  let state = initLifecycleState();
  const outputs: LifecycleOutput[] = [];
  let maxTs = -Infinity;
  inputs.forEach((input, i) => {
    if (roundTripEvery > 0 && i % roundTripEvery === 0)
      state = JSON.parse(JSON.stringify(state)) as LifecycleState;
    outputs.push(...lifecycleOperator.stepInPlace(state, input, cfg));
    maxTs = Math.max(maxTs, inputTime(input));
    outputs.push(...lifecycleOperator.advanceInPlace(state, maxTs - 60_000, cfg));
  });
  outputs.push(...lifecycleOperator.advanceInPlace(state, maxTs + 3_600_000, cfg));
  return { outputs, state };
}

function rowsOf<R>(outputs: readonly LifecycleOutput[], table: string): R[] {
  return outputs.flatMap((o) =>
    o.kind === "row" && o.table === table ? [o.row as unknown as R] : [],
  );
}

function bySession<R extends { workflow_session_id: string }>(
  rows: readonly R[],
): Map<string, R[]> {
  const m = new Map<string, R[]>();
  for (const r of rows) m.set(r.workflow_session_id, [...(m.get(r.workflow_session_id) ?? []), r]);
  return m;
}

const BANDS = new Map<string, number>([
  ["exact_orchestrator_time_match", 1],
  ["nearest_prior_snapshot", Math.fround(0.9)],
  ["nearest_snapshot_within_ttl", Math.fround(0.7)],
  ["proxy_address_join", Math.fround(0.4)],
  ["none", 0],
]);

describe("per session row (lifecycle.md §9.1)", () => {
  it("holds for every emitted session row", () => {
    fc.assert(
      fc.property(streamArb, (inputs) => {
        const { outputs } = run(inputs);
        const canonicals = new Set(CANONS);
        for (const [, rows] of bySession(rowsOf<SessionRow>(outputs, "fact_workflow_sessions"))) {
          rows.forEach((r, k) => {
            expect(r.event_count).toBe(r.version);
            expect(r.version).toBe(k + 1);
            expect(r.swap_count).toBe(r.confirmed_swap_count);
            if (r.known_stream === 1)
              expect(r.startup_success + r.startup_excused + r.startup_unexcused).toBe(1);
            else expect([r.startup_excused, r.startup_unexcused]).toEqual([0, 0]);
            expect(r.known_stream === 1).toBe(r.first_stream_request_ts !== null);
            expect(r.startup_success === 1).toBe(r.first_playable_ts !== null);
            expect(r.excusable_error_count).toBeLessThanOrEqual(r.error_count);
            expect(r.status_error_sample_count).toBeLessThanOrEqual(r.status_sample_count);
            expect(r.last_error_occurred === 1).toBe(r.status_error_sample_count > 0);
            if (r.loading_only_session === 1 || r.zero_output_fps_session === 1)
              expect(r.status_sample_count).toBeGreaterThan(0);
            expect(r.health_expected_signal_count).toBe(3 * r.known_stream);
            expect(r.health_signal_count).toBeLessThanOrEqual(3);
            expect(r.health_completeness_ratio).toBe(
              r.known_stream === 1 ? Math.fround(r.health_signal_count / 3) : 1,
            );
            for (const t of [
              r.first_stream_request_ts,
              r.first_processed_ts,
              r.first_playable_ts,
            ]) {
              if (t !== null) expect(r.session_start_ts <= t && t <= r.session_end_ts!).toBe(true);
            }
            expect(r.orchestrator_address === "" || canonicals.has(r.orchestrator_address)).toBe(
              true,
            );
            if (r.orchestrator_address !== "") expect(r.gpu_attribution_method).not.toBe("none");
            expect(BANDS.get(r.gpu_attribution_method)).toBe(r.gpu_attribution_confidence);
            expect(r.served_session + r.unserved_session).toBe(r.known_stream);
            if (r.served_session === 1) expect(r.startup_success).toBe(1);
            expect(r.service_failure_reason !== "").toBe(r.unserved_session === 1);
            const excusedReason =
              r.service_failure_reason === "no_orchestrators_available" ||
              r.service_failure_reason === "excusable_error";
            expect(excusedReason).toBe(r.unserved_session === 1 && r.startup_excused === 1);
            const unexcusedReason = [
              "non_excusable_error",
              "orchestrator_not_assigned",
              "no_processed_output",
              "not_playable",
            ].includes(r.service_failure_reason);
            expect(unexcusedReason).toBe(r.startup_unexcused === 1);
            if (r.served_duration_ms > 0) expect(r.served_session).toBe(1);
            for (const t of [r.orchestrator_assigned_ts, r.stream_closed_ts]) {
              if (t !== null) expect(r.session_start_ts <= t && t <= r.session_end_ts!).toBe(true);
            }
            expect(r.attribution_source === "unattributed").toBe(
              r.gpu_attribution_method === "none",
            );
          });
        }
      }),
    );
  });
});

describe("across the versions of one session (lifecycle.md §9.2)", () => {
  it("sticky flags never regress, counters never decrease, first-set values never move later", () => {
    fc.assert(
      fc.property(streamArb, (inputs) => {
        for (const [, rows] of bySession(
          rowsOf<SessionRow>(run(inputs).outputs, "fact_workflow_sessions"),
        )) {
          for (let k = 1; k < rows.length; k++) {
            const a = rows[k - 1]!;
            const b = rows[k]!;
            for (const f of [
              "known_stream",
              "startup_success",
              "last_error_occurred",
              "has_model_change",
              "has_pipeline_change",
            ] as const) {
              expect(b[f]).toBeGreaterThanOrEqual(a[f]);
            }
            for (const f of [
              "error_count",
              "excusable_error_count",
              "confirmed_swap_count",
              "status_sample_count",
              "status_error_sample_count",
              "health_signal_count",
              "inferred_orchestrator_change_count",
            ] as const) {
              expect(b[f]).toBeGreaterThanOrEqual(a[f]);
            }
            expect(b.session_end_ts!).toBeGreaterThanOrEqual(a.session_end_ts!);
            expect(b.session_start_ts).toBeLessThanOrEqual(a.session_start_ts);
            for (const f of [
              "first_stream_request_ts",
              "first_processed_ts",
              "first_playable_ts",
              "orchestrator_assigned_ts",
              "stream_closed_ts",
            ] as const) {
              if (a[f] !== null) {
                expect(b[f]).not.toBeNull();
                expect(b[f]!).toBeLessThanOrEqual(a[f]!);
              }
            }
            for (const f of [
              "workflow_id",
              "source_first_event_uid",
              "stream_id",
              "request_id",
              "gateway",
            ] as const)
              expect(b[f]).toBe(a[f]);
          }
        }
      }),
    );
  });
});

describe("segments (lifecycle.md §9.5)", () => {
  it("contiguous indices, consecutive versions, two-row boundaries, reasons and distinct canonicals", () => {
    fc.assert(
      fc.property(streamArb, (inputs) => {
        const { outputs } = run(inputs);
        const sessions = new Map(
          [...bySession(rowsOf<SessionRow>(outputs, "fact_workflow_sessions"))].map(([k, v]) => [
            k,
            v.at(-1)!,
          ]),
        );
        for (const [id, rows] of bySession(
          rowsOf<SegmentRow>(outputs, "fact_workflow_session_segments"),
        )) {
          expect(rows.map((r) => r.version)).toEqual(rows.map((_, i) => i + 1));
          const indices = [...new Set(rows.map((r) => r.segment_index))];
          expect(indices).toEqual(indices.map((_, i) => i));
          for (const r of rows)
            expect(["initial", "orchestrator_change", "stream_closed"]).toContain(r.reason);
          for (let k = 1; k < rows.length; k++) {
            const b = rows[k]!;
            if (b.segment_index === rows[k - 1]!.segment_index + 1) {
              const a = rows[k - 1]!;
              expect(a.segment_end_ts).toBe(b.segment_start_ts);
              expect(b.segment_end_ts).toBeNull();
              expect(b.reason).toBe("orchestrator_change");
              expect(b.orchestrator_address).not.toBe("");
              expect(a.orchestrator_address).not.toBe(b.orchestrator_address);
            }
          }
          const last = sessions.get(id)!;
          expect(indices.length - 1).toBeLessThanOrEqual(last.inferred_orchestrator_change_count);
        }
      }),
    );
  });
});

describe("latency, coverage, alignment (lifecycle.md §9.6)", () => {
  it("hold on every row", () => {
    fc.assert(
      fc.property(streamArb, (inputs) => {
        const { outputs } = run(inputs);
        const sessions = rowsOf<SessionRow>(outputs, "fact_workflow_sessions");
        const latency = rowsOf<Record<string, number | string | null>>(
          outputs,
          "fact_workflow_latency_samples",
        );
        expect(latency).toHaveLength(2 * sessions.length);
        latency.forEach((l, i) => {
          const s = sessions[Math.floor(i / 2)]!;
          expect(l["edge_semantics_version"]).toBe(i % 2 === 0 ? "v1" : "v2");
          expect([l["version"], l["sample_ts"]]).toEqual([s.version, s.session_start_ts]);
          for (const [kpi, has, reason] of [
            [
              "prompt_to_first_frame_ms",
              "has_prompt_to_first_frame",
              "prompt_to_first_frame_null_reason",
            ],
            ["startup_time_ms", "has_startup_time", "startup_time_null_reason"],
            ["e2e_latency_ms", "has_e2e_latency", "e2e_latency_null_reason"],
          ] as const) {
            expect(l[has]).toBe(l[kpi] === null ? 0 : 1);
            expect(l[reason] === "").toBe(l[kpi] !== null);
            if (l[kpi] !== null) expect(l[kpi] as number).toBeGreaterThanOrEqual(0);
          }
          if (
            i % 2 === 0 &&
            l["prompt_to_first_frame_ms"] !== null &&
            l["startup_time_ms"] !== null
          ) {
            expect(l["e2e_latency_ms"]).toBe(
              (l["prompt_to_first_frame_ms"] as number) + (l["startup_time_ms"] as number),
            );
          }
          if (i % 2 === 1)
            expect(l["startup_time_ms"]).toBe(latency[i - 1]!["prompt_to_first_frame_ms"]);
        });
        for (const c of rowsOf<Record<string, number | string>>(
          outputs,
          "fact_lifecycle_edge_coverage",
        )) {
          if (c["startup_edge_matched"] === 1)
            expect([c["known_stream"], c["has_first_processed_edge"]]).toEqual([1, 1]);
          if (c["playable_edge_matched"] === 1)
            expect([c["known_stream"], c["has_first_playable_edge"]]).toEqual([1, 1]);
          expect(c["unmatched_reason"] === "").toBe(
            c["known_stream"] === 1 &&
              c["has_first_processed_edge"] === 1 &&
              c["has_first_playable_edge"] === 1,
          );
          if (
            c["unmatched_reason"] === "missing_first_processed_segment_edge" ||
            c["unmatched_reason"] === "missing_playable_edge"
          ) {
            expect(c["is_terminal_signal"]).toBe(1);
          }
          if (c["is_terminal_signal"] === 1)
            expect(c["trace_type"]).toBe("gateway_ingest_stream_closed");
        }
        const samples = inputs.filter((i) => i.kind === "signal" && i.sample);
        const aligned = [
          ...rowsOf<Record<string, unknown>>(outputs, "fact_stream_status_samples"),
          ...rowsOf<Record<string, unknown>>(outputs, "fact_stream_trace_edges"),
        ];
        expect(aligned).toHaveLength(samples.length);
        for (const a of aligned) {
          if (a["is_attributed"] === 1) expect(a["orchestrator_address"]).not.toBe("");
          else
            expect([a["orchestrator_address"], a["pipeline"], a["model_id"]]).toEqual([
              "",
              "",
              null,
            ]);
        }
      }),
    );
  });
});

describe("order (in)dependence (lifecycle.md §9.3) and idempotence (§9.4)", () => {
  const ORDER_FREE = [
    "known_stream",
    "startup_success",
    "startup_excused",
    "startup_unexcused",
    "error_count",
    "excusable_error_count",
    "confirmed_swap_count",
    "swap_count",
    "status_sample_count",
    "status_error_sample_count",
    "last_error_occurred",
    "loading_only_session",
    "zero_output_fps_session",
    "health_signal_count",
    "health_completeness_ratio",
    "first_stream_request_ts",
    "first_processed_ts",
    "first_playable_ts",
    "session_start_ts",
    "session_end_ts",
    "event_count",
    "version",
    "served_session",
    "unserved_session",
    "service_failure_reason",
    "orchestrator_assigned_ts",
    "stream_closed_ts",
    "served_duration_ms",
    "active_duration_ms",
  ] as const;
  const finalRows = (outputs: readonly LifecycleOutput[]) => {
    const m = new Map<string, Record<string, unknown>>();
    for (const r of rowsOf<SessionRow>(outputs, "fact_workflow_sessions")) {
      m.set(r.workflow_session_id, Object.fromEntries(ORDER_FREE.map((f) => [f, r[f]])));
    }
    const lat = new Map<string, unknown>();
    for (const l of rowsOf<Record<string, unknown>>(outputs, "fact_workflow_latency_samples")) {
      lat.set(`${String(l["workflow_session_id"])}|${String(l["edge_semantics_version"])}`, [
        l["prompt_to_first_frame_ms"],
        l["startup_time_ms"],
        l["e2e_latency_ms"],
        l["prompt_to_first_frame_null_reason"],
        l["startup_time_null_reason"],
        l["e2e_latency_null_reason"],
      ]);
    }
    return { sessions: Object.fromEntries(m), latency: Object.fromEntries(lat) };
  };

  it("with an empty capability index, any arrival order gives the same final session and latency values", () => {
    const signals = lifecycleStreamArbitrary();
    fc.assert(
      fc.property(
        signals,
        fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
        (inputs, keys) => {
          const shuffled = inputs
            .map((x, i) => ({ x, k: keys[i % keys.length]! * 1000 + i }))
            .sort((a, b) => a.k - b.k)
            .map((p) => p.x);
          expect(finalRows(run(shuffled).outputs)).toEqual(finalRows(run(inputs).outputs));
        },
      ),
    );
  });

  it("bounded reordering too (window 4)", () => {
    fc.assert(
      fc.property(
        fc
          .tuple(lifecycleStreamArbitrary(), fc.constant(0))
          .chain(([xs]) => fc.tuple(fc.constant(xs), withBoundedReordering(fc.constant(xs), 4))),
        ([a, b]) => {
          expect(finalRows(run(b).outputs)).toEqual(finalRows(run(a).outputs));
        },
      ),
    );
  });

  it("reduce(dedupById(xs)) == reduce(dedupById(xs ++ dups)); the reducers themselves are not idempotent", () => {
    fc.assert(
      fc.property(withDuplicates(streamArb, 5), (inputs) => {
        const seen = new Set<string>();
        const dedup = inputs.filter((i) => {
          const k = i.kind === "signal" ? i.signal.sourceEventUid : JSON.stringify(i);
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        });
        const once = run(dedup).outputs;
        const unique: LifecycleInput[] = [];
        const s2 = new Set<string>();
        for (const i of inputs) {
          const k = i.kind === "signal" ? i.signal.sourceEventUid : JSON.stringify(i);
          if (!s2.has(k)) {
            s2.add(k);
            unique.push(i);
          }
        }
        expect(run(unique).outputs).toEqual(once);
      }),
    );
    const [one] = fc.sample(
      lifecycleSessionArbitrary({ maxStatus: 3 }).filter((xs) => xs.length > 0),
      { numRuns: 1, seed: 7 },
    );
    const doubled = [...one!, one![0]!];
    const last = (outs: LifecycleOutput[]) =>
      rowsOf<SessionRow>(outs, "fact_workflow_sessions").at(-1)!.event_count;
    expect(last(run(doubled).outputs)).toBe(last(run(one!).outputs) + 1);
  });

  it("determinism: replaying an identical input sequence gives byte-identical outputs", () => {
    fc.assert(
      fc.property(streamArb, (inputs) => {
        expect(JSON.stringify(run(inputs).outputs)).toBe(JSON.stringify(run(inputs).outputs));
      }),
    );
  });
});

describe("state is plain JSON; pure and in-place paths agree", () => {
  it("JSON round trips of the state at any cadence do not change the outputs", () => {
    fc.assert(
      fc.property(streamArb, fc.integer({ min: 1, max: 5 }), (inputs, every) => {
        const a = run(inputs);
        const b = run(inputs, every);
        expect(b.outputs).toEqual(a.outputs);
        expect(JSON.parse(JSON.stringify(b.state))).toEqual(JSON.parse(JSON.stringify(a.state)));
      }),
    );
  });

  it("step/advance (immer produce, input untouched) equal stepInPlace/advanceInPlace", () => {
    fc.assert(
      fc.property(streamArb, (inputs) => {
        let pure = lifecycleOperator.init(config);
        const owned = initLifecycleState();
        let maxTs = -Infinity;
        for (const input of inputs) {
          const before = JSON.stringify(pure);
          const r = lifecycleOperator.step(pure, input, config);
          expect(JSON.stringify(pure)).toBe(before);
          expect(lifecycleOperator.stepInPlace(owned, input, config)).toEqual(r.outputs);
          pure = r.state;
          maxTs = Math.max(maxTs, inputTime(input));
          const a = lifecycleOperator.advance(pure, maxTs - 60_000, config);
          expect(lifecycleOperator.advanceInPlace(owned, maxTs - 60_000, config)).toEqual(
            a.outputs,
          );
          pure = a.state;
        }
        expect(JSON.stringify(owned)).toBe(JSON.stringify(pure));
      }),
      { numRuns: 30 },
    );
  });
});
