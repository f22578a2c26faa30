/**
 * The transport record a runtime hands to the quality gate (`ingest-and-storage.md` §1.1).
 *
 * @module
 */

/**
 * One record as delivered by Kafka or read from a file. Only `value` is required.
 *
 * @category Events
 */
export interface TransportRecord {
  /** Source topic (for files, the loader uses the file name). */
  readonly topic?: string | null;
  /** Source partition. */
  readonly partition?: number;
  /** Source offset (for files, the record's position). */
  readonly offset?: number;
  /** Kafka record timestamp, epoch ms. */
  readonly recordTimestamp?: number;
  /** UTF-8 decoded key (producers use the envelope id). */
  readonly key?: string | null;
  /** UTF-8 decoded headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The envelope: raw bytes (decoded as UTF-8 with replacement), an already-decoded string, or
   * `null` for a tombstone.
   */
  readonly value: Uint8Array | string | null;
}
