/**
 * The replay summary: what came in, what was rejected and why, and what the facts say (sessions,
 * served / unserved, attribution coverage, latency percentiles, corrections).
 *
 * @module
 */
import type { EngineOutput } from "@livepeer-analytics/core/engine";
import { rowIdentity } from "@livepeer-analytics/core/lifecycle";
import { COUNTER_NAMES } from "@livepeer-analytics/core/quality";
import { formatTable } from "./table.js";

/** Latency KPI columns. */
const KPIS = ["prompt_to_first_frame_ms", "startup_time_ms", "e2e_latency_ms"] as const;
/** Session columns the summary reads. */
const SESSION_COLUMNS = [
  "known_stream",
  "served_session",
  "unserved_session",
  "service_failure_reason",
  "gpu_attribution_method",
  "attribution_source",
] as const;
/** Latency columns the summary reads. */
const LATENCY_COLUMNS = ["edge_semantics_version", ...KPIS] as const;

/** Percentiles of one KPI. */
export interface Percentiles {
  /** Non-null values. */
  readonly n: number;
  /** Median, ms (nearest-rank), or `null`. */
  readonly p50: number | null;
  /** 95th percentile, ms (nearest-rank), or `null`. */
  readonly p95: number | null;
}

/**
 * Version of the `--json` documents of `lpa replay` ({@link ReplaySummary}) and `lpa validate`
 * (`ValidateReport`), in their `schemaVersion` field. It changes when a field is removed, renamed
 * or changes meaning; new fields may be added without a change.
 */
export const REPORT_SCHEMA_VERSION = 1;

/** One input file (or standard input) of a run, as reported by `lpa replay` and `lpa validate`. */
export interface InputSummary {
  /** Display name (file base name, or `stdin`). */
  readonly name: string;
  /** Detected container format (`jsonl`, `json-array`, `capabilities-api`, `empty`, …). */
  readonly format: string;
  /** Records read from it (records over the size limit included). */
  readonly records: number;
  /** Blank lines skipped. */
  readonly skippedBlank: number;
  /** Notes about the input (blank lines skipped, snapshot timestamp source, …). */
  readonly notes: readonly string[];
}

/**
 * Event counts of a run, with the same names in `lpa replay` and `lpa validate`. The records read
 * reconcile: `read = accepted + gateDlq + duplicates + futureEventTime`. Rejections after
 * acceptance (parse failures, the row-size guard, quarantined signals of evicted session state)
 * concern accepted events and come on top: `dlq = gateDlq + afterAcceptance.dlq`,
 * `quarantine = duplicates + futureEventTime + afterAcceptance.quarantine`. Every field is always
 * present (0 when nothing was counted).
 */
export interface EventCounts {
  /** Records read over all inputs. */
  readonly read: number;
  /** Records accepted (passed the gate and dedup). */
  readonly accepted: number;
  /** Records rejected by the gate (decode, validation) into the DLQ. */
  readonly gateDlq: number;
  /** Records quarantined as duplicates of an accepted event. */
  readonly duplicates: number;
  /**
   * Records quarantined before dedup because their event time lies too far after the receive
   * time (`event_time_in_future`, see the engine's `maxFutureSkewMs`). Always 0 in
   * `lpa validate`, which runs the gate without the engine's clock check.
   */
  readonly futureEventTime: number;
  /** DLQ and quarantine envelopes produced for accepted events, on top of the above. */
  readonly afterAcceptance: {
    /** DLQ envelopes after acceptance (parse failures, oversized rows). */
    readonly dlq: number;
    /** Quarantine envelopes after acceptance (e.g. `session_state_evicted`). */
    readonly quarantine: number;
  };
  /** Every DLQ envelope (the DLQ table's rows): `gateDlq + afterAcceptance.dlq`. */
  readonly dlq: number;
  /** Every quarantine envelope: `duplicates + futureEventTime + afterAcceptance.quarantine`. */
  readonly quarantine: number;
}

