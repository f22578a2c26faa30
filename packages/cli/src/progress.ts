/**
 * The progress line of a run on a TTY stderr: the phase (reading, final rows, loading, assertions),
 * while reading the share of input bytes read with an ETA, and afterwards the time spent in the
 * phase. The formatting is pure ({@link formatProgressLine}); {@link RunProgress} decides when to
 * write.
 *
 * @module
 */

/** Phases of a run, in order. */
export type ProgressPhase = "reading" | "final rows" | "loading" | "assertions";

/** What one progress line shows. */
export interface ProgressState {
  /** Command name (`replay`, `validate`, `produce`). */
  readonly command: string;
  /** Current phase. */
  readonly phase: ProgressPhase;
  /** Display name of the input being read (reading phase). */
  readonly input: string;
  /** Raw bytes read over all inputs (compressed bytes for gzip inputs). */
  readonly bytes: number;
  /** Size of all inputs in bytes, or `null` when unknown (standard input). */
  readonly totalBytes: number | null;
  /** Records read over all inputs. */
  readonly records: number;
  /** Time since the current phase started, ms. */
  readonly phaseElapsedMs: number;
  /** What the phase has done so far (e.g. `"1,200 rows inserted"`), or `""`. */
  readonly detail: string;
}

/** Share of `total` done, in percent (0–100, one decimal kept by the caller), or `null`. */
export function progressPercent(done: number, total: number | null): number | null {
  if (total === null || total <= 0) return null;
  return Math.min(100, Math.max(0, (100 * done) / total));
}

/**
 * Remaining time of a phase that has done `done` of `total` units in `elapsedMs`, at the same
 * rate, ms; `null` when it cannot be told yet (nothing done, less than a second elapsed, or no
 * total).
 *
 * @example
 * etaMs(25, 100, 10_000) // 30000
 */
export function etaMs(done: number, total: number | null, elapsedMs: number): number | null {
  if (total === null || total <= 0 || done <= 0 || elapsedMs < 1000) return null;
  if (done >= total) return 0;
  return Math.round((elapsedMs * (total - done)) / done);
}

/**
 * A duration for a progress line: `45s`, `3m05s`, `2h07m`.
 *
 * @example
 * formatDuration(185_000) // "3m05s"
 */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

const n = (x: number): string => x.toLocaleString("en-US");
const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);

/**
 * One progress line (without the carriage return). Reading:
 * `lpa replay: reading big.jsonl 41.2% (8.3 of 20.0 MiB), 11,264 records, 16,712 rec/s, ETA 12s`;
 * other phases: `lpa replay: loading 1,200 rows inserted (3s)`.
 */
export function formatProgressLine(s: ProgressState): string {
  const head = `lpa ${s.command}: ${s.phase}`;
  if (s.phase !== "reading") {
    const detail = s.detail === "" ? "" : ` ${s.detail}`;
    return `${head}${detail} (${formatDuration(s.phaseElapsedMs)})`;
  }
  const pct = progressPercent(s.bytes, s.totalBytes);
  const size =
    pct === null || s.totalBytes === null
      ? ` ${mib(s.bytes)} MiB`
      : ` ${pct.toFixed(1)}% (${mib(s.bytes)} of ${mib(s.totalBytes)} MiB)`;
  const rate = Math.round(s.records / Math.max(s.phaseElapsedMs / 1000, 0.001));
  const eta = etaMs(s.bytes, s.totalBytes, s.phaseElapsedMs);
  return `${head} ${s.input}${size}, ${n(s.records)} records, ${n(rate)} rec/s${eta === null ? "" : `, ETA ${formatDuration(eta)}`}`;
}

/** Smallest input total (bytes) that gets a progress line; standard input always does. */
export const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;

/**
 * The progress line of one run. Writes only when `stream` is a TTY and the inputs are large (at
 * least {@link PROGRESS_MIN_BYTES} in total, or standard input); at most every 200 ms while
 * reading, and every second in the later phases (which may not report anything themselves).
 */
export class RunProgress {
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly command: string;
  private readonly totalBytes: number | null;
  private readonly clock: () => number;
  private readonly active: boolean;
  private phaseName: ProgressPhase = "reading";
  private phaseStarted: number;
  private input = "";
  private bytesBefore = 0;
  private bytes = 0;
  private records = 0;
  private lastWrite = -Infinity;
  private shown = false;
  private readingStarted = false;
  private detail: () => string = () => "";
  private timer: ReturnType<typeof setInterval> | null = null;

  /**
   * @param totalBytes - size of all inputs, or `null` when one is standard input.
   */
  constructor(
    stream: NodeJS.WritableStream & { isTTY?: boolean },
    command: string,
    totalBytes: number | null,
    clock: () => number,
    minBytes: number = PROGRESS_MIN_BYTES,
  ) {
    this.stream = stream;
    this.command = command;
    this.totalBytes = totalBytes;
    this.clock = clock;
    this.active = stream.isTTY === true && (totalBytes === null || totalBytes >= minBytes);
    this.phaseStarted = clock();
  }

  /** Starts reading the next input (the first one starts the reading clock). */
  startInput(name: string): void {
    if (!this.readingStarted) {
      // Time before the first input (opening ClickHouse, applying the DDL) is not reading time.
      this.readingStarted = true;
      this.phaseStarted = this.clock();
    }
    this.bytesBefore += this.bytes;
    this.bytes = 0;
    this.input = name;
  }

  /** Bytes of the current input read so far and records read over all inputs. */
  reading(bytes: number, records: number): void {
    this.bytes = bytes;
    this.records = records;
    if (!this.active) return;
    const now = this.clock();
    if (now - this.lastWrite < 200) return;
    this.write(now);
  }

  /**
   * Enters a later phase; `detail` tells what it has done so far (called at each refresh). The line
   * is refreshed every second until the next phase or {@link RunProgress.done}.
   */
  phase(name: ProgressPhase, detail: () => string = () => ""): void {
    this.phaseName = name;
    this.detail = detail;
    if (!this.active) return;
    this.phaseStarted = this.clock();
    this.write(this.phaseStarted);
    if (this.timer === null) {
      this.timer = setInterval(() => this.write(this.clock()), 1000);
      this.timer.unref();
    }
  }

  /**
   * Writes a line of its own (a warning, a retry) on the stream: the progress line is erased first
   * and drawn again at the next update, so the two never share a line.
   */
  note(line: string): void {
    if (this.shown) {
      this.stream.write(`\r\x1b[K${line}\n`);
      this.lastWrite = -Infinity;
    } else this.stream.write(`${line}\n`);
  }

  /** Ends the line (a newline when one was written) and stops refreshing. */
  done(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.shown) this.stream.write("\n");
    this.shown = false;
  }

  private write(now: number): void {
    this.lastWrite = now;
    this.shown = true;
    const line = formatProgressLine({
      command: this.command,
      phase: this.phaseName,
      input: this.input,
      bytes: this.bytesBefore + this.bytes,
      totalBytes: this.totalBytes,
      records: this.records,
      phaseElapsedMs: now - this.phaseStarted,
      detail: this.detail(),
    });
    // Carriage return, the line, then erase what a longer previous line left.
    this.stream.write(`\r${line}\x1b[K`);
  }
}
