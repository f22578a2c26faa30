/**
 * `create_new_payment` → `raw_payment_events` (`ingest-and-storage.md` §1.7.7).
 *
 * @module
 */
import { z } from "zod";
import { field, text } from "../primitives/json.js";
import type { AcceptedEvent } from "./accepted-event.js";
import { rowsOnly, type ParserOutput } from "./parse-result.js";

/**
 * One row of `raw_payment_events`. Every field is the producer's text, including unit suffixes
 * (`"2402400000000000 WEI"`, `"1635.021 wei/pixel"`); `""` when missing.
 *
 * @category Typed rows
 */
export interface PaymentEventRow {
  /** Envelope timestamp, epoch ms. */
  readonly event_timestamp: number;
  /** `data.requestID` (often empty). */
  readonly request_id: string;
  /** `data.sessionID`. */
  readonly session_id: string;
  /** `data.manifestID`. */
  readonly manifest_id: string;
  /** `data.sender` (broadcaster wallet). */
  readonly sender: string;
  /** `data.recipient` (canonical orchestrator wallet). */
  readonly recipient: string;
  /** `data.orchestrator` (an orchestrator **URL** in real data). */
  readonly orchestrator: string;
  /** `data.faceValue`, text such as `"2400000000000000 WEI"`. */
  readonly face_value: string;
  /** `data.price`, text such as `"1635.021 wei/pixel"`. */
  readonly price: string;
  /** `data.numTickets` as text. */
  readonly num_tickets: string;
  /** `data.winProb` as text. */
  readonly win_prob: string;
  /** `data.clientIP`. */
  readonly client_ip: string;
  /** `data.capability`. */
  readonly capability: string;
  /** Full envelope text as received. */
  readonly raw_json: string;
}

/**
 * Zod schema of {@link PaymentEventRow}.
 *
 * @category Typed rows
 */
export const PaymentEventRowSchema = /* @__PURE__ */ (() =>
  z.object({
    event_timestamp: z.number().int(),
    request_id: z.string(),
    session_id: z.string(),
    manifest_id: z.string(),
    sender: z.string(),
    recipient: z.string(),
    orchestrator: z.string(),
    face_value: z.string(),
    price: z.string(),
    num_tickets: z.string(),
    win_prob: z.string(),
    client_ip: z.string(),
    capability: z.string(),
    raw_json: z.string(),
  }) satisfies z.ZodType<PaymentEventRow>)();

/**
 * Parses one accepted `create_new_payment` event into its typed row.
 *
 * @category Parsing
 */
export function parseCreateNewPayment(event: AcceptedEvent): ParserOutput<PaymentEventRow> {
  const d = event.data;
  return rowsOnly([
    {
      event_timestamp: event.timestamp,
      request_id: text(field(d, "requestID")),
      session_id: text(field(d, "sessionID")),
      manifest_id: text(field(d, "manifestID")),
      sender: text(field(d, "sender")),
      recipient: text(field(d, "recipient")),
      orchestrator: text(field(d, "orchestrator")),
      face_value: text(field(d, "faceValue")),
      price: text(field(d, "price")),
      num_tickets: text(field(d, "numTickets")),
      win_prob: text(field(d, "winProb")),
      client_ip: text(field(d, "clientIP")),
      capability: text(field(d, "capability")),
      raw_json: event.rawJson,
    },
  ]);
}