/**
 * The summary printed by `lpa replay` (and `--json`). Every field is always present; maps keyed by
 * reason, table or method hold the keys that occurred (the counters and latency maps also hold
 * zeros, see each field).
 */
export interface ReplaySummary {
  /** {@link REPORT_SCHEMA_VERSION}. */
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  /** Every input, in order. */
  readonly inputs: readonly InputSummary[];
  /** Event counts (the same names as in `lpa validate --json`). */
  readonly events: EventCounts;
  /** DLQ envelopes per reason (at the gate and after acceptance). */
  readonly dlqByReason: Readonly<Record<string, number>>;
  /** Quarantine envelopes per reason (duplicates and after acceptance). */
  readonly quarantineByReason: Readonly<Record<string, number>>;
  /** Sessions by their final row. */
  readonly sessions: {
    /** Sessions. */
    readonly total: number;
    /** Sessions of a known stream. */
    readonly known: number;
    /** Served sessions. */
    readonly served: number;
    /** Unserved sessions. */
    readonly unserved: number;
    /** Unserved sessions per failure reason. */
    readonly unservedByReason: Readonly<Record<string, number>>;
  };
  /** GPU attribution of the sessions. */
  readonly attribution: {
    /** Sessions per attribution method. */
    readonly byMethod: Readonly<Record<string, number>>;
    /** Sessions per attribution source. */
    readonly bySource: Readonly<Record<string, number>>;
  };
  /**
   * Latency percentiles per edge-semantics version and KPI: every configured version
   * (`--latency-semantics`) and every KPI, `{ n: 0, p50: null, p95: null }` without samples.
   */
  readonly latency: Readonly<Record<string, Readonly<Record<string, Percentiles>>>>;
  /**
   * Versioned rows emitted beyond the first version of their identity: counted with
   * `--all-versions` only (a default replay emits each identity once, when final), else `null`.
   */
  readonly corrections: number | null;
  /** Rows per JSONL table file (final rows) and rows emitted (all versions). */
  readonly tables: Readonly<
    Record<
      string,
      {
        /** Rows in the table's JSONL file (final rows unless `--all-versions`). */
        readonly rows: number;
        /** Rows the engine emitted for the table (every version). */
        readonly emitted: number;
      }
    >
  >;
  /**
   * Counters by name: every name of `COUNTER_NAMES` (0 when not reported), then any other counter
   * reported during the run (e.g. `out_of_range_values`).
   */
  readonly counters: Readonly<Record<string, number>>;
  /** Notices about the configuration and the run. */
  readonly notices: readonly string[];
  /** Processing preset. */
  readonly mode: string;
  /** Whether every timer was flushed at the end (`false` with `--state`). */
  readonly flushed: boolean;
  /** JSONL output directory, or `null` when only ClickHouse was written. */
  readonly outDir: string | null;
  /** Wall time of the run, ms. */
  readonly wallTimeMs: number;
  /** Records read per second of wall time. */
  readonly eventsPerSecond: number;
  /** What was written into ClickHouse, or `null` without `--clickhouse`. */
  readonly clickhouse: ClickHouseReplaySummary | null;
}

/** One assertion outcome as printed by `lpa replay --clickhouse`. */
export interface AssertionLine {
  /** Assertion name. */
  readonly name: string;
  /** Assertion family (grain_uniqueness, rollup_parity, …). */
  readonly family: string;
  /** `pass`, `warn` or `fail`. */
  readonly status: string;
  /** `false` only for `fail`. */
  readonly passed: boolean;
  /** One-line summary: headline diagnostics of a pass, the message of a warning or failure. */
  readonly detail: string;
  /** Every diagnostic of the assertion. */
  readonly diagnostics: Readonly<Record<string, number | string>>;
}

