/**
 * Segment-aligned status samples and trace edges on the `REFERENCE_COMPAT` path
 * (`lifecycle.md` §5.5; `attribution.md` §6.4): samples inherit identity from the covering
 * segment of their session, wait up to `initialEmitDelayMs` of watermark time for one, and
 * produce exactly one row each (`version = 1`).
 *
 * @module
 */
import { attributionSourceOf } from "../attribution/bands.js";
import { canonicalPipeline } from "../attribution/resolver.js";
import type { AttributionMethod } from "../attribution/types.js";
import { blankToNull, firstNonBlank, isBlank } from "../primitives/strings.js";
import type { FactRow } from "./rows.js";
import type { SegmentRow } from "./segment.js";
import {
  traceCategory,
  type SampleInput,
  type StatusSampleInput,
  type TraceEdgeInput,
} from "./signal.js";

/**
 * The columns shared by {@link StatusSampleRow} and {@link TraceEdgeRow}: the sample's identity
 * and the covering segment's attribution, derived the same way for both tables.
 *
 * @category Lifecycle
 */
export interface SegmentAlignedColumns {
  /** Session identity. */
  readonly workflow_session_id: string;
  /** Payload stream id. */
  readonly stream_id: string;
  /** Payload request id. */
  readonly request_id: string;
  /** Covering segment's canonical address when attributed, else `""`. */
  readonly orchestrator_address: string;
  /** Segment URL, else the payload URL. */
  readonly orchestrator_url: string;
  /** `canonicalPipeline(segment pipeline, segment model)` when attributed, else `""`. */
  readonly pipeline: string;
  /** Segment model when attributed, else `null`. */
  readonly model_id: string | null;
  /** 1 iff a covering segment with a canonical address was found. */
  readonly is_attributed: 0 | 1;
  /** SHA-256 of the received event text. */
  readonly source_event_uid: string;
  /** The covering segment's source, or `unattributed`. */
  readonly attribution_source: "direct" | "mapped_window" | "unattributed";
  /** 1 on this path; the emission counter in correction mode. */
  readonly version: number;
}

/**
 * One row of `fact_stream_status_samples`. Timestamps are epoch ms.
 *
 * @category Lifecycle
 */
export interface StatusSampleRow extends SegmentAlignedColumns {
  /** Envelope time of the status event, epoch ms. */
  readonly sample_ts: number;
  /** Parsed gateway. */
  readonly gateway: string;
  /** Segment GPU when attributed, else `null`. */
  readonly gpu_id: string | null;
  /** Segment region when attributed (always `null` today). */
  readonly region: string | null;
  /** Payload state. */
  readonly state: string;
  /** Output frames per second (float32). */
  readonly output_fps: number;
  /** Input frames per second (float32). */
  readonly input_fps: number;
  /** `segment_window_join` when attributed, else `none`. */
  readonly gpu_attribution_method: AttributionMethod;
  /** 1.0 when attributed, else 0. */
  readonly gpu_attribution_confidence: number;
}

/**
 * One row of `fact_stream_trace_edges`. Timestamps are epoch ms.
 *
 * @category Lifecycle
 */
export interface TraceEdgeRow extends SegmentAlignedColumns {
  /** Edge time (positive `data.timestamp`, else envelope time), epoch ms. */
  readonly edge_ts: number;
  /** Envelope gateway. */
  readonly gateway: string;
  /** Trace subtype. */
  readonly trace_type: string;
  /** `gateway`, `orchestrator`, `runner`, `app` or `other`. */
  readonly trace_category: string;
  /** 1 for `orchestrator_swap`. */
  readonly is_swap_event: 0 | 1;
}

/**
 * A sample waiting for a covering segment.
 *
 * @category Lifecycle
 */
export interface PendingSample {
  /** Pending key (status: `uid|ts|stream|request`; trace: `uid|ts|trace_type`). */
  readonly key: string;
  /** The sample. */
  readonly sample: SampleInput;
  /** Watermark when it was buffered (the sample's own time when no watermark existed yet), epoch ms. */
  readonly enqueuedAt: number;
}

