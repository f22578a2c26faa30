/**
 * Golden fixtures: real production telemetry shipped with this package (Node only).
 *
 * @packageDocumentation
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Names of the real fixtures.
 *
 * - `streaming-events-2026-01-08.jsonl`: 65 envelopes of one real session, one per line, as received.
 * - `event-logs-streaming-events-2026-01-08.json`: the same 65 envelopes in a UI-export wrapper array.
 * - `getNetworkCapabilities.json`, `getNetworkCapabilities-ai-batch-byoc.json`: capability API
 *   responses (`{ capabilities_names, orchestrators }`).
 *
 * @category Fixtures
 */
export const REAL_FIXTURES = [
  "streaming-events-2026-01-08.jsonl",
  "event-logs-streaming-events-2026-01-08.json",
  "getNetworkCapabilities.json",
  "getNetworkCapabilities-ai-batch-byoc.json",
] as const;

/**
 * A real fixture name.
 *
 * @category Fixtures
 */
export type RealFixture = (typeof REAL_FIXTURES)[number];

/**
 * Absolute path of the directory holding the real fixtures.
 *
 * @category Fixtures
 */
export const REAL_FIXTURES_DIR: string = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "real",
);

/**
 * Absolute path of a real fixture.
 *
 * @category Fixtures
 */
export function realFixturePath(name: RealFixture): string {
  return join(REAL_FIXTURES_DIR, name);
}

/**
 * Text of a real fixture (UTF-8).
 *
 * @category Fixtures
 */
export function readRealFixture(name: RealFixture): string {
  return readFileSync(realFixturePath(name), "utf8");
}

/**
 * The 65 envelope lines of `streaming-events-2026-01-08.jsonl`, exactly as in the file.
 *
 * @category Fixtures
 */
export function realEventLines(): string[] {
  return readRealFixture("streaming-events-2026-01-08.jsonl")
    .split("\n")
    .filter((l) => l.length > 0);
}

/**
 * Expected gate outcome of `streaming-events-2026-01-08.jsonl` (`ingest-and-storage.md` §10.3):
 * accepted events per type and typed rows per raw table. Nothing is rejected.
 *
 * @category Fixtures
 */
export const REAL_SAMPLE_EXPECTED = {
  acceptedByType: {
    ai_stream_status: 17,
    create_new_payment: 6,
    discovery_results: 1,
    network_capabilities: 1,
    stream_ingest_metrics: 34,
    stream_trace: 6,
  },
  rowsByTable: {
    raw_ai_stream_status: 17,
    raw_discovery_results: 1,
    raw_network_capabilities: 1,
    raw_network_capabilities_advertised: 16,
    raw_network_capabilities_model_constraints: 1,
    raw_network_capabilities_prices: 1,
    raw_payment_events: 6,
    raw_stream_ingest_metrics: 34,
    raw_stream_trace_events: 6,
  },
} as const;
export {
  canonicalAddress,
  capabilityLine,
  prng,
  realisticEventLines,
  sessionLine,
  TEMPLATE_SPAN,
  TEMPLATE_START,
  TIME_FIELDS,
  walletAddress,
} from "./generate.js";