/** The ClickHouse part of a {@link ReplaySummary}. */
export interface ClickHouseReplaySummary {
  /** Target description. */
  readonly target: string;
  /** Rows inserted per table (every version of versioned rows). */
  readonly inserted: Readonly<Record<string, number>>;
  /** Rows the sink dropped (oversized without an origin), per table. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Insert batches. */
  readonly batches: number;
  /** Insert retries. */
  readonly retries: number;
  /** Rows per `v_api_*` view after the replay. */
  readonly views: Readonly<Record<string, number>>;
  /** Assertion results, or `null` with `--no-assertions`. */
  readonly assertions: readonly AssertionLine[] | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  ]!;
}

const bump = (r: Record<string, number>, k: string, d = 1): void => {
  r[k] = (r[k] ?? 0) + d;
};
const sortedRecord = (r: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * Accumulates what the summary needs while outputs stream by: per-session and per-latency-row
 * values (bounded by sessions), counters, and with `countRevisions` the identities seen (bounded
 * by output rows, so only for `--all-versions`).
 */
export class SummaryCollector {
  private readonly countRevisions: boolean;

  /** `countRevisions`: track identities to report {@link ReplaySummary.corrections}. */
  constructor(countRevisions = false) {
    this.countRevisions = countRevisions;
  }

  private readonly sessions = new Map<string, Record<string, unknown>>();
  private readonly latency = new Map<string, Record<string, unknown>>();
  private readonly dlq: Record<string, number> = {};
  private readonly quarantine: Record<string, number> = {};
  private readonly counters: Record<string, number> = {};
  private readonly seen = new Map<string, Set<string>>();
  private versionedRows = 0;

  /** Takes one engine output into account. */
  add(o: EngineOutput): void {
    switch (o.kind) {
      case "counter":
        bump(this.counters, o.name, o.delta);
        return;
      case "dlq":
        bump(this.dlq, o.envelope.failure.reason);
        return;
      case "quarantine":
        bump(this.quarantine, o.envelope.failure.reason);
        return;
      default: {
        const row = o.row as unknown as Record<string, unknown>;
        if (o.table !== "fact_workflow_sessions" && o.table !== "fact_workflow_latency_samples") {
          if (!this.countRevisions) return;
        }
        const id = rowIdentity(o.table, row);
        if (id === null) return;
        if (this.countRevisions) {
          this.versionedRows += 1;
          let ids = this.seen.get(o.table);
          if (ids === undefined) this.seen.set(o.table, (ids = new Set()));
          ids.add(id);
        }
        // Only the columns the summary reads (and `version`), not whole rows: one small record
        // per session and latency identity.
        const keep = (
          m: Map<string, Record<string, unknown>>,
          columns: readonly string[],
        ): void => {
          const prev = m.get(id);
          if (prev !== undefined && (row["version"] as number) < (prev["version"] as number))
            return;
          const kept: Record<string, unknown> = { version: row["version"] };
          for (const c of columns) kept[c] = row[c];
          m.set(id, kept);
        };
        if (o.table === "fact_workflow_sessions") keep(this.sessions, SESSION_COLUMNS);
        else if (o.table === "fact_workflow_latency_samples") keep(this.latency, LATENCY_COLUMNS);
      }
    }
  }

  /** The summary of everything added so far, with what only the command knows. */
  summarize(
    extra: Pick<
      ReplaySummary,
      "inputs" | "tables" | "notices" | "mode" | "flushed" | "outDir" | "wallTimeMs" | "clickhouse"
    > & {
      /** Edge-semantics versions the run computes: each gets a latency entry, even without rows. */
      readonly latencyVersions?: readonly string[];
    },
  ): ReplaySummary {
    const sessions = [...this.sessions.values()];
    const unservedByReason: Record<string, number> = {};
    const byMethod: Record<string, number> = {};
    const bySource: Record<string, number> = {};
    for (const s of sessions) {
      if (s["unserved_session"] === 1) bump(unservedByReason, String(s["service_failure_reason"]));
      bump(byMethod, String(s["gpu_attribution_method"]));
      bump(bySource, String(s["attribution_source"]));
    }
    const latency: Record<string, Record<string, Percentiles>> = {};
    for (const v of extra.latencyVersions ?? []) latency[v] = {};
    for (const l of this.latency.values()) {
      const v = String(l["edge_semantics_version"]);
      latency[v] ??= {};
    }
    for (const v of Object.keys(latency).sort()) {
      const rows = [...this.latency.values()].filter((l) => l["edge_semantics_version"] === v);
      for (const k of KPIS) {
        const values = rows
          .map((r) => r[k])
          .filter((x): x is number => typeof x === "number")
          .sort((a, b) => a - b);
        latency[v]![k] = {
          n: values.length,
          p50: percentile(values, 50),
          p95: percentile(values, 95),
        };
      }
    }
    let identities = 0;
    for (const ids of this.seen.values()) identities += ids.size;
    const read = this.counters["quality_gate.input"] ?? 0;
    const dlq = Object.values(this.dlq).reduce((a, b) => a + b, 0);
    const quarantine = Object.values(this.quarantine).reduce((a, b) => a + b, 0);
    const gateDlq = this.counters["quality_gate.dlq"] ?? 0;
    const duplicates = this.counters["quality_gate.dedup.duplicates"] ?? 0;
    const futureEventTime = this.quarantine["event_time_in_future"] ?? 0;
    const counters: Record<string, number> = {};
    for (const name of COUNTER_NAMES) counters[name] = 0;
    for (const [name, value] of Object.entries(sortedRecord(this.counters))) counters[name] = value;
    return {
      schemaVersion: REPORT_SCHEMA_VERSION,
      inputs: extra.inputs,
      events: {
        read,
        accepted: this.counters["quality_gate.dedup.accepted"] ?? 0,
        gateDlq,
        duplicates,
        futureEventTime,
        afterAcceptance: {
          dlq: dlq - gateDlq,
          quarantine: quarantine - duplicates - futureEventTime,
        },
        dlq,
        quarantine,
      },
      dlqByReason: sortedRecord(this.dlq),
      quarantineByReason: sortedRecord(this.quarantine),
      sessions: {
        total: sessions.length,
        known: sessions.filter((s) => s["known_stream"] === 1).length,
        served: sessions.filter((s) => s["served_session"] === 1).length,
        unserved: sessions.filter((s) => s["unserved_session"] === 1).length,
        unservedByReason: sortedRecord(unservedByReason),
      },
      attribution: { byMethod: sortedRecord(byMethod), bySource: sortedRecord(bySource) },
      latency,
      corrections: this.countRevisions ? this.versionedRows - identities : null,
      tables: extra.tables,
      counters,
      notices: extra.notices,
      mode: extra.mode,
      flushed: extra.flushed,
      outDir: extra.outDir,
      clickhouse: extra.clickhouse,
      wallTimeMs: extra.wallTimeMs,
      eventsPerSecond: Math.round(read / Math.max(extra.wallTimeMs / 1000, 0.001)),
    };
  }
}

const n = (x: number): string => x.toLocaleString("en-US");

/** Every nonzero counter: the vocabulary's order first, then any other name alphabetically. */
function counterRows(counters: Readonly<Record<string, number>>): [string, number][] {
  const known: readonly string[] = COUNTER_NAMES;
  const names = [
    ...known,
    ...Object.keys(counters)
      .filter((c) => !known.includes(c))
      .sort(),
  ];
  return names.filter((c) => (counters[c] ?? 0) !== 0).map((c) => [c, counters[c]!]);
}

/** Human-readable rendering of a {@link ReplaySummary}. */
export function renderReplaySummary(s: ReplaySummary): string {
  const out: string[] = [];
  out.push(
    formatTable(
      ["input", "format", "records"],
      s.inputs.map((i) => [i.name, i.format, i.records]),
    ),
  );
  for (const i of s.inputs) for (const note of i.notes) out.push(`note (${i.name}): ${note}`);
  for (const note of s.notices) out.push(`note: ${note}`);
  out.push(
    "",
    `mode ${s.mode}; events read ${n(s.events.read)} = accepted ${n(s.events.accepted)} + DLQ at the gate ${n(s.events.gateDlq)} + duplicates ${n(s.events.duplicates)}${s.events.futureEventTime > 0 ? ` + event time in the future ${n(s.events.futureEventTime)}` : ""}`,
    `rejected after acceptance (not in the count above): DLQ ${n(s.events.afterAcceptance.dlq)}, quarantine ${n(s.events.afterAcceptance.quarantine)}`,
  );
  if (s.events.dlq > 0)
    out.push("", formatTable(["DLQ reason", "envelopes"], Object.entries(s.dlqByReason)));
  if (s.events.quarantine > 0)
    out.push(
      "",
      formatTable(["quarantine reason", "envelopes"], Object.entries(s.quarantineByReason)),
    );
  out.push(
    "",
    `sessions ${n(s.sessions.total)} (known ${n(s.sessions.known)}): served ${n(s.sessions.served)}, unserved ${n(s.sessions.unserved)}`,
  );
  if (s.sessions.unserved > 0)
    out.push(
      formatTable(["unserved reason", "sessions"], Object.entries(s.sessions.unservedByReason)),
    );
  out.push(
    "",
    formatTable(["attribution method", "sessions"], Object.entries(s.attribution.byMethod)),
  );
  out.push(
    "",
    formatTable(["attribution source", "sessions"], Object.entries(s.attribution.bySource)),
  );
  const latencyRows: (string | number)[][] = [];
  for (const [v, kpis] of Object.entries(s.latency)) {
    for (const [k, p] of Object.entries(kpis))
      latencyRows.push([
        v,
        k,
        p.n,
        p.p50 === null ? "-" : n(p.p50),
        p.p95 === null ? "-" : n(p.p95),
      ]);
  }
  if (latencyRows.length > 0)
    out.push(
      "",
      formatTable(["version", "latency KPI", "sessions", "p50 ms", "p95 ms"], latencyRows),
    );
  const counters = counterRows(s.counters);
  if (counters.length > 0) out.push("", formatTable(["counter", "value"], counters));
  if (Object.keys(s.tables).length > 0)
    out.push(
      "",
      formatTable(
        ["table", "final rows", "emitted"],
        Object.entries(s.tables).map(([t, v]) => [t, v.rows, v.emitted]),
      ),
    );
  const ch = s.clickhouse;
  if (ch !== null) {
    out.push(
      "",
      `ClickHouse: ${ch.target}; ${n(ch.batches)} insert batches, ${n(ch.retries)} retries`,
      formatTable(
        ["table", "rows inserted", "dropped"],
        Object.entries(ch.inserted).map(([t, rows]) => [t, rows, ch.dropped[t] ?? 0]),
      ),
      "",
      formatTable(["view", "rows"], Object.entries(ch.views)),
    );
    if (ch.assertions !== null) {
      const failed = ch.assertions.filter((a) => a.status === "fail");
      const warned = ch.assertions.filter((a) => a.status === "warn").length;
      out.push(
        "",
        `assertions: ${ch.assertions.length - failed.length - warned} passed, ${warned} warned, ${failed.length} failed`,
        formatTable(
          ["assertion", "result", "summary"],
          ch.assertions.map((a) => [a.name, a.status === "fail" ? "FAIL" : a.status, a.detail]),
        ),
      );
      for (const a of failed)
        out.push(
          "",
          `FAIL ${a.name}: ${Object.entries(a.diagnostics)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ")}`,
        );
    }
  }
  const outputs = [
    ...(s.outDir === null ? [] : [s.outDir]),
    ...(ch === null ? [] : ["ClickHouse"]),
  ].join(" and ");
  out.push(
    "",
    `${s.corrections === null ? "" : `corrections emitted ${n(s.corrections)}; `}output ${outputs}${s.flushed ? "" : " (state saved, not flushed)"}`,
    `wall time ${(s.wallTimeMs / 1000).toFixed(3)} s, ${n(s.eventsPerSecond)} events/s`,
    "",
  );
  return out.join("\n");
}
