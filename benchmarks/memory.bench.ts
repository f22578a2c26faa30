/**
 * Memory held by the engine state against the targets of "memory proportional to open work":
 * bytes per open session, per tombstone and per dedup entry, and snapshot bytes per open session.
 *
 *   npm run bench -- memory [sessions=20000] [dedupEntries=200000]
 *
 * Heap figures are `heapUsed` deltas after `global.gc()` (the runner starts Node with
 * `--expose-gc`); each part of a state is measured by "peeling": the state is kept alive, one part
 * is replaced by its empty value, and the heap freed by that is the part's size. Snapshot figures
 * are `engine.snapshot(state).length` (and `JSON.stringify` of the part), in UTF-16 code units
 * (= bytes: the state is ASCII here).
 *
 * (1) open sessions mid-stream: every session replays the first half of the real 2026-01-08
 *     session (traces, status, ingest metrics, payments; a capability snapshot per wallet first),
 *     re-keyed and shifted, through the full engine (correction mode) with its watermark. Reports
 *     per open session, heap and snapshot, the lifecycle state split by what holds it: (a) its
 *     unsealed signals, (b) its retained rows (samples of unsealed signals: they leave the state
 *     when their signal seals), (c) its `current` fold (`null` once every signal is sealed), the
 *     lookup keys of its unsealed signals, and (d) the rest (checkpoint, coverage, counters,
 *     last-emission digests and segments, timers, …): what a session keeps once everything is
 *     sealed. The ≤ 4 KB target ("lifecycle state ≤ 4 KB plus its unsealed signals") is applied
 *     to (d); the measure reported before this split (everything but (a)) is printed with its
 *     own verdict. Also: the dedup entries of its events, and the largest session fields. A
 *     snapshot longer than V8's maximum string length cannot be produced: that is reported, and
 *     its length summed over its parts.
 * (2) tombstones: the same with whole sessions, then the watermark advanced past
 *     `sessionStateTtlMs` (the dedup TTL elapses too): every session is evicted to a tombstone
 *     (target ≤ 200 bytes each, heap and snapshot).
 * (3) dedup entries: the dedup operator alone, with realistic 36-character event ids and with
 *     hostile 16 KiB ids (an entry must be compact: its size must not grow with the key).
 */
import { createHash } from "node:crypto";
import { createEngine, type EngineState } from "@livepeer-analytics/core/engine";
import { createDedupOperator, DEFAULT_DEDUP_CONFIG } from "@livepeer-analytics/core/quality";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { capabilityLine, sessionLine, TEMPLATE_SPAN, TEMPLATE_START } from "./generate.js";

const sessions = Number(process.argv[2] ?? 20_000);
const dedupEntries = Number(process.argv[3] ?? 200_000);
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const gcFn = (globalThis as { gc?: () => void }).gc;
if (gcFn === undefined) throw new Error("run with --expose-gc (npm run bench -- memory)");
const gc: () => void = gcFn;

const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/**
 * Heap in use after full collections. Collected in a later macrotask: objects dropped during the
 * current one are not always reclaimed by a collection run inside it.
 */
async function heap(): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * The replay of `sessions` sessions (the first `fraction` of each), by event time: small records
 * rendered into envelope lines only when fed, so no input line stays on the heap.
 */
interface Replay {
  readonly length: number;
  line(i: number): string;
}

