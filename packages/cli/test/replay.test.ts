import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  REAL_SAMPLE_EXPECTED,
  realEventLines,
  realFixturePath,
} from "@livepeer-analytics/testing/fixtures";
import { isVersionedTable, rowIdentity } from "@livepeer-analytics/core/lifecycle";
import { COUNTER_NAMES } from "@livepeer-analytics/core/quality";
import { run } from "../src/main.js";
import { renderReplaySummary } from "../src/summary.js";
import { memoryIo, writeMixedInput } from "./support.js";
import type { ReplaySummary } from "../src/summary.js";

const tmp = mkdtempSync(join(tmpdir(), "lpa-replay-"));
let n = 0;
const outDir = () => join(tmp, `out-${n++}`);
const jsonl = realFixturePath("streaming-events-2026-01-08.jsonl");
const lines = realEventLines();

async function replay(
  args: string[],
): Promise<{ code: number; summary: ReplaySummary; dir: string; err: string }> {
  const dir = args.includes("--out") ? args[args.indexOf("--out") + 1]! : outDir();
  const m = memoryIo();
  const code = await run(
    ["replay", "--json", ...(args.includes("--out") ? [] : ["--out", dir]), ...args],
    m.io,
  );
  return { code, summary: JSON.parse(m.out()) as ReplaySummary, dir, err: m.err() };
}

function readTables(dir: string): Record<string, Record<string, unknown>[]> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith(".jsonl"))
    .sort()) {
    const text = readFileSync(join(dir, f), "utf8");
    out[f.replace(/\.jsonl$/, "")] =
      text === ""
        ? []
        : text
            .trimEnd()
            .split("\n")
            .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  return out;
}

/** Latest version per identity over several runs' output files (the union a reader would see). */
function latestUnion(dirs: string[]): Record<string, string[]> {
  const keyOf = (table: string, r: Record<string, unknown>): string =>
    (
      ({
        fact_workflow_sessions: () => `${String(r["workflow_session_id"])}`,
        fact_workflow_session_segments: () =>
          `${String(r["workflow_session_id"])}|${String(r["segment_index"])}`,
        fact_workflow_latency_samples: () =>
          `${String(r["workflow_session_id"])}|${String(r["edge_semantics_version"])}`,
        fact_stream_status_samples: () =>
          `${String(r["sample_ts"])}|${String(r["source_event_uid"])}`,
        fact_stream_trace_edges: () => `${String(r["edge_ts"])}|${String(r["source_event_uid"])}`,
        fact_lifecycle_edge_coverage: () =>
          `${String(r["signal_ts"])}|${String(r["source_event_uid"])}`,
        fact_workflow_param_updates: () => `${String(r["source_event_uid"])}`,
      }) as Record<string, () => string>
    )[table]?.() ?? JSON.stringify(r);
  const best = new Map<string, Record<string, unknown>>();
  for (const dir of dirs) {
    for (const [table, rows] of Object.entries(readTables(dir))) {
      for (const r of rows) {
        const k = `${table}#${keyOf(table, r)}`;
        const prev = best.get(k);
        if (prev === undefined || (r["version"] as number) > (prev["version"] as number))
          best.set(k, r);
      }
    }
  }
  const out: Record<string, string[]> = {};
  for (const [k, r] of best) (out[k.split("#")[0]!] ??= []).push(JSON.stringify(r));
  for (const t of Object.keys(out)) out[t]!.sort();
  return out;
}

const attributed = (rows: Record<string, unknown>[] | undefined) =>
  (rows ?? []).filter((r) => r["is_attributed"] === 1).length;

