/**
 * Checkpoints: the engine state saved together with the input offsets it covers, so that a
 * runner that restarts (or a standby that takes over) resumes exactly where the state ends.
 *
 * Two stores: a compacted Kafka topic (default; chunked, since a state can exceed a record's
 * size limit) and a directory (atomic file replacement). Both are written only after every output
 * derived from the covered records is durable, and both only ever expose complete checkpoints.
 *
 * @module
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { PartitionClock } from "./clock.js";
import type { KafkaClientPort, KafkaProducerPort } from "./port.js";

/** Format tag of a serialized checkpoint. */
const FORMAT = "livepeer-analytics/kafka-checkpoint";
/** Hex SHA-256 of some bytes. */
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/**
 * What a checkpoint holds.
 *
 * @category Checkpoint
 */
export interface Checkpoint {
  /** Consumer group. */
  readonly group: string;
  /** Input topic. */
  readonly topic: string;
  /**
   * Activation epoch: each runner that takes over the partitions starts a new epoch (the newest
   * checkpoint's epoch + 1). A checkpoint of an older epoch never wins over a newer one, which
   * fences off a runner that lost its partitions without knowing it.
   */
  readonly epoch: number;
  /** Sequence number within the epoch (from 1). */
  readonly seq: number;
  /**
   * Id of the activation that wrote it (random per activation; empty in checkpoints written
   * before it existed). Two members that ever claim the same epoch write under different keys and
   * can tell that they collided.
   */
  readonly owner: string;
  /** Wall-clock time of the checkpoint, epoch ms (for its age; never used for results). */
  readonly createdAt: number;
  /** Next offset to read per partition (records before it are covered by the state). */
  readonly positions: Readonly<Record<string, number>>;
  /** Frontier per partition. */
  readonly clock: PartitionClock;
  /** Sink positions (for example the sizes of appended JSONL files), by sink name. */
  readonly sinks: Readonly<Record<string, unknown>>;
  /** The engine snapshot (`Engine.snapshot`). */
  readonly engine: string;
}

/**
 * Where checkpoints live.
 *
 * @category Checkpoint
 */
export interface CheckpointStore {
  /** Human description (for logs). */
  readonly description: string;
  /** The newest complete checkpoint of this group and topic (highest epoch, then seq), or `null`. */
  load(): Promise<Checkpoint | null>;
  /** Saves a checkpoint durably; resolves once it would be returned by `load`. */
  save(checkpoint: Checkpoint): Promise<void>;
  /** Releases resources. */
  close(): Promise<void>;
}

/**
 * Serializes a checkpoint: one JSON header line, then the engine snapshot text.
 *
 * @category Checkpoint
 */
export function encodeCheckpoint(c: Checkpoint): Buffer {
  const { engine, ...header } = c;
  const body = Buffer.from(engine, "utf8");
  // Length and digest of the snapshot, so that a file cut short (or damaged) is detected by
  // decodeCheckpoint and skipped instead of being restored (crash test: a checkpoint file
  // truncated inside the snapshot used to decode, and the runner then failed to restore it on
  // every activation attempt, never falling back to an older checkpoint).
  const integrity = { engineBytes: body.length, engineSha256: sha256(body) };
  return Buffer.concat([
    Buffer.from(JSON.stringify({ format: FORMAT, v: 1, ...header, ...integrity }) + "\n", "utf8"),
    body,
  ]);
}

/**
 * Parses {@link encodeCheckpoint}'s output; throws a descriptive `Error` on anything else.
 *
 * @category Checkpoint
 */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nl = buf.indexOf(10);
  if (nl < 0) throw new Error("checkpoint: no header line");
  const header = JSON.parse(buf.subarray(0, nl).toString("utf8")) as Record<string, unknown>;
  if (header["format"] !== FORMAT || header["v"] !== 1)
    throw new Error(
      `checkpoint: unknown format ${String(header["format"])} v${String(header["v"])}`,
    );
  for (const k of ["group", "topic"])
    if (typeof header[k] !== "string") throw new Error(`checkpoint: ${k} missing`);
  for (const k of ["epoch", "seq", "createdAt"])
    if (!Number.isSafeInteger(header[k])) throw new Error(`checkpoint: ${k} missing`);
  // Checkpoints written before the integrity fields existed carry none and are taken as they are.
  const body = buf.subarray(nl + 1);
  if (
    (header["engineBytes"] !== undefined && header["engineBytes"] !== body.length) ||
    (header["engineSha256"] !== undefined && header["engineSha256"] !== sha256(body))
  )
    throw new Error("checkpoint: engine snapshot truncated or damaged");
  return {
    group: header["group"] as string,
    topic: header["topic"] as string,
    epoch: header["epoch"] as number,
    seq: header["seq"] as number,
    owner: typeof header["owner"] === "string" ? header["owner"] : "",
    createdAt: header["createdAt"] as number,
    positions: (header["positions"] ?? {}) as Record<string, number>,
    clock: (header["clock"] ?? { partitions: {} }) as PartitionClock,
    sinks: (header["sinks"] ?? {}) as Record<string, unknown>,
    engine: body.toString("utf8"),
  };
}

