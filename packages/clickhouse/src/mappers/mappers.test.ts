import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createEngine } from "@livepeer-analytics/core/engine";
import type { CounterName } from "@livepeer-analytics/core/quality";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { SPEC_ROWS, applyDdl, insertRows, replayRealFixture } from "../../test/schema-support.js";
import { openTestDb, type TestDb } from "../../test/db.js";
import { DATETIME64_MAX_MS, DATETIME64_MIN_MS, formatDate, formatDateTime64 } from "./datetime.js";
import { insertColumns, serializeRow, toClickHouseRow, toStorableRow } from "./rows.js";

/** A counter callback that tallies increments. */
function tally(): {
  readonly count: (name: CounterName, delta: number) => void;
  readonly totals: Map<string, number>;
} {
  const totals = new Map<string, number>();
  return { totals, count: (name, delta) => totals.set(name, (totals.get(name) ?? 0) + delta) };
}

describe("DateTime64 formatting (integer arithmetic, UTC)", () => {
  test("golden values", () => {
    expect(formatDateTime64(1767908955607)).toBe("2026-01-08 21:49:15.607");
    expect(formatDateTime64(0)).toBe("1970-01-01 00:00:00.000");
    expect(formatDateTime64(-1)).toBe("1969-12-31 23:59:59.999");
    expect(formatDateTime64(-86_400_000)).toBe("1969-12-31 00:00:00.000");
    expect(formatDateTime64(951_782_400_000)).toBe("2000-02-29 00:00:00.000");
    expect(formatDateTime64(DATETIME64_MIN_MS)).toBe("1900-01-01 00:00:00.000");
    expect(formatDateTime64(DATETIME64_MAX_MS)).toBe("2299-12-31 23:59:59.999");
    expect(formatDateTime64(1767908955607.9)).toBe("2026-01-08 21:49:15.607");
    expect(formatDate(1767908955607)).toBe("2026-01-08");
    expect(formatDate(-1)).toBe("1969-12-31");
    expect(() => formatDateTime64(Number.NaN)).toThrow(RangeError);
  });

  test("agrees with Date#toISOString over the whole DateTime64 range", () => {
    fc.assert(
      fc.property(fc.integer({ min: DATETIME64_MIN_MS, max: DATETIME64_MAX_MS }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(formatDateTime64(ms)).toBe(`${iso.slice(0, 10)} ${iso.slice(11, 23)}`);
        expect(formatDate(ms)).toBe(iso.slice(0, 10));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("toClickHouseRow conventions (§3.0)", () => {
  test("timestamps become UTC text; Nullable stays null; non-Nullable strings become empty", () => {
    const row = toClickHouseRow("raw_ai_stream_status", {
      ...SPEC_ROWS.raw_ai_stream_status,
      event_timestamp: 1767908955607,
      last_error_time: null,
      gateway: null as unknown as string,
    });
    expect(row["event_timestamp"]).toBe("2026-01-08 21:49:15.607");
    expect(row["start_time"]).toBe("2024-03-09 16:00:00.000");
    expect(row["last_error_time"]).toBeNull();
    expect(row["last_error"]).toBeNull();
    expect(row["gateway"]).toBe("");
  });

  test("MATERIALIZED columns and ingestion_timestamp are not sent, except ingestion_timestamp of DLQ/quarantine", () => {
    const status = toClickHouseRow("raw_ai_stream_status", SPEC_ROWS.raw_ai_stream_status);
    for (const k of ["event_date", "event_hour", "ingestion_timestamp"])
      expect(k in status).toBe(false);
    expect("raw_json" in status).toBe(true);
    const dlq = toClickHouseRow("raw_streaming_events_dlq", SPEC_ROWS.raw_streaming_events_dlq);
    expect(dlq["ingestion_timestamp"]).toBe("2024-03-09 16:00:00.123");
    expect("event_date" in dlq).toBe(false);
    expect(insertColumns("raw_streaming_events_quarantine")).toContain("ingestion_timestamp");
    expect(insertColumns("fact_workflow_sessions")).not.toContain("ingestion_timestamp");
    expect(insertColumns("fact_stream_status_samples")).not.toContain("sample_date");
  });

  test("flags: booleans become 0/1; absent DEFAULT columns are omitted; unknown keys are dropped", () => {
    const row = toClickHouseRow("fact_workflow_session_segments", {
      ...SPEC_ROWS.fact_workflow_session_segments,
      is_retracted: true as unknown as 1,
      extra: "x",
    } as never);
    expect(row["is_retracted"]).toBe(1);
    expect("extra" in row).toBe(false);
    const { is_retracted: _omit, ...withoutFlag } = SPEC_ROWS.fact_workflow_session_segments;
    expect(
      "is_retracted" in toClickHouseRow("fact_workflow_session_segments", withoutFlag as never),
    ).toBe(false);
  });

  test("start_time trap: a null start_time is sent as null (stored as the 1970 column default)", () => {
    const row = toClickHouseRow("raw_ai_stream_status", {
      ...SPEC_ROWS.raw_ai_stream_status,
      start_time: null,
    });
    expect(row).toHaveProperty("start_time", null);
  });

  test("serializeRow is the JSON text of the mapped row (what the row guard measures)", () => {
    const text = serializeRow("raw_payment_events", SPEC_ROWS.raw_payment_events);
    expect(text).toBe(
      JSON.stringify(toClickHouseRow("raw_payment_events", SPEC_ROWS.raw_payment_events)),
    );
    expect(JSON.parse(text)).toMatchObject({
      event_timestamp: "2024-03-09 16:00:00.000",
      face_value: "1000 WEI",
    });
  });
});

test("engine outputs map as emitted, without casts (typed by EngineRowByTable)", () => {
  const engine = createEngine();
  const state = engine.init();
  const outputs = [
    ...realEventLines().flatMap((value) =>
      engine.stepInPlace(state, { record: { value }, now: 0 }),
    ),
    ...engine.flushInPlace(state),
  ];
  const { count, totals } = tally();
  let mapped = 0;
  for (const o of outputs) {
    if (o.kind !== "row") continue;
    const row = toClickHouseRow(o.table, o.row, count);
    const columns = insertColumns(o.table);
    expect(Object.keys(row).length).toBeGreaterThan(0);
    expect(
      Object.keys(row).filter((k) => !columns.includes(k)),
      o.table,
    ).toEqual([]);
    mapped++;
  }
  expect(mapped).toBeGreaterThan(100);
  expect(totals.size).toBe(0);
});

describe("out-of-range values (SDK-DECISION 29, §3.3)", () => {
  test("a value that does not fit is written as null and counted once", () => {
    const { count, totals } = tally();
    const row = toClickHouseRow(
      "raw_network_capabilities",
      {
        ...SPEC_ROWS.raw_network_capabilities,
        gpu_major: 300, // UInt8
        warm: 256, // UInt8
        capacity: 300, // widened to Int32 (11.17): fits
        capacity_in_use: 2 ** 40, // Int32
        price_per_unit: -1, // UInt32
        gpu_memory_total: 2 ** 64, // UInt64
      },
      count,
    );
    expect(row).toMatchObject({
      gpu_major: null,
      warm: null,
      capacity: 300,
      capacity_in_use: null,
      price_per_unit: null,
      gpu_memory_total: null,
      gpu_minor: 9,
    });
    expect(totals.get("out_of_range_values")).toBe(5);
  });

  test("non-Nullable columns, floats, times and integer text", () => {
    const { count, totals } = tally();
    const status = toClickHouseRow(
      "raw_ai_stream_status",
      {
        ...SPEC_ROWS.raw_ai_stream_status,
        prompt_width: 70_000, // UInt16
        restart_count: 1.5, // UInt32, not an integer
        output_fps: Number.NaN,
        input_fps: 1e39, // beyond float32
        last_error_time: 1e16, // beyond DateTime64
      },
      count,
    );
    // Non-Nullable columns get their default explicitly (what ClickHouse would store for null).
    expect(status).toMatchObject({
      prompt_width: 0,
      restart_count: 0,
      output_fps: 0,
      input_fps: 0,
      last_error_time: null,
    });
    expect(totals.get("out_of_range_values")).toBe(5);
    const archive = toClickHouseRow(
      "raw_streaming_events",
      { id: "e", type: "t", timestamp: "1767908955607", gateway: "", data: { a: 1 } },
      count,
    );
    expect(archive).toEqual({
      id: "e",
      type: "t",
      timestamp: 1767908955607,
      gateway: "",
      data: '{"a":1}',
    });
    const big = toClickHouseRow("raw_stream_ingest_metrics", {
      ...SPEC_ROWS.raw_stream_ingest_metrics,
      bytes_sent: 2n ** 63n,
    } as never);
    expect(big["bytes_sent"]).toBe("9223372036854775808");
    expect(totals.get("out_of_range_values")).toBe(5);
    expect(() =>
      toClickHouseRow("raw_ai_stream_status", SPEC_ROWS.raw_ai_stream_status),
    ).not.toThrow();
  });
});

describe("toStorableRow: the same storage rule on engine rows", () => {
  test("replaces out-of-range values by what ClickHouse stores, counted once", () => {
    const { count, totals } = tally();
    const input = {
      ...SPEC_ROWS.raw_ai_stream_status,
      event_timestamp: 99_999_999_999_999, // year 5138: beyond DateTime64, not Nullable
      last_error_time: 1e16, // Nullable
      prompt_width: 70_000, // UInt16
      start_time: null, // the start_time trap is not an out-of-range value
    };
    const stored = toStorableRow("raw_ai_stream_status", input, count);
    expect(stored).toEqual({
      ...input,
      event_timestamp: 0,
      last_error_time: null,
      prompt_width: 0,
    });
    expect(totals.get("out_of_range_values")).toBe(3);
    // Mapping the stored row gives the ClickHouse row of the input and counts nothing again.
    const again = tally();
    expect(toClickHouseRow("raw_ai_stream_status", stored, again.count)).toEqual(
      toClickHouseRow("raw_ai_stream_status", input),
    );
    expect(again.totals.get("out_of_range_values")).toBeUndefined();
    expect(toClickHouseRow("raw_ai_stream_status", stored)["event_timestamp"]).toBe(
      "1970-01-01 00:00:00.000",
    );
  });

  test("returns the row itself when every value fits; keeps keys that are not columns", () => {
    const row = SPEC_ROWS.raw_payment_events;
    expect(toStorableRow("raw_payment_events", row)).toBe(row);
    const extra = { ...row, not_a_column: 1e99 } as never;
    expect(toStorableRow("raw_payment_events", extra)).toBe(extra);
    // A numeric DEFAULT is the stored value of a non-Nullable column with a DEFAULT.
    const session = { ...SPEC_ROWS.fact_workflow_sessions, health_completeness_ratio: Infinity };
    expect(toStorableRow("fact_workflow_sessions", session).health_completeness_ratio).toBe(1);
  });
});

describe("in embedded ClickHouse", () => {
  const DB = "lpa_mappers";
  let db: TestDb;
  const PAYMENTS = replayRealFixture().get("raw_payment_events") ?? [];

  beforeAll(async () => {
    db = openTestDb("lpa-ch-");
    await applyDdl(db, { database: DB, ttl: false });
  });

  afterAll(async () => {
    await db.close();
  });

  test("out-of-range values are stored as NULL / the column default; start_time null as 1970", async () => {
    const { count } = tally();
    await db.insert(`${DB}.raw_network_capabilities`, [
      toClickHouseRow(
        "raw_network_capabilities",
        {
          ...SPEC_ROWS.raw_network_capabilities,
          source_event_id: "oor",
          gpu_major: 300,
          capacity: 300,
          capacity_in_use: 2 ** 40,
        },
        count,
      ),
    ]);
    expect(
      await db.rows(
        `SELECT gpu_major, capacity, capacity_in_use FROM ${DB}.raw_network_capabilities WHERE source_event_id = 'oor'`,
      ),
    ).toEqual([{ gpu_major: null, capacity: 300, capacity_in_use: null }]);
    await db.insert(`${DB}.raw_ai_stream_status`, [
      toClickHouseRow(
        "raw_ai_stream_status",
        {
          ...SPEC_ROWS.raw_ai_stream_status,
          stream_id: "trap",
          start_time: null,
          prompt_width: 70_000,
        },
        count,
      ),
    ]);
    expect(
      await db.rows(
        `SELECT toString(start_time) AS start, prompt_width FROM ${DB}.raw_ai_stream_status WHERE stream_id = 'trap'`,
      ),
    ).toEqual([{ start: "1970-01-01 00:00:00.000", prompt_width: 0 }]);
  });

  test('fact_payments parses the real fixture\'s "N WEI" face values (§3.5, 11.7, §10.3)', async () => {
    expect(PAYMENTS).toHaveLength(6);
    await insertRows(db, DB, "raw_payment_events", PAYMENTS);
    const rows = await db.rows<{ face_value: string; wei: string; request_id: string }>(
      `SELECT face_value, toString(face_value_wei) AS wei, request_id FROM ${DB}.fact_payments ORDER BY payment_ts`,
    );
    expect(rows.map((r) => r.face_value)).toEqual([
      "2402400000000000 WEI",
      "2402400000000000 WEI",
      "2400000000000000 WEI",
      "2400000000000000 WEI",
      "2400000000000000 WEI",
      "2400000000000000 WEI",
    ]);
    expect(rows[0]?.wei).toBe("2402400000000000");
    expect(rows.map((r) => r.wei).slice(2)).toEqual(Array(4).fill("2400000000000000"));
    const total = await db.rows<{ wei: string; eth: number }>(
      `SELECT toString(sum(face_value_wei)) AS wei, sum(toFloat64(face_value_wei)) / 1e18 AS eth FROM ${DB}.fact_payments`,
    );
    expect(total[0]?.wei).toBe("14404800000000000");
    expect(total[0]?.eth).toBeCloseTo(0.0144048, 12);
    // Only the first payment carries a request id (§10.3).
    expect(rows.filter((r) => r.request_id !== "").map((r) => r.wei)).toEqual(["2402400000000000"]);
  });

  test("parseWei rule: trim, one optional case-insensitive wei suffix, digits only, UInt256", async () => {
    const max = (2n ** 256n - 1n).toString();
    const cases: [string, string | null][] = [
      ["123", "123"],
      ["  7 wei \t", "7"],
      ["12wei", "12"],
      ["00042 Wei", "42"],
      ["5\t\tWEI", "5"],
      [max, max],
      [`${max} wei`, max],
      [(2n ** 256n).toString(), null],
      ["1 wei wei", null],
      ["1.5 WEI", null],
      ["5 ETH", null],
      ["wei", null],
      ["", null],
      ["-5 wei", null],
      ["0x10 wei", null],
      ["1 gwei", null],
    ];
    await insertRows(
      db,
      DB,
      "raw_payment_events",
      cases.map(([face], i) => ({
        ...SPEC_ROWS.raw_payment_events,
        request_id: `wei-${i}`,
        face_value: face,
      })),
    );
    const rows = await db.rows<{ request_id: string; wei: string | null }>(
      `SELECT request_id, toString(face_value_wei) AS wei FROM ${DB}.fact_payments WHERE startsWith(request_id, 'wei-')`,
    );
    const byId = new Map(rows.map((r) => [r.request_id, r.wei]));
    cases.forEach(([face, expected], i) =>
      expect(byId.get(`wei-${i}`), JSON.stringify(face)).toBe(expected),
    );
  });
});