describe("lpa replay", () => {
  it("the real event log: the expected rows of every table", async () => {
    const { code, summary, dir } = await replay([jsonl, "--latency-semantics", "both"]);
    expect(code).toBe(0);
    const t = readTables(dir);
    expect(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.length]))).toEqual({
      ...REAL_SAMPLE_EXPECTED.rowsByTable,
      fact_lifecycle_edge_coverage: 23,
      fact_stream_status_samples: 17,
      fact_stream_trace_edges: 6,
      fact_workflow_latency_samples: 2,
      fact_workflow_session_segments: 1,
      fact_workflow_sessions: 1,
    });
    expect(attributed(t["fact_stream_status_samples"])).toBe(17);
    expect(attributed(t["fact_stream_trace_edges"])).toBe(5);
    expect(t["fact_workflow_sessions"]![0]).toMatchObject({
      workflow_session_id: "stream-o5s73x-mk5zc8fy|db936fab",
      orchestrator_address: "0xd00354656922168815fcd1e51cbddb9e359e3c7f",
      pipeline: "live-video-to-video",
      model_id: "streamdiffusion-sdxl-faceid",
      gpu_attribution_method: "nearest_prior_snapshot",
      served_session: 1,
      served_duration_ms: 163568,
      active_duration_ms: 170312,
    });
    expect(t["raw_stream_ingest_metrics"]).toHaveLength(34);
    expect(summary.events).toEqual({
      read: 65,
      accepted: 65,
      gateDlq: 0,
      duplicates: 0,
      futureEventTime: 0,
      afterAcceptance: { dlq: 0, quarantine: 0 },
      dlq: 0,
      quarantine: 0,
    });
    expect(summary.sessions).toMatchObject({ total: 1, known: 1, served: 1, unserved: 0 });
    expect(summary.attribution.byMethod).toEqual({ nearest_prior_snapshot: 1 });
    expect(summary.latency["v1"]).toEqual({
      prompt_to_first_frame_ms: { n: 1, p50: 2655, p95: 2655 },
      startup_time_ms: { n: 1, p50: 4089, p95: 4089 },
      e2e_latency_ms: { n: 1, p50: 6744, p95: 6744 },
    });
    expect(summary.latency["v2"]!["e2e_latency_ms"]).toEqual({ n: 1, p50: 105, p95: 105 });
    // Each row is emitted once, when final: no revision to count.
    expect(summary.corrections).toBeNull();
  });

  it("reference-compat preset: 10 / 0 attributed status / trace rows", async () => {
    const { dir } = await replay([jsonl, "--preset", "reference-compat"]);
    const t = readTables(dir);
    expect([
      attributed(t["fact_stream_status_samples"]),
      attributed(t["fact_stream_trace_edges"]),
    ]).toEqual([10, 0]);
    expect(t["fact_workflow_sessions"]![0]!["version"]).toBe(23);
  });

  it("is deterministic: byte-identical output files run after run", async () => {
    const a = await replay([jsonl]);
    const b = await replay([jsonl]);
    const files = readdirSync(a.dir).sort();
    expect(files).toContain("fact_workflow_sessions.jsonl");
    expect(readdirSync(b.dir).sort()).toEqual(files);
    for (const f of files)
      expect(readFileSync(join(b.dir, f), "utf8")).toBe(readFileSync(join(a.dir, f), "utf8"));
  });

  it("split with --state / --resume equals one run (latest version per key over both runs)", async () => {
    const single = await replay([jsonl]);
    const cut = 30;
    const first = join(tmp, "first.jsonl");
    const second = join(tmp, "second.jsonl");
    writeFileSync(first, lines.slice(0, cut).join("\n") + "\n");
    writeFileSync(second, lines.slice(cut).join("\n") + "\n");
    const state = join(tmp, "state.json");
    const r1 = await replay([first, "--state", state]);
    expect(r1.summary.flushed).toBe(false);
    const r2 = await replay([second, "--resume", state]);
    expect(r2.summary.flushed).toBe(true);
    const union = latestUnion([r1.dir, r2.dir]);
    const singleUnion = latestUnion([single.dir]);
    // Record offsets restart in the second file; everything else must match.
    expect(union).toEqual(singleUnion);
    // Each versioned row is in exactly one part: the first part wrote what was final by its end.
    const ids = (dir: string): Set<string> => {
      const out = new Set<string>();
      for (const [t, rows] of Object.entries(readTables(dir)))
        if (isVersionedTable(t)) for (const r of rows) out.add(`${t} ${rowIdentity(t, r)}`);
      return out;
    };
    const [ids1, ids2] = [ids(r1.dir), ids(r2.dir)];
    expect(ids1.size).toBeGreaterThan(0);
    expect(ids2.size).toBeGreaterThan(0);
    for (const id of ids1) expect(ids2.has(id), id).toBe(false);
  });

  it("input reordered within the lateness bound gives the same final facts", async () => {
    const single = await replay([jsonl]);
    const ts = (l: string) => Number((JSON.parse(l) as { timestamp: string }).timestamp);
    const byWindow = new Map<number, string[]>();
    for (const l of lines)
      byWindow.set(Math.floor(ts(l) / 20_000), [
        ...(byWindow.get(Math.floor(ts(l) / 20_000)) ?? []),
        l,
      ]);
    const shuffled = [...byWindow.keys()]
      .sort((a, b) => a - b)
      .flatMap((k) => [...byWindow.get(k)!].reverse());
    const file = join(tmp, "shuffled.jsonl");
    writeFileSync(file, shuffled.join("\n"));
    const other = await replay([file]);
    const a = latestUnion([single.dir]);
    const b = latestUnion([other.dir]);
    for (const t of [
      "fact_workflow_sessions",
      "fact_workflow_session_segments",
      "fact_stream_status_samples",
      "fact_stream_trace_edges",
      "fact_workflow_latency_samples",
    ]) {
      const strip = (rows: string[]) =>
        rows.map((r) => JSON.stringify({ ...(JSON.parse(r) as object), version: 0 })).sort();
      expect(strip(b[t]!)).toEqual(strip(a[t]!));
    }
  });

  it("every event delivered twice: the same final facts plus 65 quarantine rows", async () => {
    const single = await replay([jsonl]);
    const file = join(tmp, "doubled.jsonl");
    writeFileSync(file, lines.flatMap((l) => [l, l]).join("\n"));
    const doubled = await replay([file]);
    const a = readTables(single.dir);
    const b = readTables(doubled.dir);
    const { raw_streaming_events_quarantine: q, ...rest } = b;
    expect(q).toHaveLength(65);
    expect(new Set(q!.map((r) => r["failure_reason"]))).toEqual(new Set(["duplicate_event"]));
    const drop = (t: Record<string, Record<string, unknown>[]>) =>
      JSON.stringify(
        Object.fromEntries(Object.entries(t).filter(([k]) => k !== "fact_lifecycle_edge_coverage")),
      );
    expect(drop(rest)).toBe(drop(a));
  });

  it("malformed inputs: DLQ rows with reasons, clear errors, never a crash", async () => {
    const bad = join(tmp, "bad.jsonl");
    writeFileSync(
      bad,
      Buffer.concat([
        Buffer.from(`${lines[0]}\n${lines[1]!.slice(0, 60)}\n`),
        Buffer.from([0xff, 0x00, 0xfe, 0x0a]),
        Buffer.from("[1]\n"),
      ]),
    );
    const r = await replay([bad]);
    expect(r.code).toBe(0);
    expect(r.summary.dlqByReason).toEqual({ json_parse_error: 2, root_not_object: 1 });
    expect(readTables(r.dir)["raw_streaming_events_dlq"]!.map((x) => x["failure_reason"])).toEqual([
      "json_parse_error",
      "json_parse_error",
      "root_not_object",
    ]);
    const empty = join(tmp, "empty.json");
    writeFileSync(empty, "");
    expect((await replay([empty])).summary.events.read).toBe(0);
    const truncatedArray = join(tmp, "truncated.json");
    writeFileSync(truncatedArray, `[${lines[0]}, ${lines[1]!.slice(0, 80)}`);
    expect((await replay([truncatedArray])).summary.dlqByReason).toEqual({ json_parse_error: 1 });
    const m = memoryIo();
    expect(await run(["replay", join(tmp, "missing.jsonl")], m.io)).toBe(1);
    expect(m.err()).toMatch(/ENOENT|no such file/);
    expect(await run(["replay", jsonl, "--latency-semantics", "v9"], memoryIo().io)).toBe(2);
    expect(await run(["replay", jsonl, "--resume", bad], memoryIo().io)).toBe(2);
  });

  it("the event counts reconcile: read = accepted + DLQ at the gate + duplicates", async () => {
    const file = writeMixedInput(tmp);
    const m = memoryIo();
    expect(await run(["replay", file, "--out", outDir()], m.io)).toBe(0);
    const { summary } = await replay([file]);
    const e = summary.events;
    expect(e).toMatchObject({ read: 71, accepted: 66, gateDlq: 2, duplicates: 3 });
    expect(e.read).toBe(e.accepted + e.gateDlq + e.duplicates);
    // The oversized row of an accepted event is rejected after acceptance: on top of the above.
    expect(e.afterAcceptance.dlq).toBeGreaterThan(0);
    expect(summary.dlqByReason["record_too_large"]).toBe(e.afterAcceptance.dlq);
    expect(e.dlq).toBe(e.gateDlq + e.afterAcceptance.dlq);
    expect(e.quarantine).toBe(e.duplicates + e.afterAcceptance.quarantine);
    // The two identities above hold by construction; these tie the counters to the envelopes.
    expect(summary.dlqByReason["json_parse_error"]).toBe(e.gateDlq);
    expect(summary.quarantineByReason).toEqual({ duplicate_event: e.duplicates });
    const text = m.out();
    expect(text).toContain("events read 71 = accepted 66 + DLQ at the gate 2 + duplicates 3");
    expect(text).toContain(
      `rejected after acceptance (not in the count above): DLQ ${e.afterAcceptance.dlq}, quarantine ${e.afterAcceptance.quarantine}`,
    );
    // Every nonzero counter is listed, in the vocabulary's order.
    expect(text).toMatch(/\nquality_gate\.dedup\.duplicates +3\n/);
    const shown = COUNTER_NAMES.filter((c) => (summary.counters[c] ?? 0) > 0);
    for (const c of shown) expect(text).toContain(`\n${c} `);
    const at = shown.map((c) => text.indexOf(`\n${c} `));
    expect(at).toEqual([...at].sort((a, b) => a - b));
  });

  it("a far-future event between two copies of the log: quarantined, counted, nothing else changes", async () => {
    const stray = JSON.parse(lines.find((l) => l.includes('"ai_stream_status"'))!) as {
      id: string;
      timestamp: string;
      data: { stream_id: string; request_id: string };
    };
    stray.id = "stray-clock";
    stray.timestamp = "99999999999999";
    stray.data.stream_id = "other-stream";
    stray.data.request_id = "other-request";
    const file = join(tmp, "stray.jsonl");
    writeFileSync(file, [...lines, JSON.stringify(stray), ...lines].join("\n") + "\n");
    const m = memoryIo();
    expect(await run(["replay", file, "--out", outDir()], m.io)).toBe(0);
    const { summary, dir } = await replay([file]);
    const e = summary.events;
    expect(e).toMatchObject({ read: 131, accepted: 65, gateDlq: 0, duplicates: 65 });
    expect(e.futureEventTime).toBe(1);
    expect(e.read).toBe(e.accepted + e.gateDlq + e.duplicates + e.futureEventTime);
    expect(e.quarantine).toBe(e.duplicates + e.futureEventTime + e.afterAcceptance.quarantine);
    expect(e.afterAcceptance).toEqual({ dlq: 0, quarantine: 0 });
    expect(summary.quarantineByReason["event_time_in_future"]).toBe(1);
    expect(summary.counters["event_time_outliers"]).toBe(1);
    const rows = (t: string) =>
      readFileSync(join(dir, `${t}.jsonl`), "utf8")
        .split("\n")
        .filter(Boolean).length;
    expect(rows("raw_ai_stream_status")).toBe(17);
    expect(rows("fact_stream_status_samples")).toBe(17);
    expect(m.out()).toContain(
      "events read 131 = accepted 65 + DLQ at the gate 0 + duplicates 65 + event time in the future 1",
    );
  });

  it("the text summary shows every nonzero counter, new ones included", async () => {
    const { summary } = await replay([jsonl]);
    const text = renderReplaySummary({
      ...summary,
      counters: {
        ...summary.counters,
        event_time_outliers: 2,
        forced_seals: 4,
        late_events: 5,
        session_state_evicted: 1,
        suspicious_timestamp_unit: 3,
        some_future_counter: 7,
      },
    });
    for (const [name, value] of [
      ["late_events", 5],
      ["suspicious_timestamp_unit", 3],
      ["forced_seals", 4],
      ["session_state_evicted", 1],
      ["event_time_outliers", 2],
      ["some_future_counter", 7],
    ] as const)
      expect(text).toMatch(new RegExp(`\\n${name} +${value}\\n`));
  });

  it("reads gzip and the UI-export container", async () => {
    const gz = join(tmp, "events.jsonl.gz");
    writeFileSync(gz, gzipSync(readFileSync(jsonl)));
    expect((await replay([gz])).summary.events.accepted).toBe(65);
    expect(
      (await replay([realFixturePath("event-logs-streaming-events-2026-01-08.json")])).summary
        .sessions.served,
    ).toBe(1);
  });

  it("says when a capability response is stamped with the file's modification time", async () => {
    const caps = realFixturePath("getNetworkCapabilities.json");
    const stamped = (await replay([caps])).summary.inputs[0]!;
    expect(stamped.format).toBe("capabilities-api");
    expect(stamped.notes).toContain(
      "snapshot timestamp taken from the file's modification time (1767909021590); pass --snapshot-ts to fix it",
    );
    const pinned = (await replay([caps, "--snapshot-ts", "1767909021590"])).summary.inputs[0]!;
    expect(pinned.notes.some((n) => n.includes("modification time"))).toBe(false);
  });

  it("--all-versions writes every revision", async () => {
    const { dir, summary } = await replay([jsonl, "--all-versions"]);
    const revisions = readTables(dir)["fact_workflow_sessions"]!;
    expect(revisions.length).toBe(summary.tables["fact_workflow_sessions"]!.emitted);
    expect(summary.corrections).toBeGreaterThan(0);
    // One session, so more than one row means intermediate revisions were written, in order…
    expect(revisions.length).toBeGreaterThan(1);
    const versions = revisions.map((r) => r["version"] as number);
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    expect(new Set(versions).size).toBe(versions.length);
    // …ending with the final revision that a default replay writes alone (its `version` counts
    // emissions: 1).
    const final = readTables((await replay([jsonl])).dir)["fact_workflow_sessions"]!;
    expect(final).toHaveLength(1);
    expect(final[0]!["version"]).toBe(1);
    expect({ ...revisions.at(-1), version: 1 }).toEqual(final[0]);
  });
});