const newer = (a: { epoch: number; seq: number }, b: { epoch: number; seq: number }): boolean =>
  a.epoch > b.epoch || (a.epoch === b.epoch && a.seq > b.seq);

/**
 * Options of {@link createTopicCheckpointStore}.
 *
 * @category Checkpoint
 */
export interface TopicCheckpointStoreOptions {
  /** Consumer group the checkpoints belong to. */
  readonly group: string;
  /** Input topic the checkpoints cover. */
  readonly topic: string;
  /** Checkpoint topic (default {@link DEFAULT_CHECKPOINT_TOPIC}); created compacted when missing. */
  readonly checkpointTopic?: string;
  /** Bytes per chunk record (default 900 000, under the broker's default 1 MB record limit). */
  readonly chunkBytes?: number;
}

/**
 * Default checkpoint topic, shared by every group (keys carry the group and input topic).
 *
 * @category Checkpoint
 */
export const DEFAULT_CHECKPOINT_TOPIC = "lpa.checkpoints.v1";

/** Head record of a topic checkpoint: points at its chunks. */
interface Head {
  readonly epoch: number;
  readonly seq: number;
  readonly owner?: string;
  readonly chunks: readonly string[];
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * A checkpoint store on a compacted Kafka topic. A checkpoint is written as chunk records
 * (`<group>/<topic>/<epoch>.<seq>.<owner>/<i>`, group and topic URI-encoded), then a head record
 * naming them with the whole payload's SHA-256 (`<group>/<topic>/head/<epoch>.<owner>`); the
 * chunks of the checkpoint it replaces are then
 * deleted with tombstones. `load` reads the topic to its end and returns the newest head whose
 * chunks are all present and match the digest, so a crash in the middle of a save leaves the
 * previous checkpoint in force.
 *
 * @category Checkpoint
 */
export function createTopicCheckpointStore(
  client: KafkaClientPort,
  options: TopicCheckpointStoreOptions,
): CheckpointStore {
  const topic = options.checkpointTopic ?? DEFAULT_CHECKPOINT_TOPIC;
  const chunkBytes = options.chunkBytes ?? 900_000;
  // Encoded, so that no group or topic name is a prefix of another's keys (a group "x/t").
  const prefix = `${encodeURIComponent(options.group)}/${encodeURIComponent(options.topic)}/`;
  let producer: KafkaProducerPort | null = null;
  let ensured = false;
  /** Chunk and head keys of checkpoints that a newer save makes obsolete. */
  let obsolete: string[] = [];

  const ensure = async (): Promise<void> => {
    if (ensured) return;
    const admin = await client.admin();
    try {
      await admin.ensureTopics([
        {
          topic,
          partitions: 1,
          configs: {
            "cleanup.policy": "compact",
            "segment.ms": "600000",
            "min.cleanable.dirty.ratio": "0.2",
            "delete.retention.ms": "600000",
          },
        },
      ]);
    } finally {
      await admin.close();
    }
    ensured = true;
  };

  return {
    description: `Kafka topic ${topic} (group ${options.group})`,
    async load() {
      await ensure();
      const latest = new Map<string, Buffer | null>();
      await client.readTopic(topic, {
        onRecords: (records) => {
          for (const r of records) {
            const key = r.key === null ? "" : Buffer.from(r.key).toString("utf8");
            if (!key.startsWith(prefix)) continue;
            latest.set(key, r.value === null ? null : Buffer.from(r.value));
          }
        },
      });
      const heads: (Head & { readonly key: string })[] = [];
      for (const [key, value] of latest) {
        if (!key.startsWith(`${prefix}head/`) || value === null) continue;
        try {
          heads.push({ ...(JSON.parse(value.toString("utf8")) as Head), key });
        } catch {
          // An unreadable head is ignored (the previous one stays in force).
        }
      }
      heads.sort((a, b) => (newer(a, b) ? -1 : newer(b, a) ? 1 : 0));
      obsolete = [...latest.keys()].filter((k) => latest.get(k) !== null);
      for (const h of heads) {
        const parts = h.chunks.map((k) => latest.get(k));
        if (parts.some((p) => p === null || p === undefined)) continue;
        const payload = Buffer.concat(parts as Buffer[]);
        if (payload.length !== h.bytes || sha256(payload) !== h.sha256) continue;
        let c: Checkpoint;
        try {
          c = decodeCheckpoint(payload);
        } catch {
          continue; // a format this version cannot read: the next older checkpoint is used
        }
        // Everything but this checkpoint is obsolete once the next save lands.
        const keep = new Set([...h.chunks, h.key]);
        obsolete = obsolete.filter((k) => !keep.has(k));
        return c;
      }
      return null;
    },
    async save(c) {
      await ensure();
      producer ??= await client.producer();
      const payload = encodeCheckpoint(c);
      const chunks: string[] = [];
      const records = [];
      for (let i = 0, at = 0; at < payload.length || i === 0; i += 1, at += chunkBytes) {
        const key = `${prefix}${c.epoch}.${c.seq}.${c.owner}/${i}`;
        chunks.push(key);
        records.push({ key, value: payload.subarray(at, at + chunkBytes) });
      }
      // One request per chunk (a record batch must stay under the broker's size limit), sent
      // concurrently; the head goes only after every chunk is acknowledged.
      const p = producer;
      await Promise.all(records.map((r) => p.send(topic, [r])));
      const head: Head = {
        epoch: c.epoch,
        seq: c.seq,
        owner: c.owner,
        chunks,
        bytes: payload.length,
        sha256: sha256(payload),
      };
      const headKey = `${prefix}head/${c.epoch}.${c.owner}`;
      await producer.send(topic, [{ key: headKey, value: JSON.stringify(head) }]);
      // The previous checkpoint's chunks (and heads of older epochs) are now obsolete.
      const gone = obsolete.filter((k) => k !== headKey);
      if (gone.length > 0)
        await producer.send(
          topic,
          gone.map((key) => ({ key, value: null })),
        );
      obsolete = chunks;
    },
    async close() {
      await producer?.close();
      producer = null;
    },
  };
}

/**
 * A checkpoint store in a directory: each checkpoint is one file
 * (`checkpoint-<tag>-<epoch>-<seq>.lpa`, where the tag is a digest of the group and topic, so
 * several groups can share a directory) written to a temporary name, fsynced and renamed into
 * place; the group's older files are removed after the rename. `load` returns the newest file of
 * the group that decodes.
 *
 * @category Checkpoint
 */
export function createDirectoryCheckpointStore(
  dir: string,
  options: { readonly group: string; readonly topic: string },
): CheckpointStore {
  const tag = sha256(Buffer.from(`${options.group}\u0000${options.topic}`, "utf8")).slice(0, 12);
  // This group's files; files named before the tag existed (no tag) are read too, and their
  // group is checked when decoded.
  const NAME = new RegExp(`^checkpoint-(?:${tag}-)?(\\d+)-(\\d+)\\.lpa$`);
  const files = (): { name: string; epoch: number; seq: number }[] => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    return names
      .map((name) => {
        const m = NAME.exec(name);
        return m === null ? null : { name, epoch: Number(m[1]), seq: Number(m[2]) };
      })
      .filter((x): x is { name: string; epoch: number; seq: number } => x !== null)
      .sort((a, b) => (newer(a, b) ? -1 : newer(b, a) ? 1 : 0));
  };
  return {
    description: `directory ${dir}`,
    async load() {
      for (const f of files()) {
        try {
          const c = decodeCheckpoint(readFileSync(join(dir, f.name)));
          if (c.group === options.group && c.topic === options.topic) return c;
        } catch {
          // A damaged file is skipped; the next older one is used.
        }
      }
      return null;
    },
    async save(c) {
      mkdirSync(dir, { recursive: true });
      const name = `checkpoint-${tag}-${c.epoch}-${c.seq}.lpa`;
      const temp = join(dir, `.${name}.tmp`);
      const fd = openSync(temp, "w");
      try {
        // writeSync may write less than asked (e.g. a nearly full disk): write until done, so a
        // short file is never renamed into place (and older checkpoints removed after it).
        const bytes = encodeCheckpoint(c);
        for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, join(dir, name));
      const dfd = openSync(dir, "r");
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
      // Only older checkpoints go: a runner fenced off by a newer epoch never deletes its files.
      for (const f of files())
        if (newer(c, f) && f.name.startsWith(`checkpoint-${tag}-`))
          rmSync(join(dir, f.name), { force: true });
    },
    async close() {},
  };
}