function sessionReplay(fraction: number): Replay {
  const template = realEventLines();
  const capLine = template.find((l) => l.includes('"network_capabilities"'))!;
  const tsOf = (l: string): number => Number(/"timestamp":"?(\d{13})"?/.exec(l)![1]);
  const cut = TEMPLATE_START + TEMPLATE_SPAN * fraction;
  const lines = template.filter((l) => l !== capLine && tsOf(l) <= cut);
  const wallets = Math.max(1, Math.floor(sessions / 100));
  // Capability snapshots (one per wallet) first, then every session's lines: `[ts, session, line]`
  // with session −1 − wallet for a capability snapshot.
  const order: [number, number, number][] = [];
  for (let w = 0; w < wallets; w++) order.push([TEMPLATE_START - 30_000 + w, -1 - w, 0]);
  for (let s = 0; s < sessions; s++) {
    // Staggered starts (50 ms apart): all sessions overlap, as on a busy gateway.
    lines.forEach((t, j) => order.push([tsOf(t) + s * 50, s, j]));
  }
  order.sort((a, b) => a[0] - b[0]);
  const render = ([ts, s, j]: [number, number, number]): string => {
    if (s < 0) {
      const w = -1 - s;
      return capabilityLine(capLine, `cap-${w}`, ts, w);
    }
    const shift = s * 50;
    return sessionLine(lines[j]!, {
      id: (id) => `${id.slice(0, 26)}${s.toString(16).padStart(10, "0")}`,
      stream: `stream-${s.toString(36).padStart(6, "0")}-memory`,
      shift,
      wallet: s % wallets,
    });
  };
  return { length: order.length, line: (i) => render(order[i]!) };
}

type Engine = ReturnType<typeof createEngine>;

/** Feeds every line with watermark advances. */
function feed(engine: Engine, state: EngineState, lines: Replay): void {
  for (let i = 0; i < lines.length; i++) {
    engine.stepInPlace(state, {
      record: { value: lines.line(i), offset: i + 1 },
      now: TEMPLATE_START,
    });
    const w = engine.nextWatermark(state);
    if (w !== null) engine.advanceInPlace(state, w);
  }
}

/** Mutable view of the correction lifecycle state (fields read defensively). */
interface LifecycleView {
  sessions: Record<
    string,
    { unsealed?: unknown[]; retained?: unknown[]; current?: unknown; lookupKeys?: unknown[] }
  >;
  index?: unknown;
  keyIndex?: Record<string, unknown>;
  tombstones: Record<string, unknown>;
  timers?: Record<string, unknown>;
}

/**
 * `engine.snapshot(state).length`; when the snapshot is longer than a string can be (V8's limit,
 * ~2²⁹ characters), the same length summed over its parts (and a note that `snapshot` throws).
 */
function snapshotLength(engine: Engine, state: EngineState, lc: LifecycleView): number {
  try {
    return engine.snapshot(state).length;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const sessions = lc.sessions;
    lc.sessions = {};
    let n = engine.snapshot(state).length;
    lc.sessions = sessions;
    for (const [k, v] of Object.entries(sessions))
      n += JSON.stringify(k).length + JSON.stringify(v).length + 2;
    console.log(
      `    note: engine.snapshot(state) throws ${error.name}: ${error.message} (${fmt(n)} characters); sizes below are summed over its parts`,
    );
    return n;
  }
}

const line = (label: string, value: string, target = "", verdict = ""): void =>
  console.log(`${label.padEnd(46)} ${value.padStart(12)}  ${target.padEnd(22)} ${verdict}`);
const verdict = (ok: boolean): string => (ok ? "met" : "NOT met");

const results: { name: string; ok: boolean }[] = [];

