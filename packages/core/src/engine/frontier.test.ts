// The event-time frontier (hardening item 1): one event with a wrong clock must not move the
// watermark, expire dedup entries, evict sessions or change any other session's final rows.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import { createEngine, eventTimeFrontier, type EngineOutput, type EngineState } from "./engine.js";
import { collectFinalTables } from "./results.js";

const NOW = 1_800_000_000_000;
const lines = realEventLines();
const PROPERTY_TIMEOUT_MS = 240_000;

interface Feed {
  readonly value: string;
  readonly receivedAt?: number;
}

function run(feed: readonly Feed[]): { out: EngineOutput[]; state: EngineState } {
  const engine = createEngine({ edgeSemanticsVersions: ["v1", "v2"] });
  const state = engine.init();
  const out: EngineOutput[] = [];
  feed.forEach((f, i) => {
    const input = {
      record: { value: f.value, offset: i },
      now: NOW,
      ...(f.receivedAt === undefined ? {} : { receivedAt: f.receivedAt }),
    };
    out.push(...engine.stepInPlace(state, input));
    const w = engine.nextWatermark(state);
    if (w !== null) out.push(...engine.advanceInPlace(state, w));
  });
  out.push(...engine.flushInPlace(state));
  return { out, state };
}

/** A copy of `line` with another id, stream, request and envelope time. */
function rewrite(
  line: string,
  opts: { id: string; suffix: string; timestamp?: number; shiftMs?: number },
): string {
  const e = JSON.parse(line) as Record<string, unknown>;
  e["id"] = opts.id;
  const ts = Number(e["timestamp"]);
  e["timestamp"] = String(opts.timestamp ?? ts + (opts.shiftMs ?? 0));
  const d = e["data"];
  if (typeof d === "object" && d !== null && !Array.isArray(d)) {
    const data = d as Record<string, unknown>;
    if (typeof data["stream_id"] === "string") data["stream_id"] += opts.suffix;
    if (typeof data["request_id"] === "string") data["request_id"] += opts.suffix;
    if (typeof data["requestID"] === "string") data["requestID"] += opts.suffix;
    if (opts.timestamp !== undefined && typeof data["timestamp"] === "number")
      data["timestamp"] = opts.timestamp;
  }
  return JSON.stringify(e);
}

const count = (out: readonly EngineOutput[], reason: string) =>
  out.filter(
    (o) => (o.kind === "dlq" || o.kind === "quarantine") && o.envelope.failure.reason === reason,
  ).length;

describe("eventTimeFrontier", () => {
  it("follows the quorum-th newest time and never moves back", () => {
    const s = { frontier: null as number | null, newestEventTs: [] as number[] };
    expect(eventTimeFrontier(s, 1_000, 2)).toBeNull();
    expect(eventTimeFrontier(s, 9e13, 2)).toBe(1_000);
    expect(eventTimeFrontier(s, 2_000, 2)).toBe(2_000);
    expect(s.newestEventTs).toEqual([9e13, 2_000]);
    expect(eventTimeFrontier(s, 500, 2)).toBe(2_000);
    expect(eventTimeFrontier(s, 9e13, 2)).toBe(9e13);
    const one = { frontier: null as number | null, newestEventTs: [] as number[] };
    expect(eventTimeFrontier(one, 5, 1)).toBe(5);
    expect(eventTimeFrontier(one, 3, 1)).toBe(5);
  });
});

describe("one event far in the future", () => {
  const stray = (timestamp: number) =>
    rewrite(
      lines.find((l) => l.includes('"ai_stream_status"'))!,
      {
        id: "stray-event",
        suffix: "-stray",
        timestamp,
      },
    );

  for (const [label, ts] of [
    ["99999999999999", 99_999_999_999_999],
    ["2 days ahead", 1_767_908_945_298 + 2 * 86_400_000],
  ] as const) {
    it(`(${label}) between two copies of the real log: duplicates, samples and attribution hold`, () => {
      const { out } = run([...lines, stray(ts), ...lines].map((value) => ({ value })));
      const final = collectFinalTables(out);
      expect(count(out, "duplicate_event")).toBe(65);
      expect(count(out, "session_state_evicted")).toBe(0);
      expect(final.tables["raw_ai_stream_status"]).toHaveLength(18);
      const samples = final.tables["fact_stream_status_samples"]!.filter(
        (r) => !String(r["stream_id"]).endsWith("-stray"),
      );
      expect(samples).toHaveLength(17);
      expect(samples.filter((r) => r["is_attributed"] === 1)).toHaveLength(17);
      // The unconfirmed outlier is counted at the end of input.
      expect(final.counters["event_time_outliers"]).toBe(1);
    });
  }

  it("is quarantined as event_time_in_future when the host passes a receive time", () => {
    const receivedAt = 1_767_909_200_000;
    const feed = [...lines, stray(99_999_999_999_999), ...lines].map((value) => ({
      value,
      receivedAt,
    }));
    const { out } = run(feed);
    const strays = out.filter(
      (o) => o.kind === "quarantine" && o.envelope.failure.reason === "event_time_in_future",
    );
    expect(strays).toHaveLength(1);
    expect(strays[0]!.kind === "quarantine" && strays[0]!.envelope.failure.stage).toBe(
      "EVENT_TIME",
    );
    expect(strays[0]!.kind === "quarantine" && strays[0]!.envelope.identity.eventId).toBe(
      "stray-event",
    );
    const final = collectFinalTables(out);
    expect(final.tables["raw_ai_stream_status"]).toHaveLength(17);
    expect(count(out, "duplicate_event")).toBe(65);
    expect(final.counters["event_time_outliers"]).toBe(1);
  });
});

