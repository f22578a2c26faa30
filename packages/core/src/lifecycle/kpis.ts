/**
 * Attribution quality KPIs (`attribution.md` §7.6), computed from the latest, non-retracted rows
 * of a window, with the proposed thresholds.
 *
 * @module
 */
import type { CounterName } from "../quality/counters.js";
import type { StatusSampleRow, TraceEdgeRow } from "./alignment.js";
import type { SegmentRow } from "./segment.js";
import type { SessionRow } from "./session.js";

/**
 * Status of a KPI against its thresholds.
 *
 * @category KPIs
 */
export type KpiStatus = "ok" | "warn" | "fail" | "info";

/**
 * One KPI value.
 *
 * @category KPIs
 */
export interface KpiValue {
  /** The ratio (0–1) or count; `null` when the denominator is 0. */
  readonly value: number | null;
  /** Numerator. */
  readonly numerator: number;
  /** Denominator (for counts: 1). */
  readonly denominator: number;
  /** Against the default thresholds. */
  readonly status: KpiStatus;
}

/**
 * Rows a KPI computation reads: the latest row per key (readers drop retracted segments).
 *
 * @category KPIs
 */
export interface KpiInput {
  /** Latest session rows. */
  readonly sessions: readonly SessionRow[];
  /** Latest segment rows (retracted ones are ignored). */
  readonly segments?: readonly SegmentRow[];
  /** Latest status-sample rows. */
  readonly statusSamples?: readonly StatusSampleRow[];
  /** Latest trace-edge rows. */
  readonly traceEdges?: readonly TraceEdgeRow[];
  /** Correction rows emitted (rows after the first of their key), for `correction_rate`. */
  readonly correctionRows?: number;
  /** First emissions, for `correction_rate`. */
  readonly firstEmissions?: number;
  /** Engine counters of the window. */
  readonly counters?: Partial<Record<CounterName, number>>;
}

/**
 * Convergence-guarantee counters as KPIs (warn > 0).
 *
 * @category KPIs
 */
export interface GuaranteeCounterKpis {
  /** Lifecycle signals that arrived behind the watermark. */
  readonly late_events: KpiValue;
  /** Capabilities that arrived behind the watermark. */
  readonly late_capabilities: KpiValue;
  /** Signals sealed or rows finalized early by the per-session caps. */
  readonly forced_seals: KpiValue;
  /** Cap evictions of candidates still eligible for an unsealed signal. */
  readonly relevant_evictions: KpiValue;
}

/**
 * The KPI set of §7.6.
 *
 * @category KPIs
 */
export interface QualityKpis {
  /** Rows with `orchestrator_address = ""` ÷ rows, restricted to sessions with evidence (warn > 0.02, fail > 0.05). */
  readonly empty_key_rate: {
    readonly sessions: KpiValue;
    readonly segments: KpiValue;
    readonly status_samples: KpiValue;
    readonly trace_edges: KpiValue;
  };
  /** Sessions with evidence and source `unattributed` ÷ sessions with evidence (warn > 0.02, fail > 0.05). */
  readonly unattributed_session_rate: KpiValue;
  /** Sessions with evidence and source `mapped_window` ÷ sessions with evidence (informational). */
  readonly mapped_window_session_rate: KpiValue;
  /**
   * Sessions whose latest selection attempt was `ambiguous_canonical` ÷ sessions whose latest
   * attempt had a lookup key (warn > 0.01). Computed from the final attempt of each session (the
   * session row's `attribution_outcome`), not from every attempt.
   */
  readonly ambiguous_rate: KpiValue;
  /** Attributed sessions with non-blank model and pipeline ÷ attributed sessions with a model (fail < 0.99). */
  readonly pipeline_coverage: KpiValue;
  /** Correction rows ÷ first emissions (informational). */
  readonly correction_rate: KpiValue;
  /** `late_events`, `late_capabilities`, `forced_seals`, `relevant_evictions` (warn > 0: the convergence guarantee is void for the affected sessions). */
  readonly guarantee_counters: GuaranteeCounterKpis;
}

function ratio(numerator: number, denominator: number, status: (v: number) => KpiStatus): KpiValue {
  const value = denominator === 0 ? null : numerator / denominator;
  return { value, numerator, denominator, status: value === null ? "ok" : status(value) };
}

const warnFail =
  (warn: number, fail: number) =>
  (v: number): KpiStatus =>
    v > fail ? "fail" : v > warn ? "warn" : "ok";
const info = (): KpiStatus => "info";

/**
 * `true` when a session had orchestrator evidence: some signal carried a hot wallet or URL
 * (visible on the row as a URL or an assignment time).
 *
 * @category KPIs
 */
export function hasOrchestratorEvidence(
  s: Pick<SessionRow, "orchestrator_url" | "orchestrator_assigned_ts">,
): boolean {
  return s.orchestrator_url !== "" || s.orchestrator_assigned_ts !== null;
}

/**
 * Computes the §7.6 KPIs from the latest rows of a window.
 *
 * @category KPIs
 */
export function computeQualityKpis(input: KpiInput): QualityKpis {
  const evidence = new Set(
    input.sessions.filter(hasOrchestratorEvidence).map((s) => s.workflow_session_id),
  );
  const emptyRate = (
    rows: readonly { workflow_session_id: string; orchestrator_address: string }[],
  ) => {
    const inScope = rows.filter((r) => evidence.has(r.workflow_session_id));
    return ratio(
      inScope.filter((r) => r.orchestrator_address === "").length,
      inScope.length,
      warnFail(0.02, 0.05),
    );
  };
  const withEvidence = input.sessions.filter((s) => evidence.has(s.workflow_session_id));
  const attempted = input.sessions.filter(
    (s) => s.attribution_outcome !== "" && s.attribution_outcome !== "no_lookup_key",
  );
  const attributedWithModel = input.sessions.filter(
    (s) => s.orchestrator_address !== "" && (s.model_id ?? "") !== "",
  );
  const counter = (
    name: "late_events" | "late_capabilities" | "forced_seals" | "relevant_evictions",
  ): KpiValue => {
    const n = input.counters?.[name] ?? 0;
    return { value: n, numerator: n, denominator: 1, status: n > 0 ? "warn" : "ok" };
  };
  return {
    empty_key_rate: {
      sessions: emptyRate(input.sessions),
      segments: emptyRate((input.segments ?? []).filter((s) => s.is_retracted !== 1)),
      status_samples: emptyRate(input.statusSamples ?? []),
      trace_edges: emptyRate(input.traceEdges ?? []),
    },
    unattributed_session_rate: ratio(
      withEvidence.filter((s) => s.attribution_source === "unattributed").length,
      withEvidence.length,
      warnFail(0.02, 0.05),
    ),
    mapped_window_session_rate: ratio(
      withEvidence.filter((s) => s.attribution_source === "mapped_window").length,
      withEvidence.length,
      info,
    ),
    ambiguous_rate: ratio(
      attempted.filter((s) => s.attribution_outcome === "ambiguous_canonical").length,
      attempted.length,
      (v) => (v > 0.01 ? "warn" : "ok"),
    ),
    pipeline_coverage: ratio(
      attributedWithModel.filter((s) => s.pipeline !== "").length,
      attributedWithModel.length,
      (v) => (v < 0.99 ? "fail" : "ok"),
    ),
    correction_rate: ratio(input.correctionRows ?? 0, input.firstEmissions ?? 0, info),
    guarantee_counters: {
      late_events: counter("late_events"),
      late_capabilities: counter("late_capabilities"),
      forced_seals: counter("forced_seals"),
      relevant_evictions: counter("relevant_evictions"),
    },
  };
}
