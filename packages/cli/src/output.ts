/**
 * Writes engine outputs as one JSONL file per table and/or hands them to a row consumer (the
 * ClickHouse output). Versioned tables are spooled and reduced to their final rows (latest version
 * per identity, like `ReplacingMergeTree ... FINAL`) unless all versions are requested; append-only
 * tables and rejection rows are passed on as they come.
 *
 * @module
 */
import {
  closeSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { EngineOutput } from "@livepeer-analytics/core/engine";
import { isVersionedTable, rowIdentity } from "@livepeer-analytics/core/lifecycle";
import { toRejectionRow } from "@livepeer-analytics/core/quality";

/** Table names of the rejection routes. */
export const DLQ_TABLE = "raw_streaming_events_dlq";
/** Quarantine table name. */
export const QUARANTINE_TABLE = "raw_streaming_events_quarantine";

class BufferedFile {
  private fd: number;
  private chunks: string[] = [];
  private size = 0;
  lines = 0;
  constructor(path: string) {
    this.fd = openSync(path, "w");
  }
  write(line: string): void {
    this.chunks.push(line, "\n");
    this.size += line.length + 1;
    this.lines += 1;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.chunks.length === 0) return;
    writeSync(this.fd, this.chunks.join(""));
    this.chunks = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Per-table statistics of a finished write. */
export interface TableStats {
  /** Rows written to the table's file. */
  readonly rows: number;
  /** Rows emitted by the engine for the table (all versions). */
  readonly emitted: number;
}

/** Receives every row the writer passes on (final rows, or every version with `allVersions`). */
export interface RowConsumer {
  /** One row of `table`; a returned promise is awaited before the next row while reducing. */
  row(table: string, row: object): void | Promise<void>;
}

/** Options of {@link OutputWriter}. */
export interface OutputWriterOptions {
  /** Pass on every emitted version instead of the final rows. */
  readonly allVersions: boolean;
  /** Also hand every passed-on row to this consumer. */
  readonly consumer?: RowConsumer;
}

/** A table's output: its JSONL file (or only a line count without a directory). */
class TableOut {
  lines = 0;
  private readonly file: BufferedFile | null;
  constructor(file: BufferedFile | null) {
    this.file = file;
  }
  write(line: string): void {
    this.lines += 1;
    this.file?.write(line);
  }
  close(): void {
    this.file?.close();
  }
}

/** Streams engine outputs into `<dir>/<table>.jsonl` (when `dir` is given) and the consumer. */
export class OutputWriter {
  private readonly files = new Map<string, TableOut>();
  private readonly spools = new Map<string, BufferedFile>();
  private readonly maxVersion = new Map<string, Map<string, number>>();
  private readonly emitted = new Map<string, number>();
  private readonly spoolDir: string;
  private readonly dir: string | null;
  private readonly options: OutputWriterOptions;

  /** `dir` `null`: no files, rows only go to the consumer (the spool lives in a temp directory). */
  constructor(dir: string | null, options: OutputWriterOptions) {
    this.dir = dir;
    this.options = options;
    if (dir !== null) {
      mkdirSync(dir, { recursive: true });
      this.spoolDir = join(dir, ".spool");
    } else {
      this.spoolDir = mkdtempSync(join(tmpdir(), "lpa-spool-"));
    }
  }

  private file(table: string): TableOut {
    let f = this.files.get(table);
    if (f === undefined) {
      f = new TableOut(
        this.dir === null ? null : new BufferedFile(join(this.dir, `${table}.jsonl`)),
      );
      this.files.set(table, f);
    }
    return f;
  }

  /**
   * Outputs passed on to the consumer and not yet awaited (rows of append-only tables go out
   * while the input is read); {@link OutputWriter.drain} awaits them.
   */
  private pending: Promise<void>[] = [];

  private pass(table: string, row: object): void {
    const r = this.options.consumer?.row(table, row);
    if (r !== undefined) this.pending.push(r);
  }

  /** Number of consumer calls not yet awaited. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Awaits the consumer calls made so far (backpressure between input records). */
  async drain(): Promise<void> {
    if (this.pending.length === 0) return;
    const waiting = this.pending;
    this.pending = [];
    await Promise.all(waiting);
  }

  /** Records one output. Counters are ignored here. */
  add(o: EngineOutput): void {
    if (o.kind === "counter") return;
    if (o.kind === "dlq" || o.kind === "quarantine") {
      const table = o.kind === "dlq" ? DLQ_TABLE : QUARANTINE_TABLE;
      this.emitted.set(table, (this.emitted.get(table) ?? 0) + 1);
      const row = toRejectionRow(o.envelope);
      if (this.dir !== null) this.file(table).write(JSON.stringify(row));
      else this.file(table).lines += 1;
      this.pass(table, row);
      return;
    }
    const table = o.table;
    this.emitted.set(table, (this.emitted.get(table) ?? 0) + 1);
    if (this.options.allVersions || !isVersionedTable(table)) {
      if (this.dir !== null) this.file(table).write(JSON.stringify(o.row));
      else this.file(table).lines += 1;
      this.pass(table, o.row);
      return;
    }
    const line = JSON.stringify(o.row);
    const id = rowIdentity(table, o.row)!;
    let versions = this.maxVersion.get(table);
    if (versions === undefined) {
      versions = new Map();
      this.maxVersion.set(table, versions);
    }
    const v = (o.row as unknown as { version: number }).version;
    const prev = versions.get(id);
    if (prev === undefined || v > prev) versions.set(id, v);
    let spool = this.spools.get(table);
    if (spool === undefined) {
      mkdirSync(this.spoolDir, { recursive: true });
      spool = new BufferedFile(join(this.spoolDir, `${table}.jsonl`));
      this.spools.set(table, spool);
    }
    spool.write(line);
  }

  /** Reduces the spooled tables to their final rows and closes every file. */
  async finish(): Promise<Record<string, TableStats>> {
    await this.drain();
    for (const [table, spool] of this.spools) {
      spool.close();
      const versions = this.maxVersion.get(table)!;
      const out = this.file(table);
      const rl = createInterface({
        input: createReadStream(join(this.spoolDir, `${table}.jsonl`), "utf8"),
        crlfDelay: Infinity,
      });
      for await (const line of rl) {
        const row = JSON.parse(line) as Record<string, unknown> & { version: number };
        const id = rowIdentity(table, row)!;
        if (versions.get(id) !== row.version) continue;
        versions.delete(id); // exactly one row per identity
        out.write(line);
        this.pass(table, row);
        if (this.pending.length >= 4096) await this.drain();
      }
    }
    await this.drain();
    rmSync(this.spoolDir, { recursive: true, force: true });
    const stats: Record<string, TableStats> = {};
    for (const [table, f] of [...this.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      f.close();
      stats[table] = { rows: f.lines, emitted: this.emitted.get(table) ?? f.lines };
    }
    return stats;
  }
}