/**
 * Join state of one session: the latest row per segment index and the pending samples. Plain JSON.
 *
 * @category Lifecycle
 */
export interface AlignmentState {
  /** Latest segment row per index (array position = `segment_index`; `null` for an index not seen yet). */
  readonly segments: (SegmentRow | null)[];
  /** Samples waiting for a covering segment, in arrival order. */
  readonly pending: PendingSample[];
}

/**
 * A fresh join state.
 *
 * @category Lifecycle
 */
export function initAlignmentState(): AlignmentState {
  return { segments: [], pending: [] };
}

/**
 * An aligned row tagged with its table: the status-sample and trace-edge members of
 * {@link FactRow}.
 *
 * @category Lifecycle
 */
export type AlignedRow = Extract<
  FactRow,
  { readonly table: "fact_stream_status_samples" | "fact_stream_trace_edges" }
>;

/**
 * Matching time of a sample.
 *
 * @category Lifecycle
 */
export function sampleTime(sample: SampleInput): number {
  return sample.kind === "status" ? sample.sampleTs : sample.edgeTs;
}

/**
 * Pending key of a sample.
 *
 * @category Lifecycle
 */
export function pendingKey(sample: SampleInput): string {
  return sample.kind === "status"
    ? `${sample.sourceEventUid}|${sample.sampleTs}|${sample.streamId}|${sample.requestId}`
    : `${sample.sourceEventUid}|${sample.edgeTs}|${sample.traceType}`;
}

/**
 * The covering segment of time `t`: `start ≤ t` and (`end` null or `t < end`); among matches the
 * greatest start, then version, then index. `null` when none covers `t`.
 *
 * @category Lifecycle
 */
export function coveringSegment(
  segments: readonly (SegmentRow | null | undefined)[],
  t: number,
): SegmentRow | null {
  let best: SegmentRow | null = null;
  for (const s of segments) {
    if (s === undefined || s === null || s.is_retracted === 1) continue;
    if (t < s.segment_start_ts || (s.segment_end_ts !== null && t >= s.segment_end_ts)) continue;
    if (
      best === null ||
      s.segment_start_ts > best.segment_start_ts ||
      (s.segment_start_ts === best.segment_start_ts &&
        (s.version > best.version ||
          (s.version === best.version && s.segment_index > best.segment_index)))
    ) {
      best = s;
    }
  }
  return best;
}

/**
 * The row of a sample joined with its covering segment (`null` = unattributed).
 *
 * @category Lifecycle
 */
export function alignSample(
  sample: SampleInput,
  segment: SegmentRow | null,
  version = 1,
): AlignedRow {
  const attributed = segment !== null && !isBlank(segment.orchestrator_address);
  const seg = attributed ? segment : null;
  const source =
    seg === null
      ? "unattributed"
      : (attributionSourceOf(seg.gpu_attribution_method) as StatusSampleRow["attribution_source"]);
  const url =
    seg === null
      ? firstNonBlank(sample.orchestratorUrl)
      : firstNonBlank(seg.orchestrator_url, sample.orchestratorUrl);
  if (sample.kind === "status")
    return {
      table: "fact_stream_status_samples",
      row: statusRow(sample, seg, url, source, version),
    };
  return { table: "fact_stream_trace_edges", row: traceRow(sample, seg, url, source, version) };
}

function statusRow(
  s: StatusSampleInput,
  seg: SegmentRow | null,
  url: string,
  source: StatusSampleRow["attribution_source"],
  version: number,
): StatusSampleRow {
  return {
    sample_ts: s.sampleTs,
    workflow_session_id: s.workflowSessionId,
    stream_id: s.streamId,
    request_id: s.requestId,
    gateway: s.gateway,
    orchestrator_address: seg === null ? "" : seg.orchestrator_address,
    orchestrator_url: url,
    pipeline: seg === null ? "" : canonicalPipeline(seg.pipeline, seg.model_id),
    model_id: seg === null ? null : blankToNull(seg.model_id),
    gpu_id: seg === null ? null : blankToNull(seg.gpu_id),
    region: seg === null ? null : blankToNull(seg.region),
    state: s.state,
    output_fps: s.outputFps,
    input_fps: s.inputFps,
    gpu_attribution_method: seg === null ? "none" : "segment_window_join",
    gpu_attribution_confidence: seg === null ? 0 : 1,
    is_attributed: seg === null ? 0 : 1,
    source_event_uid: s.sourceEventUid,
    attribution_source: source,
    version,
  };
}

