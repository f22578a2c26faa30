/**
 * Record keys for telemetry events produced to the input topic.
 *
 * @module
 */

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/**
 * The key to produce an event with, so that the events of one stream stay in one partition and
 * keep their order: the event's `data.stream_id`, else `data.request_id`, else its `id`, else
 * `null` (no key: the partitioner spreads such records). Text that is not a JSON object has no
 * key.
 *
 * @category Produce
 * @example
 * eventKey('{"id":"e1","type":"stream_trace","data":{"stream_id":"s1","request_id":"r1"}}') // "s1"
 * eventKey('{"id":"e2","type":"network_capabilities","data":[]}') // "e2"
 */
export function eventKey(text: string): string | null {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof root !== "object" || root === null || Array.isArray(root)) return null;
  const r = root as Record<string, unknown>;
  const data = r["data"];
  if (typeof data === "object" && data !== null && !Array.isArray(data)) {
    const d = data as Record<string, unknown>;
    const k = str(d["stream_id"]) ?? str(d["request_id"]);
    if (k !== null) return k;
  }
  return str(r["id"]);
}
