/**
 * Writes engine outputs as one JSONL file per table and/or hands them to a row consumer (the
 * ClickHouse output), each row as the engine emits it: `lpa replay` runs the engine with
 * `emission: "final"` (each versioned row once, when it can no longer change) or `every-change`
 * (`--all-versions`), so no row is held or re-read here.
 *
 * Crash safety: a run takes an exclusive lock on its output directory, writes every file into a
 * private work directory inside it, and only at the end renames the finished (fsynced) files over
 * the previous ones and writes the run manifest; files such as `--state` and `--rejects` are
 * replaced atomically (temporary file, fsync, rename, fsync of the directory). An interrupted or
 * failed run leaves the previous outputs and no temporary files.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import type { EngineOutput } from "@livepeer-analytics/core/engine";
import { toRejectionRow } from "@livepeer-analytics/core/quality";

/** Table names of the rejection routes. */
export const DLQ_TABLE = "raw_streaming_events_dlq";
/** Quarantine table name. */
export const QUARANTINE_TABLE = "raw_streaming_events_quarantine";

/** An output that cannot be written, or an output directory in use (exit code 1, one line). */
export class OutputError extends Error {
  override readonly name = "OutputError";
}

/**
 * Named steps at the end of a replay where the `LPA_TEST_CRASH_AT` test hook can kill the process:
 * `before-commit` (outputs finished in the work directory), `mid-commit` (after the first table
 * file is renamed into place), `after-commit` (outputs and manifest in place, state not yet
 * written), `state-temp-written` (new state fsynced under its temporary name) and `after-state`.
 */
export type CrashPoint =
  "before-commit" | "mid-commit" | "after-commit" | "state-temp-written" | "after-state";

/**
 * Test hook for the crash-safety tests: when the environment variable `LPA_TEST_CRASH_AT` equals
 * `point`, the process sends itself SIGKILL there (an abrupt crash at a chosen step). No effect
 * otherwise.
 */
export function crashPoint(point: CrashPoint): void {
  if (process.env["LPA_TEST_CRASH_AT"] === point) process.kill(process.pid, "SIGKILL");
}

const interruptCleanups = new Set<() => void>();

/**
 * Registers a synchronous cleanup (remove temporary files, release a lock) to run when the
 * process is interrupted mid-run; returns the function that unregisters it.
 */
export function onInterrupt(cleanup: () => void): () => void {
  interruptCleanups.add(cleanup);
  return () => {
    interruptCleanups.delete(cleanup);
  };
}

/** Runs every registered interrupt cleanup (from a signal handler); their errors are ignored. */
export function runInterruptCleanups(): void {
  for (const cleanup of [...interruptCleanups]) {
    interruptCleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // best effort: the process is about to exit
    }
  }
}

/** Makes the entries of a directory durable (a no-op where directories cannot be fsynced). */
function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // some platforms and file systems refuse to fsync a directory
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks that the directory of an output file given by `flag` exists, so that a run fails before
 * doing any work rather than at its end.
 */
export function checkOutputDirectory(flag: string, path: string): void {
  const dir = dirname(path);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new OutputError(`${flag} ${path}: directory ${dir} does not exist`);
  }
  if (!isDir) throw new OutputError(`${flag} ${path}: ${dir} is not a directory`);
}