// ---- (1) open sessions mid-stream ----------------------------------------------------------------
{
  const engine = createEngine({ preset: "correction" }, { sha256Hex });
  const lines = sessionReplay(0.5);
  const state = engine.init();
  const h0 = await heap();
  feed(engine, state, lines);
  const h1 = await heap();
  const lc = state.lifecycle as unknown as LifecycleView;
  const open = Object.keys(lc.sessions).length;
  // Counts and snapshot bytes of the parts a session holds only while signals are unsealed
  // (bytes of the part's content: `[]` / `null` stay once it is emptied).
  let unsealedSignals = 0;
  let retainedRows = 0;
  let withCurrent = 0;
  let unsealedJson = 0;
  let retainedJson = 0;
  let currentJson = 0;
  let lookupKeysJson = 0;
  let sessionsJson = 0;
  for (const [k, s] of Object.entries(lc.sessions)) {
    unsealedSignals += s.unsealed?.length ?? 0;
    retainedRows += s.retained?.length ?? 0;
    unsealedJson += JSON.stringify(s.unsealed ?? []).length - 2;
    retainedJson += JSON.stringify(s.retained ?? []).length - 2;
    lookupKeysJson += JSON.stringify(s.lookupKeys ?? []).length - 2;
    if (s.current !== null && s.current !== undefined) {
      withCurrent += 1;
      currentJson += JSON.stringify(s.current).length - 4;
    }
    sessionsJson += JSON.stringify(k).length + JSON.stringify(s).length + 2;
  }
  // Lookup keys of unsealed signals: the reverse index and each session's list.
  const lookupJson = JSON.stringify(lc.keyIndex ?? {}).length - 2 + lookupKeysJson;
  // (d) in the snapshot: the session records without the parts above, and the timer queues.
  const sealedJson =
    sessionsJson -
    unsealedJson -
    retainedJson -
    currentJson -
    lookupKeysJson +
    JSON.stringify(lc.timers ?? null).length;
  // Snapshot bytes of an open session by field (the largest first).
  const byField = new Map<string, number>();
  for (const s of Object.values(lc.sessions))
    for (const [k, v] of Object.entries(s))
      byField.set(k, (byField.get(k) ?? 0) + JSON.stringify(v ?? null).length + k.length + 4);
  console.log(
    `(1) ${fmt(open)} open sessions mid-stream (first half of the real session each: ${fmt(lines.length)} envelopes, ${fmt(unsealedSignals)} unsealed signals), correction mode`,
  );
  const snapshot = snapshotLength(engine, state, lc);
  const dedupJson = JSON.stringify(state.dedup).length;
  const dedupSize = state.dedup.size;
  // Peel, in this order: the dedup store, (a) unsealed signals, (b) retained rows, (c) current
  // folds, the lookup keys of unsealed signals, then (d) the sessions (with their timers). An
  // object two parts share counts with the part peeled last.
  (state as { dedup: EngineState["dedup"] }).dedup = engine.init().dedup;
  const h2 = await heap();
  for (const s of Object.values(lc.sessions)) if (s.unsealed) s.unsealed.length = 0;
  const h3 = await heap();
  for (const s of Object.values(lc.sessions)) if (s.retained) s.retained.length = 0;
  const h4 = await heap();
  for (const s of Object.values(lc.sessions)) if (s.current !== undefined) s.current = null;
  const h5 = await heap();
  for (const s of Object.values(lc.sessions)) if (s.lookupKeys) s.lookupKeys.length = 0;
  if (lc.keyIndex) lc.keyIndex = {};
  const h6 = await heap();
  lc.sessions = {};
  if (lc.timers) for (const q of Object.values(lc.timers)) if (Array.isArray(q)) q.length = 0;
  const h7 = await heap();
  const unsealedHeap = (h2 - h3) / open;
  const retainedHeap = (h3 - h4) / open;
  const currentHeap = (h4 - h5) / open;
  const lookupHeap = (h5 - h6) / open;
  const sealedHeap = (h6 - h7) / open;
  // The measure reported before the split: everything but the unsealed signals, i.e. b+c+keys+d.
  const oldHeap = (h3 - h7) / open;
  line("    heap, whole engine state / open session", `${fmt((h1 - h0) / open)} B`);
  line(
    "    heap, dedup entries / open session",
    `${fmt((h1 - h2) / open)} B`,
    `(${fmt(dedupSize)} entries, ${fmt((h1 - h2) / Math.max(1, dedupSize))} B each)`,
  );
  console.log("    heap, lifecycle state / open session, by what it is held for:");
  line(
    "      (a) unsealed signals (own)",
    `${fmt(unsealedHeap)} B`,
    `(${(unsealedSignals / open).toFixed(1)} signals, ${fmt((h2 - h3) / Math.max(1, unsealedSignals))} B each)`,
  );
  line(
    "      (b) retained rows (samples of unsealed)",
    `${fmt(retainedHeap)} B`,
    `(${(retainedRows / open).toFixed(1)} rows, ${fmt((h3 - h4) / Math.max(1, retainedRows))} B each)`,
  );
  line(
    "      (c) current fold (null once all sealed)",
    `${fmt(currentHeap)} B`,
    `(held by ${fmt(withCurrent)} of ${fmt(open)} sessions)`,
  );
  line("      lookup keys of unsealed (keyIndex etc.)", `${fmt(lookupHeap)} B`);
  line(
    "      (d) the rest: kept once all is sealed",
    `${fmt(sealedHeap)} B`,
    "≤ 4,096 B, applied to d",
    verdict(sealedHeap <= 4096),
  );
  line(
    "      old measure: all but (a) = b+c+keys+d",
    `${fmt(oldHeap)} B`,
    "≤ 4,096 B, old measure",
    verdict(oldHeap <= 4096),
  );
  results.push({
    name: "open session state once sealed (d) ≤ 4 KB, heap",
    ok: sealedHeap <= 4096,
  });
  results.push({
    name: "old measure: open session lifecycle state w/o unsealed signals ≤ 4 KB, heap",
    ok: oldHeap <= 4096,
  });
  line("    heap, rest (capability index, sweep state)", `${fmt(h7 - h0)} B`);
  line("    snapshot / open session", `${fmt(snapshot / open)} B`);
  line("      of which dedup store", `${fmt(dedupJson / open)} B`);
  line("      of which (a) unsealed signals", `${fmt(unsealedJson / open)} B`);
  line("      of which (b) retained rows", `${fmt(retainedJson / open)} B`);
  line("      of which (c) current folds", `${fmt(currentJson / open)} B`);
  line("      of which lookup keys of unsealed", `${fmt(lookupJson / open)} B`);
  line(
    "      of which (d) kept once all is sealed",
    `${fmt(sealedJson / open)} B`,
    "≤ 4,096 B, applied to d",
    verdict(sealedJson / open <= 4096),
  );
  const otherJson =
    snapshot - dedupJson - unsealedJson - retainedJson - currentJson - lookupJson - sealedJson;
  line("      of which the rest (capability index, …)", `${fmt(otherJson / open)} B`);
  const fields = [...byField.entries()].sort((a, b) => b[1] - a[1]).slice(0, 7);
  console.log(
    `      by session field: ${fields.map(([k, n]) => `${k} ${fmt(n / open)} B`).join(", ")}`,
  );
  const oldJson = (snapshot - dedupJson - unsealedJson) / open;
  line(
    "      old measure: all but dedup and (a)",
    `${fmt(oldJson)} B`,
    "≤ 4,096 B, old measure",
    verdict(oldJson <= 4096),
  );
  results.push({
    name: "open session state once sealed (d) ≤ 4 KB, snapshot",
    ok: sealedJson / open <= 4096,
  });
  results.push({
    name: "old measure: open session snapshot w/o unsealed signals, dedup ≤ 4 KB",
    ok: oldJson <= 4096,
  });
}

