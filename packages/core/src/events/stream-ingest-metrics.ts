/**
 * `stream_ingest_metrics` → `raw_stream_ingest_metrics` (`ingest-and-storage.md` §1.7.4).
 *
 * @module
 */
import { z } from "zod";
import { field, float32, intOr, text, type JsonNode } from "../primitives/json.js";
import type { AcceptedEvent } from "./accepted-event.js";
import { rowsOnly, type ParserOutput } from "./parse-result.js";

/**
 * One row of `raw_stream_ingest_metrics`. Track figures come from the last element of
 * `data.stats.track_stats` with the given `type`; absent tracks give zeros.
 *
 * @category Typed rows
 */
export interface StreamIngestMetricsRow {
  /** Envelope timestamp, epoch ms. */
  readonly event_timestamp: number;
  /** `data.stream_id` as text. */
  readonly stream_id: string;
  /** `data.request_id` as text. */
  readonly request_id: string;
  /** `data.stats.conn_quality` (e.g. `good`); `""` when missing. */
  readonly connection_quality: string;
  /** Video jitter as reported by the ingest (float32). */
  readonly video_jitter: number;
  /** Video packets received (count). */
  readonly video_packets_received: number;
  /** Video packets lost (count). */
  readonly video_packets_lost: number;
  /** Video packet loss, percent (float32). */
  readonly video_packet_loss_pct: number;
  /** Video round-trip time as reported (float32). */
  readonly video_rtt: number;
  /** Video last input timestamp as reported, seconds of stream time (float32). */
  readonly video_last_input_ts: number;
  /** Video latency as reported (float32). */
  readonly video_latency: number;
  /** Audio jitter (float32). */
  readonly audio_jitter: number;
  /** Audio packets received (count). */
  readonly audio_packets_received: number;
  /** Audio packets lost (count). */
  readonly audio_packets_lost: number;
  /** Audio packet loss, percent (float32). */
  readonly audio_packet_loss_pct: number;
  /** Audio round-trip time (float32). */
  readonly audio_rtt: number;
  /** Audio last input timestamp, seconds of stream time (float32). */
  readonly audio_last_input_ts: number;
  /** Audio latency (float32). */
  readonly audio_latency: number;
  /** `data.stats.peer_conn_stats.BytesReceived`, bytes; `0` when missing. */
  readonly bytes_received: number;
  /** `data.stats.peer_conn_stats.BytesSent`, bytes; `0` when missing. */
  readonly bytes_sent: number;
  /** Full envelope text as received. */
  readonly raw_json: string;
}

/**
 * Zod schema of {@link StreamIngestMetricsRow}.
 *
 * @category Typed rows
 */
export const StreamIngestMetricsRowSchema = /* @__PURE__ */ (() =>
  z.object({
    event_timestamp: z.number().int(),
    stream_id: z.string(),
    request_id: z.string(),
    connection_quality: z.string(),
    video_jitter: z.number(),
    video_packets_received: z.number().int(),
    video_packets_lost: z.number().int(),
    video_packet_loss_pct: z.number(),
    video_rtt: z.number(),
    video_last_input_ts: z.number(),
    video_latency: z.number(),
    audio_jitter: z.number(),
    audio_packets_received: z.number().int(),
    audio_packets_lost: z.number().int(),
    audio_packet_loss_pct: z.number(),
    audio_rtt: z.number(),
    audio_last_input_ts: z.number(),
    audio_latency: z.number(),
    bytes_received: z.number().int(),
    bytes_sent: z.number().int(),
    raw_json: z.string(),
  }) satisfies z.ZodType<StreamIngestMetricsRow>)();

interface Track {
  jitter: number;
  packets_received: number;
  packets_lost: number;
  packet_loss_pct: number;
  rtt: number;
  last_input_ts: number;
  latency: number;
}

const EMPTY_TRACK: Track = {
  jitter: 0,
  packets_received: 0,
  packets_lost: 0,
  packet_loss_pct: 0,
  rtt: 0,
  last_input_ts: 0,
  latency: 0,
};

function readTrack(node: JsonNode): Track {
  return {
    jitter: float32(field(node, "jitter")),
    packets_received: intOr(field(node, "packets_received")),
    packets_lost: intOr(field(node, "packets_lost")),
    packet_loss_pct: float32(field(node, "packet_loss_pct")),
    rtt: float32(field(node, "rtt")),
    last_input_ts: float32(field(node, "last_input_ts")),
    latency: float32(field(node, "latency")),
  };
}

/**
 * Parses one accepted `stream_ingest_metrics` event into its typed row.
 *
 * @category Parsing
 */
export function parseStreamIngestMetrics(
  event: AcceptedEvent,
): ParserOutput<StreamIngestMetricsRow> {
  const data = event.data;
  const stats = field(data, "stats");
  const peer = field(stats, "peer_conn_stats");
  let video = EMPTY_TRACK;
  let audio = EMPTY_TRACK;
  const tracks = field(stats, "track_stats");
  if (Array.isArray(tracks)) {
    for (const t of tracks) {
      const kind = text(field(t, "type"));
      if (kind === "video") video = readTrack(t);
      else if (kind === "audio") audio = readTrack(t);
    }
  }
  return rowsOnly([
    {
      event_timestamp: event.timestamp,
      stream_id: text(field(data, "stream_id")),
      request_id: text(field(data, "request_id")),
      connection_quality: text(field(stats, "conn_quality")),
      video_jitter: video.jitter,
      video_packets_received: video.packets_received,
      video_packets_lost: video.packets_lost,
      video_packet_loss_pct: video.packet_loss_pct,
      video_rtt: video.rtt,
      video_last_input_ts: video.last_input_ts,
      video_latency: video.latency,
      audio_jitter: audio.jitter,
      audio_packets_received: audio.packets_received,
      audio_packets_lost: audio.packets_lost,
      audio_packet_loss_pct: audio.packet_loss_pct,
      audio_rtt: audio.rtt,
      audio_last_input_ts: audio.last_input_ts,
      audio_latency: audio.latency,
      bytes_received: intOr(field(peer, "BytesReceived")),
      bytes_sent: intOr(field(peer, "BytesSent")),
      raw_json: event.rawJson,
    },
  ]);
}
