/**
 * The event contract: families, the accepted-event shape, typed-row parsers for every family,
 * the capability catalog and the input-container loader.
 *
 * @packageDocumentation
 */
export { EVENT_TYPES, REQUIRED_PATHS, TRACE_TYPES, isEventType } from "./families.js";
export type { EventType } from "./families.js";
export { EnvelopeSchema, SourcePointerSchema } from "./accepted-event.js";
export type {
  AcceptedEvent,
  DedupStrategy,
  Dimensions,
  Envelope,
  SourcePointer,
} from "./accepted-event.js";
export type { TransportRecord } from "./transport.js";
export type { ParseIssue, ParserOutput } from "./parse-result.js";
export { rowsOnly } from "./parse-result.js";
export { parseStreamTrace, StreamTraceRowSchema } from "./stream-trace.js";
export type { StreamTraceRow } from "./stream-trace.js";
export { parseAiStreamStatus, AiStreamStatusRowSchema } from "./ai-stream-status.js";
export type { AiStreamStatusRow } from "./ai-stream-status.js";
export { parseAiStreamEvent, AiStreamEventRowSchema } from "./ai-stream-events.js";
export type { AiStreamEventRow } from "./ai-stream-events.js";
export { parseStreamIngestMetrics, StreamIngestMetricsRowSchema } from "./stream-ingest-metrics.js";
export type { StreamIngestMetricsRow } from "./stream-ingest-metrics.js";
export { parseDiscoveryResults, DiscoveryResultRowSchema } from "./discovery-results.js";
export type { DiscoveryResultRow } from "./discovery-results.js";
export { parseCreateNewPayment, PaymentEventRowSchema } from "./create-new-payment.js";
export type { PaymentEventRow } from "./create-new-payment.js";
export {
  orchestratorEntries,
  parseCapabilitySnapshots,
  parseCapabilityAdvertised,
  parseCapabilityModelConstraints,
  parseCapabilityPrices,
  toNetworkCapabilitiesRow,
  CapabilitySnapshotSchema,
  NetworkCapabilitiesRowSchema,
  CapabilityAdvertisedRowSchema,
  CapabilityModelConstraintRowSchema,
  CapabilityPriceRowSchema,
} from "./network-capabilities.js";
export type {
  CapabilitySnapshot,
  NetworkCapabilitiesRow,
  CapabilityAdvertisedRow,
  CapabilityModelConstraintRow,
  CapabilityPriceRow,
} from "./network-capabilities.js";
export {
  CAPABILITY_CATALOG,
  CAPABILITY_CATALOG_VERSION,
  CAPABILITY_CATALOG_GENERATED_AT,
  lookupCapability,
} from "./capability-catalog.js";
export type { CapabilityCatalogEntry, ResolvedCapability } from "./capability-catalog.js";
export { PARSERS, parseEvent, describeParseError } from "./parse-event.js";
export type {
  EventParser,
  ParsedEvent,
  ParseFailure,
  RawRow,
  RawRowByTable,
  RawTable,
} from "./parse-event.js";
export {
  loadContainer,
  createContainerReader,
  detectContainer,
  splitJsonl,
  createJsonlSplitter,
  OVERSIZE_PREFIX_BYTES,
} from "./containers.js";
export type {
  ContainerFormat,
  ContainerItem,
  ContainerReader,
  ContainerSummary,
  LoadOptions,
  LoadedContainer,
  JsonlSplitter,
  OversizeRecord,
} from "./containers.js";