function traceRow(
  s: TraceEdgeInput,
  seg: SegmentRow | null,
  url: string,
  source: TraceEdgeRow["attribution_source"],
  version: number,
): TraceEdgeRow {
  return {
    edge_ts: s.edgeTs,
    workflow_session_id: s.workflowSessionId,
    stream_id: s.streamId,
    request_id: s.requestId,
    gateway: s.gateway,
    orchestrator_address: seg === null ? "" : seg.orchestrator_address,
    orchestrator_url: url,
    pipeline: seg === null ? "" : canonicalPipeline(seg.pipeline, seg.model_id),
    model_id: seg === null ? null : blankToNull(seg.model_id),
    trace_type: s.traceType,
    trace_category: traceCategory(s.traceType),
    is_swap_event: s.traceType === "orchestrator_swap" ? 1 : 0,
    is_attributed: seg === null ? 0 : 1,
    source_event_uid: s.sourceEventUid,
    attribution_source: source,
    version,
  };
}

/**
 * Stores a segment row (replacing the stored one when its version is not lower) and emits every
 * pending sample it now covers. Mutates `st`.
 *
 * @category Lifecycle
 */
export function alignSegmentRow(st: AlignmentState, row: SegmentRow): AlignedRow[] {
  const stored = st.segments[row.segment_index];
  if (stored === undefined || stored === null || row.version >= stored.version) {
    while (st.segments.length < row.segment_index) st.segments.push(null);
    st.segments[row.segment_index] = row;
  }
  if (st.pending.length === 0) return [];
  const out: AlignedRow[] = [];
  for (let i = 0; i < st.pending.length;) {
    const p = st.pending[i]!;
    const seg = coveringSegment(st.segments, sampleTime(p.sample));
    if (seg !== null) {
      out.push(alignSample(p.sample, seg));
      st.pending.splice(i, 1);
    } else i++;
  }
  return out;
}

/**
 * A new sample: emitted at once when a segment covers it (attributed or not), else buffered
 * (a sample with the same pending key replaces the buffered one). Mutates `st`.
 *
 * @category Lifecycle
 */
export function alignNewSample(
  st: AlignmentState,
  sample: SampleInput,
  watermark: number | null,
): AlignedRow[] {
  const seg = coveringSegment(st.segments, sampleTime(sample));
  if (seg !== null) return [alignSample(sample, seg)];
  const key = pendingKey(sample);
  const entry: PendingSample = { key, sample, enqueuedAt: watermark ?? sampleTime(sample) };
  const at = st.pending.findIndex((p) => p.key === key);
  if (at >= 0) st.pending[at] = entry;
  else st.pending.push(entry);
  return [];
}

/**
 * Releases every pending sample whose wait elapsed (`watermark ≥ enqueuedAt + delayMs`), joined
 * with whatever covers it now (usually nothing → unattributed). Mutates `st`.
 *
 * @category Lifecycle
 */
export function alignAdvance(st: AlignmentState, watermark: number, delayMs: number): AlignedRow[] {
  if (st.pending.length === 0) return [];
  const out: AlignedRow[] = [];
  for (let i = 0; i < st.pending.length;) {
    const p = st.pending[i]!;
    if (watermark >= p.enqueuedAt + delayMs) {
      out.push(alignSample(p.sample, coveringSegment(st.segments, sampleTime(p.sample))));
      st.pending.splice(i, 1);
    } else i++;
  }
  return out;
}