class BufferedFile {
  private fd: number;
  private chunks: string[] = [];
  private size = 0;
  lines = 0;
  constructor(path: string, flag = "w") {
    this.fd = openSync(path, flag);
  }
  write(line: string): void {
    this.chunks.push(line, "\n");
    this.size += line.length + 1;
    this.lines += 1;
    if (this.size >= 1 << 20) this.flush();
  }
  /** Appends text as is (no newline, not counted as a line). */
  append(text: string): void {
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.chunks.length === 0) return;
    writeFileSync(this.fd, this.chunks.join(""));
    this.chunks = [];
    this.size = 0;
  }
  /** Flushes, optionally fsyncs, and closes. */
  close(durable = false): void {
    if (this.fd < 0) return;
    try {
      this.flush();
      if (durable) fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/**
 * A file replaced atomically: lines go to a temporary file next to `path`, and
 * {@link AtomicFile.commit} fsyncs it, renames it over `path` and fsyncs the directory. Until
 * then `path` keeps its previous content; an interrupted or abandoned file leaves nothing behind.
 */
export class AtomicFile {
  private readonly path: string;
  private readonly file: BufferedFile;
  private readonly temp: string;
  private readonly unregister: () => void;
  private done = false;

  private constructor(path: string, flag: string) {
    checkOutputDirectory(flag, path);
    this.path = path;
    this.temp = join(
      dirname(path),
      `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`,
    );
    try {
      this.file = new BufferedFile(this.temp, "wx");
    } catch (error) {
      throw new OutputError(`${flag} ${path}: cannot write: ${(error as Error).message}`);
    }
    this.unregister = onInterrupt(() => this.dispose());
    try {
      // The replacement keeps the permissions of the file it replaces.
      chmodSync(this.temp, statSync(path).mode & 0o7777);
    } catch {
      // no previous file (or no permission to read its mode): the default mode
    }
  }

  /** Starts replacing `path` (named by the option `flag` in error messages). */
  static open(path: string, flag: string): AtomicFile {
    return new AtomicFile(path, flag);
  }

  /** Writes `text` to `path` atomically (`hook`: a {@link crashPoint} before the rename). */
  static write(path: string, flag: string, text: string, hook?: CrashPoint): void {
    const f = AtomicFile.open(path, flag);
    try {
      f.writeText(text);
      f.commit(hook);
    } finally {
      f.dispose();
    }
  }

  /** Appends one line. */
  writeLine(line: string): void {
    this.file.write(line);
  }

  /** Appends text as is. */
  writeText(text: string): void {
    this.file.append(text);
  }

  /** Makes the new content durable and puts it in place of the old one. */
  commit(hook?: CrashPoint): void {
    this.file.close(true);
    if (hook !== undefined) crashPoint(hook);
    renameSync(this.temp, this.path);
    this.done = true;
    this.unregister();
    fsyncDir(dirname(this.path));
  }

  /** Abandons an uncommitted file (removes the temporary file); idempotent. */
  dispose(): void {
    this.unregister();
    if (this.done) return;
    this.done = true;
    try {
      this.file.close();
    } finally {
      rmSync(this.temp, { force: true });
    }
  }
}

/** Name of the lock file of an output directory. */
export const LOCK_FILE = ".lpa.lock";
/** Name of the manifest a replay writes last into its output directory. */
export const MANIFEST_FILE = "lpa-manifest.json";
/** Prefix of the private work directories of runs inside an output directory. */
const WORK_PREFIX = ".lpa-tmp-";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The exclusive lock of an output directory: `.lpa.lock`, created atomically (hard link of a
 * complete temporary file) with the owner's pid, host and a random token. A lock whose pid is
 * dead on this host is stale and taken over.
 */
class DirLock {
  private readonly path: string;
  private readonly content: string;

  private constructor(path: string, content: string) {
    this.path = path;
    this.content = content;
  }

  static acquire(dir: string): DirLock {
    const path = join(dir, LOCK_FILE);
    const token = randomBytes(8).toString("hex");
    const content = `${JSON.stringify({ pid: process.pid, host: hostname(), token })}\n`;
    const temp = `${path}.${process.pid}-${token}`;
    writeFileSync(temp, content, { flag: "wx" });
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        if (DirLock.create(temp, path, content)) return new DirLock(path, content);
        let text: string;
        try {
          text = readFileSync(path, "utf8");
        } catch {
          continue; // released in the meantime
        }
        const owner = DirLock.owner(path, text);
        if (owner.alive) throw DirLock.busy(dir, path, owner.pid);
        // Stale: move it aside atomically, and make sure it is the stale one that was moved.
        const aside = `${path}.stale-${process.pid}-${token}`;
        try {
          renameSync(path, aside);
        } catch {
          continue;
        }
        const moved = readFileSync(aside, "utf8");
        if (moved !== text) {
          try {
            linkSync(aside, path); // a fresh lock of another run: put it back
          } catch {
            // that run will notice it lost its lock before it replaces any output
          }
          rmSync(aside, { force: true });
          throw DirLock.busy(dir, path, DirLock.owner(path, moved).pid);
        }
        rmSync(aside, { force: true });
      }
      throw DirLock.busy(dir, path, null);
    } finally {
      rmSync(temp, { force: true });
    }
  }

  /** Creates the lock from the complete temporary file; `false` when it exists. */
  private static create(temp: string, path: string, content: string): boolean {
    try {
      linkSync(temp, path);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return false;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS" && code !== "EOPNOTSUPP")
        throw error;
    }
    // File systems without hard links: exclusive create, then the content.
    try {
      writeFileSync(path, content, { flag: "wx" });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
  }

  private static owner(path: string, text: string): { pid: number | null; alive: boolean } {
    let parsed: { pid?: unknown; host?: unknown } | null;
    try {
      parsed = JSON.parse(text) as { pid?: unknown; host?: unknown };
    } catch {
      parsed = null;
    }
    const pid =
      typeof parsed?.pid === "number" && Number.isInteger(parsed.pid) && parsed.pid > 0
        ? parsed.pid
        : null;
    if (pid === null) {
      // Unreadable: a lock being created without hard links, or garbage; young ones count.
      let age = Infinity;
      try {
        age = Date.now() - statSync(path).mtimeMs;
      } catch {
        // gone
      }
      return { pid: null, alive: age < 10_000 };
    }
    if (typeof parsed?.host === "string" && parsed.host !== hostname()) return { pid, alive: true };
    return { pid, alive: isAlive(pid) };
  }

  private static busy(dir: string, path: string, pid: number | null): OutputError {
    return new OutputError(
      `--out ${dir} is in use by another lpa run (pid ${pid ?? "unknown"}); if no lpa is running, remove ${path}`,
    );
  }

  /** Whether the lock file is still this lock. */
  held(): boolean {
    try {
      return readFileSync(this.path, "utf8") === this.content;
    } catch {
      return false;
    }
  }

  /** Removes the lock file if it is still this lock. */
  release(): void {
    if (this.held()) rmSync(this.path, { force: true });
  }
}

/** The manifest a replay writes into its output directory after every table file is in place. */
export interface RunManifest {
  /** The command that wrote the directory: `"lpa replay"` or `"lpa load"`. */
  readonly writer: string;
  /** Manifest format version. */
  readonly v: 1;
  /** SHA-256 of the `--resume` state the run started from, or `null`. */
  readonly resumedFrom: string | null;
  /** SHA-256 of the `--state` the run saved, or `null` (flushed at the end). */
  readonly state: string | null;
  /** Whether the run flushed every timer at the end. */
  readonly flushed: boolean;
  /** Rows per table file of the run (`<table>.jsonl`). */
  readonly tables: Readonly<Record<string, number>>;
}

/** The manifest of an output directory, or `null` when there is none (or it is unreadable). */
export function readRunManifest(dir: string): RunManifest | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), "utf8")) as RunManifest;
    return m !== null && typeof m === "object" && typeof m.tables === "object" ? m : null;
  } catch {
    return null;
  }
}

