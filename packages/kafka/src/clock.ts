/**
 * The watermark of a multi-partition input: each partition has its own event-time frontier (the
 * engine's quorum rule, per partition), and the watermark is the minimum over the partitions that
 * still have records to deliver, minus the allowed lateness. A partition that is caught up and
 * has received nothing for a while is idle and does not hold the watermark back; when every
 * partition is idle the newest frontier applies (the input is drained). Pure and plain JSON, so it
 * is checkpointed with the engine state.
 *
 * @module
 */
import { eventTimeFrontier } from "@livepeer-analytics/core/engine";

/**
 * The frontier of one partition.
 *
 * @category Watermark
 */
export interface PartitionFrontier {
  /** Newest event time confirmed by the quorum in this partition, epoch ms, or `null`. */
  frontier: number | null;
  /** The newest accepted event times of the partition, descending, at most the quorum. */
  readonly newestEventTs: number[];
}

/**
 * Frontiers per partition (keys are partition numbers as strings).
 *
 * @category Watermark
 */
export interface PartitionClock {
  /** Frontier per partition. */
  readonly partitions: Record<string, PartitionFrontier>;
}

/**
 * A fresh clock.
 *
 * @category Watermark
 */
export function initPartitionClock(): PartitionClock {
  return { partitions: {} };
}

/**
 * Records an accepted event time of a partition (in place); returns the partition's frontier.
 *
 * @category Watermark
 */
export function observeEventTime(
  clock: PartitionClock,
  partition: number,
  eventTs: number,
  quorum: number,
): number | null {
  const key = String(partition);
  let p = clock.partitions[key];
  if (p === undefined) {
    p = { frontier: null, newestEventTs: [] };
    clock.partitions[key] = p;
  }
  return eventTimeFrontier(p, eventTs, quorum);
}

/**
 * The event-time frontier of the whole input (before lateness), or `null` while it cannot be
 * known: the minimum frontier over the assigned partitions that are not idle; a non-idle partition
 * without a frontier yet holds everything back. With every assigned partition idle, the newest
 * frontier of them.
 *
 * @category Watermark
 * @example
 * const c = { partitions: { "0": { frontier: 5_000, newestEventTs: [] }, "1": { frontier: 9_000, newestEventTs: [] } } };
 * inputFrontier(c, [0, 1], new Set()); // 5000
 * inputFrontier(c, [0, 1], new Set([0])); // 9000: partition 0 is idle
 */
export function inputFrontier(
  clock: PartitionClock,
  assigned: readonly number[],
  idle: ReadonlySet<number>,
): number | null {
  let min: number | null = null;
  let max: number | null = null;
  let active = 0;
  for (const partition of assigned) {
    const f = clock.partitions[String(partition)]?.frontier ?? null;
    if (f !== null && (max === null || f > max)) max = f;
    if (idle.has(partition)) continue;
    active += 1;
    if (f === null) return null;
    if (min === null || f < min) min = f;
  }
  return active === 0 ? max : min;
}
