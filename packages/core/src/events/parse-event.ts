/**
 * The parser registry: which parsers run for each family and which raw table each feeds
 * (`ingest-and-storage.md` §1.6, §2.8).
 *
 * @module
 */
import type { AcceptedEvent } from "./accepted-event.js";
import type { EventType } from "./families.js";
import type { ParseIssue, ParserOutput } from "./parse-result.js";
import { parseAiStreamEvent, type AiStreamEventRow } from "./ai-stream-events.js";
import { parseAiStreamStatus, type AiStreamStatusRow } from "./ai-stream-status.js";
import { parseCreateNewPayment, type PaymentEventRow } from "./create-new-payment.js";
import { parseDiscoveryResults, type DiscoveryResultRow } from "./discovery-results.js";
import {
  parseCapabilityAdvertised,
  parseCapabilityModelConstraints,
  parseCapabilityPrices,
  parseCapabilitySnapshots,
  toNetworkCapabilitiesRow,
  type CapabilityAdvertisedRow,
  type CapabilityModelConstraintRow,
  type CapabilityPriceRow,
  type NetworkCapabilitiesRow,
} from "./network-capabilities.js";
import { parseStreamIngestMetrics, type StreamIngestMetricsRow } from "./stream-ingest-metrics.js";
import { parseStreamTrace, type StreamTraceRow } from "./stream-trace.js";

/**
 * Row type of each raw typed table.
 *
 * @category Parsing
 */
export interface RawRowByTable {
  raw_stream_trace_events: StreamTraceRow;
  raw_ai_stream_status: AiStreamStatusRow;
  raw_ai_stream_events: AiStreamEventRow;
  raw_stream_ingest_metrics: StreamIngestMetricsRow;
  raw_network_capabilities: NetworkCapabilitiesRow;
  raw_network_capabilities_advertised: CapabilityAdvertisedRow;
  raw_network_capabilities_model_constraints: CapabilityModelConstraintRow;
  raw_network_capabilities_prices: CapabilityPriceRow;
  raw_discovery_results: DiscoveryResultRow;
  raw_payment_events: PaymentEventRow;
}

/**
 * Name of a raw typed table.
 *
 * @category Parsing
 */
export type RawTable = keyof RawRowByTable;

/**
 * A typed row tagged with its destination table.
 *
 * @category Parsing
 */
export type RawRow = {
  [T in RawTable]: { readonly table: T; readonly row: RawRowByTable[T] };
}[RawTable];

/**
 * One parser of the registry.
 *
 * @category Parsing
 */
export interface EventParser<T extends RawTable = RawTable> {
  /** Stable parser name, used in `PARSE` envelope details. */
  readonly name: string;
  /** Destination table. */
  readonly table: T;
  /** The total parser. */
  readonly parse: (event: AcceptedEvent) => ParserOutput<RawRowByTable[T]>;
}

function parser<T extends RawTable>(
  name: string,
  table: T,
  parse: (event: AcceptedEvent) => ParserOutput<RawRowByTable[T]>,
): EventParser<T> {
  return { name, table, parse };
}

function snapshotRows(event: AcceptedEvent): ParserOutput<NetworkCapabilitiesRow> {
  const out = parseCapabilitySnapshots(event);
  return { rows: out.rows.map(toNetworkCapabilitiesRow), issues: out.issues };
}

/**
 * Parsers per family, in the order they run. `network_capabilities` has four independent
 * fan-out parsers; every other family has one.
 *
 * @category Parsing
 */
export const PARSERS: { readonly [K in EventType]: readonly EventParser[] } = {
  stream_trace: [parser("StreamTraceParser", "raw_stream_trace_events", parseStreamTrace)],
  ai_stream_status: [parser("AiStreamStatusParser", "raw_ai_stream_status", parseAiStreamStatus)],
  ai_stream_events: [parser("AiStreamEventsParser", "raw_ai_stream_events", parseAiStreamEvent)],
  stream_ingest_metrics: [
    parser("StreamIngestMetricsParser", "raw_stream_ingest_metrics", parseStreamIngestMetrics),
  ],
  network_capabilities: [
    parser("NetworkCapabilitiesParser", "raw_network_capabilities", snapshotRows),
    parser(
      "NetworkCapabilitiesAdvertisedParser",
      "raw_network_capabilities_advertised",
      parseCapabilityAdvertised,
    ),
    parser(
      "NetworkCapabilitiesModelConstraintsParser",
      "raw_network_capabilities_model_constraints",
      parseCapabilityModelConstraints,
    ),
    parser(
      "NetworkCapabilitiesPricesParser",
      "raw_network_capabilities_prices",
      parseCapabilityPrices,
    ),
  ] as readonly EventParser[],
  discovery_results: [
    parser("DiscoveryResultsParser", "raw_discovery_results", parseDiscoveryResults),
  ],
  create_new_payment: [parser("PaymentEventsParser", "raw_payment_events", parseCreateNewPayment)],
};

/**
 * A parser that reported problems for one event. Becomes one `PARSE` / `PARSING_FAILED` /
 * `parse_exception` DLQ envelope; the parser's good rows are still emitted.
 *
 * @category Parsing
 */
export interface ParseFailure {
  /** Name of the parser ({@link EventParser.name}). */
  readonly parser: string;
  /** Issues reported (at least one). */
  readonly issues: readonly ParseIssue[];
  /** `<error name>: <message>` rendering used as the envelope `details`. */
  readonly details: string;
}

/**
 * All rows and failures of one accepted event.
 *
 * @category Parsing
 */
export interface ParsedEvent {
  /** Rows of every parser, in registry order then payload order. */
  readonly rows: RawRow[];
  /** One entry per parser that reported issues. */
  readonly failures: ParseFailure[];
}

/**
 * Renders a caught exception the way `PARSE` envelopes expect: `<name>: <message>`, just the
 * name when the message is blank, or `Unknown parse error` when there is no error object.
 *
 * @category Parsing
 */
export function describeParseError(error: unknown): string {
  if (error === null || error === undefined) return "Unknown parse error";
  if (error instanceof Error) {
    const name = error.name || "Error";
    return error.message.trim() === "" ? name : `${name}: ${error.message}`;
  }
  return `Error: ${String(error)}`;
}

function runParser(p: EventParser, event: AcceptedEvent): ParserOutput<RawRowByTable[RawTable]> {
  try {
    return p.parse(event);
  } catch (error) {
    return {
      rows: [],
      issues: [{ code: "unexpected_exception", path: "", message: describeParseError(error) }],
    };
  }
}

/**
 * Runs every parser of the event's family independently. Never throws: an unexpected exception
 * inside a parser becomes a failure of that parser only.
 *
 * @category Parsing
 * @example
 * const { rows, failures } = parseEvent(accepted);
 * for (const r of rows) sink.write(r.table, r.row);
 */
export function parseEvent(event: AcceptedEvent): ParsedEvent {
  const rows: RawRow[] = [];
  const failures: ParseFailure[] = [];
  for (const p of PARSERS[event.eventType]) {
    const out = runParser(p, event);
    for (const row of out.rows) rows.push({ table: p.table, row } as RawRow);
    if (out.issues.length > 0) {
      const first = out.issues[0]!;
      const details =
        first.code === "unexpected_exception"
          ? first.message
          : `ParseIssue: ${out.issues.map((i) => `${i.path ? i.path + ": " : ""}${i.message}`).join("; ")}`;
      failures.push({ parser: p.name, issues: out.issues, details });
    }
  }
  return { rows, failures };
}