/** Per-table statistics of a finished write. */
export interface TableStats {
  /** Rows written to the table's file. */
  readonly rows: number;
  /**
   * Rows the engine emitted for the table: the same number, since every emitted row is written
   * (kept for readers of the `--json` summary).
   */
  readonly emitted: number;
}

/** Receives every row the writer passes on (each row the engine emits). */
export interface RowConsumer {
  /** One row of `table`; a returned promise is awaited before the writer finishes. */
  row(table: string, row: object): void | Promise<void>;
}

/** Options of {@link OutputWriter}. */
export interface OutputWriterOptions {
  /** Also hand every row to this consumer. */
  readonly consumer?: RowConsumer;
  /**
   * Rewrites every row (rejection rows included) before it is written or passed on: the
   * storage policy for values that do not fit their column (`storableRow`), so that the files and
   * the consumer hold the same values. Default: rows unchanged.
   */
  readonly storable?: (table: string, row: object) => object;
  /** The command named in the manifest ({@link RunManifest.writer}). Default `"lpa replay"`. */
  readonly writer?: string;
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
  close(durable = false): void {
    this.file?.close(durable);
  }
}

/** What {@link OutputWriter.commit} records in the manifest besides the tables. */
export type CommitInfo = Pick<RunManifest, "resumedFrom" | "state" | "flushed">;

/**
 * Streams engine outputs into `<dir>/<table>.jsonl` (when `dir` is given) and the consumer, each
 * row as it is emitted: the engine runs with `emission: "final"` (each identity once, when it can
 * no longer change) or `every-change` (`--all-versions`), so nothing is held or re-read.
 *
 * With a directory the writer holds the directory's lock from construction to
 * {@link OutputWriter.dispose}, writes into a private work directory inside it, and replaces the
 * previous run's files only in {@link OutputWriter.commit}. {@link OutputWriter.dispose} (also
 * run on interruption) removes whatever was not committed.
 */
export class OutputWriter {
  private readonly files = new Map<string, TableOut>();
  private readonly work: string | null;
  private readonly dir: string | null;
  private readonly lock: DirLock | null;
  private readonly options: OutputWriterOptions;
  private readonly unregister: () => void;
  private disposed = false;