/** Final rows by table without versions, and the rejection verdicts, minus the stray's own. */
function comparable(out: readonly EngineOutput[], strayLine?: string) {
  const final = collectFinalTables(out);
  // The stray's raw rows: what it yields on its own (some raw tables carry no event id).
  const own = new Map<string, number>();
  if (strayLine !== undefined) {
    const alone = createEngine().stepInPlace(createEngine().init(), {
      record: { value: strayLine },
      now: NOW,
    });
    for (const o of alone)
      if (o.kind === "row") {
        const k = `${o.table}:${JSON.stringify(o.row)}`;
        own.set(k, (own.get(k) ?? 0) + 1);
      }
  }
  const tables: Record<string, string[]> = {};
  for (const [table, rows] of Object.entries(final.tables)) {
    tables[table] = rows
      .filter((r) => {
        const k = `${table}:${JSON.stringify(r)}`;
        const n = own.get(k) ?? 0;
        if (n > 0) {
          own.set(k, n - 1);
          return false;
        }
        return !JSON.stringify(r).includes("-stray");
      })
      .map((r) => {
        const { version: _v, ...rest } = r;
        return JSON.stringify(rest);
      })
      .sort();
  }
  const verdicts = [...final.dlq, ...final.quarantine]
    .filter((e) => e.identity.eventId !== "stray-event")
    .map((e) => `${e.identity.eventId}:${e.failure.reason}`)
    .sort();
  return { tables, verdicts };
}

describe("property: adding one event with an arbitrary timestamp", () => {
  // Base streams: 1–3 copies of the real session, shifted by up to 5 minutes, delivered in an
  // order where no event is more than 30 s behind an earlier one (on time for the 60 s lateness),
  // with some duplicates re-sent a few records later.
  const sessionLines = lines.filter((l) => !l.includes('"network_capabilities"'));
  const capability = lines.find((l) => l.includes('"network_capabilities"'))!;
  const base = fc
    .record({
      shifts: fc.array(fc.integer({ min: 0, max: 300_000 }), { minLength: 1, maxLength: 3 }),
      jitterSeed: fc.array(fc.integer({ min: 0, max: 30_000 }), {
        minLength: 200,
        maxLength: 200,
      }),
      dups: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 6 })), { maxLength: 8 }),
    })
    .map(({ shifts, jitterSeed, dups }) => {
      const events: { value: string; ts: number }[] = [
        { value: capability, ts: Number(JSON.parse(capability).timestamp) },
      ];
      shifts.forEach((shift, c) => {
        for (const l of sessionLines) {
          const id = String(JSON.parse(l).id) + `-c${c}`;
          const value = rewrite(l, { id, suffix: `-c${c}`, shiftMs: shift });
          events.push({ value, ts: Number(JSON.parse(value).timestamp) });
        }
      });
      const arrival = events
        .map((e, i) => ({ ...e, key: e.ts + jitterSeed[i % jitterSeed.length]! }))
        .sort((a, b) => a.key - b.key)
        .map((e) => e.value);
      for (const [at, gap] of dups) {
        const i = at % arrival.length;
        arrival.splice(Math.min(arrival.length, i + gap), 0, arrival[i]!);
      }
      return arrival;
    });
  const strayTs = fc.oneof(
    fc.integer({ min: 0, max: 99_999_999_999_999 }),
    fc.integer({ min: 1_767_900_000_000, max: 1_768_500_000_000 }),
    fc.constantFrom(0, 1, 99_999_999_999_999, 1_767_908_945_298 + 2 * 86_400_000),
  );

  it(
    "changes no other session's final rows and no dedup decision about other events",
    () => {
      fc.assert(
        fc.property(
          base,
          strayTs,
          fc.nat(),
          fc.nat(),
          fc.boolean(),
          (arrival, ts, at, which, withClock) => {
            const template = sessionLines[which % sessionLines.length]!;
            const strayLine = rewrite(template, {
              id: "stray-event",
              suffix: "-stray",
              timestamp: ts,
            });
            const withStray = [...arrival];
            withStray.splice(at % (arrival.length + 1), 0, strayLine);
            // The receive time, when given, is a plausible host clock: after every base event.
            const receivedAt = withClock ? 1_768_000_000_000 : undefined;
            const feed = (values: string[]) =>
              values.map((value) => (receivedAt === undefined ? { value } : { value, receivedAt }));
            const a = comparable(run(feed(arrival)).out);
            const b = comparable(run(feed(withStray)).out, strayLine);
            expect(b).toEqual(a);
          },
        ),
        { numRuns: 60 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