// ---- (2) tombstones ------------------------------------------------------------------------------
{
  const engine = createEngine({ preset: "correction" }, { sha256Hex });
  const state = engine.init();
  feed(engine, state, sessionReplay(1));
  const ttl = engine.config.lifecycle.sessionStateTtlMs;
  const last = TEMPLATE_START + TEMPLATE_SPAN + sessions * 50;
  // Past the session TTL (the dedup TTL, shorter, elapses too), before the tombstone TTL.
  engine.advanceInPlace(state, last + ttl + 60_000);
  engine.advanceInPlace(state, last + ttl + 120_000);
  const lc = state.lifecycle as unknown as LifecycleView;
  const tombstones = Object.keys(lc.tombstones).length;
  const open = Object.keys(lc.sessions).length;
  const h1 = await heap();
  const json = JSON.stringify(lc.tombstones).length;
  const timerJson = JSON.stringify(lc.timers?.["tombstones"] ?? []).length;
  lc.tombstones = {};
  if (lc.timers && Array.isArray(lc.timers["tombstones"]))
    (lc.timers["tombstones"] as unknown[]).length = 0;
  const h2 = await heap();
  const per = (h1 - h2) / Math.max(1, tombstones);
  const perJson = (json + timerJson) / Math.max(1, tombstones);
  console.log(
    `(2) ${fmt(tombstones)} tombstones after the watermark passed sessionStateTtlMs (${fmt(open)} sessions still open, ${fmt(state.dedup.size)} dedup entries)`,
  );
  line(
    "    heap / tombstone (record + expiry timer)",
    `${fmt(per)} B`,
    "≤ 200 B",
    verdict(per <= 200),
  );
  line(
    "    snapshot / tombstone (record + expiry timer)",
    `${fmt(perJson)} B`,
    "≤ 200 B",
    verdict(perJson <= 200),
  );
  results.push({ name: "tombstone ≤ 200 B (heap)", ok: per <= 200 });
  results.push({ name: "tombstone ≤ 200 B (snapshot)", ok: perJson <= 200 });
}