  /**
   * `dir` `null`: no files, rows only go to the consumer. Throws an {@link OutputError} when
   * another run holds `dir`.
   */
  constructor(dir: string | null, options: OutputWriterOptions) {
    this.dir = dir;
    this.options = options;
    if (dir !== null) {
      mkdirSync(dir, { recursive: true });
      this.lock = DirLock.acquire(dir);
      try {
        // Holding the lock, any work directory (or pre-lock spool) is a dead run's leftover.
        for (const entry of readdirSync(dir))
          if (entry.startsWith(WORK_PREFIX) || entry === ".spool")
            rmSync(join(dir, entry), { recursive: true, force: true });
        this.work = mkdtempSync(join(dir, WORK_PREFIX));
      } catch (error) {
        this.lock.release();
        throw error;
      }
    } else {
      this.lock = null;
      this.work = null;
    }
    this.unregister = onInterrupt(() => this.dispose());
  }

  private file(table: string): TableOut {
    let f = this.files.get(table);
    if (f === undefined) {
      f = new TableOut(
        this.work === null ? null : new BufferedFile(join(this.work, `${table}.jsonl`)),
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

  /** A row under the {@link OutputWriterOptions.storable} policy. */
  private store<R extends object>(table: string, row: R): R {
    const storable = this.options.storable;
    return storable === undefined ? row : (storable(table, row) as R);
  }

  /** Records one output: a row or rejection is written and passed on. Counters are ignored. */
  add(o: EngineOutput): void {
    if (o.kind === "counter") return;
    const table = o.kind === "row" ? o.table : o.kind === "dlq" ? DLQ_TABLE : QUARANTINE_TABLE;
    const row = this.store(table, o.kind === "row" ? o.row : toRejectionRow(o.envelope));
    const out = this.file(table);
    if (this.work !== null) out.write(JSON.stringify(row));
    else out.lines += 1;
    this.pass(table, row);
  }

  /**
   * Awaits the consumer and closes every file durably (fsynced, still in the work directory until
   * {@link OutputWriter.commit}).
   */
  async finish(): Promise<Record<string, TableStats>> {
    await this.drain();
    const stats: Record<string, TableStats> = {};
    for (const [table, f] of [...this.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      f.close(true);
      stats[table] = { rows: f.lines, emitted: f.lines };
    }
    this.stats = stats;
    return stats;
  }

  private stats: Record<string, TableStats> | null = null;

  /**
   * Puts the finished files in place of the previous run's (synchronous, so no signal handler runs
   * in between): removes the old manifest, renames every table file into the directory, removes
   * the tables of the previous manifest this run did not produce, fsyncs the directory and writes
   * the new manifest last. A no-op without a directory. Checks first that the lock is still held
   * and that no table file is in the way, so a failure leaves the previous files untouched.
   */
  commit(info: CommitInfo): void {
    const dir = this.dir;
    const work = this.work;
    if (dir === null || work === null) return;
    if (this.stats === null) throw new Error("OutputWriter.commit before finish");
    if (this.disposed || this.lock === null || !this.lock.held())
      throw new OutputError(`--out ${dir}: lost the lock of the directory; no output was replaced`);
    const names = Object.keys(this.stats).map((t) => `${t}.jsonl`);
    for (const name of names) {
      let isDir = false;
      try {
        isDir = lstatSync(join(dir, name)).isDirectory();
      } catch {
        // absent: fine
      }
      if (isDir)
        throw new OutputError(`--out ${dir}: cannot replace ${join(dir, name)}: it is a directory`);
    }
    const previous = readRunManifest(dir);
    rmSync(join(dir, MANIFEST_FILE), { force: true });
    fsyncDir(dir);
    names.forEach((name, i) => {
      renameSync(join(work, name), join(dir, name));
      if (i === 0) crashPoint("mid-commit");
    });
    for (const table of Object.keys(previous?.tables ?? {})) {
      if (!/^[A-Za-z0-9_]+$/.test(table) || this.stats[table] !== undefined) continue;
      rmSync(join(dir, `${table}.jsonl`), { force: true });
    }
    fsyncDir(dir);
    const manifest: RunManifest = {
      writer: this.options.writer ?? "lpa replay",
      v: 1,
      ...info,
      tables: Object.fromEntries(Object.entries(this.stats).map(([t, s]) => [t, s.rows])),
    };
    AtomicFile.write(join(dir, MANIFEST_FILE), "--out", JSON.stringify(manifest, null, 2) + "\n");
    rmSync(work, { recursive: true, force: true });
  }

  /**
   * Closes open files, removes the work directory and releases the lock; idempotent.
   * Call it in a `finally`: after {@link OutputWriter.commit} it only cleans up.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unregister();
    for (const f of this.files.values()) {
      try {
        f.close();
      } catch {
        // best effort: the file is removed next
      }
    }
    try {
      if (this.work !== null) rmSync(this.work, { recursive: true, force: true });
    } finally {
      this.lock?.release();
    }
  }
}
