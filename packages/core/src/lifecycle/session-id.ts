/**
 * Workflow session identity (`lifecycle.md` §3).
 *
 * @module
 */
import { jtrim } from "../primitives/strings.js";

/**
 * The deterministic `workflow_session_id`: `stream|request` of the JVM-trimmed ids, with
 * `_missing_stream` / `_missing_request` placeholders, then the trimmed event id, then
 * `_missing_event`. No hashing, no case folding; the result is never blank.
 *
 * @category Lifecycle
 * @example
 * workflowSessionId("stream-1", "req-1", "evt-1") // "stream-1|req-1"
 * workflowSessionId("", "", "evt-1") // "_missing_stream|_missing_request|evt-1"
 * workflowSessionId(" s ", "\tr", "x") // "s|r"
 */
export function workflowSessionId(
  streamId: string | null | undefined,
  requestId: string | null | undefined,
  eventId: string | null | undefined,
): string {
  const s = jtrim(streamId ?? "");
  const r = jtrim(requestId ?? "");
  if (s !== "" && r !== "") return `${s}|${r}`;
  if (s !== "") return `${s}|_missing_request`;
  if (r !== "") return `_missing_stream|${r}`;
  const e = jtrim(eventId ?? "");
  return e !== ""
    ? `_missing_stream|_missing_request|${e}`
    : "_missing_stream|_missing_request|_missing_event";
}