// ---- (3) dedup entries ---------------------------------------------------------------------------
{
  const dedup = createDedupOperator({ sha256Hex });
  const config = DEFAULT_DEDUP_CONFIG;
  const measure = async (
    n: number,
    keyOf: (i: number) => string,
  ): Promise<{ heap: number; json: number }> => {
    const state = dedup.init(config);
    const h0 = await heap();
    for (let i = 0; i < n; i++) {
      // Keys are built here and dropped: only what the store keeps stays on the heap.
      dedup.stepInPlace(state, { key: keyOf(i), seenAt: TEMPLATE_START + i * 17 }, config);
    }
    const h1 = await heap();
    const json = JSON.stringify(state).length;
    if (state.size !== n) throw new Error(`expected ${n} entries, got ${state.size}`);
    return { heap: (h1 - h0) / n, json: json / n };
  };
  const realistic = await measure(dedupEntries, (i) => {
    const h = i.toString(16).padStart(12, "0");
    return `7c1e${h.slice(0, 4)}-59a2-4f0e-9d1b-${h}`;
  });
  const hostileN = Math.min(10_000, dedupEntries);
  const hostile = await measure(
    hostileN,
    (i) => "x".repeat(16_376) + i.toString(16).padStart(8, "0"),
  );
  console.log(
    `(3) dedup store alone: ${fmt(dedupEntries)} entries with 36-char event ids, ${fmt(hostileN)} with 16 KiB ids`,
  );
  line("    heap / entry, 36-char ids", `${fmt(realistic.heap)} B`);
  line(
    "    heap / entry, 16 KiB ids",
    `${fmt(hostile.heap)} B`,
    "compact: ≈ 36-char",
    verdict(hostile.heap < 2 * realistic.heap + 64),
  );
  line("    snapshot / entry, 36-char ids", `${fmt(realistic.json)} B`);
  line(
    "    snapshot / entry, 16 KiB ids",
    `${fmt(hostile.json)} B`,
    "compact: ≈ 36-char",
    verdict(hostile.json < 2 * realistic.json + 16),
  );
  results.push({
    name: "dedup entry compact (independent of the key's length)",
    ok: hostile.heap < 2 * realistic.heap + 64 && hostile.json < 2 * realistic.json + 16,
  });
}

console.log("targets:");
for (const r of results) console.log(`  ${verdict(r.ok).padEnd(8)} ${r.name}`);
