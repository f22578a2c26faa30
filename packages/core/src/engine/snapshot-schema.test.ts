// The structural snapshot schema: every state the engine produces validates (real log and
// generated streams, mid-stream and after flush), targeted corruptions are rejected with a path
// naming the broken field, and the cost of validating ~2,000 open sessions is measured.
import { performance } from "node:perf_hooks";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  capabilityStreamArbitrary,
  envelopeArbitrary,
  recordValueArbitrary,
} from "@livepeer-analytics/testing";
import { realEventLines } from "@livepeer-analytics/testing/fixtures";
import type { JsonObject } from "../primitives/json.js";
import type { EngineConfigInput } from "./config.js";
import { createEngine, type Engine, type EngineState } from "./engine.js";
import { validateEngineStateShape } from "./snapshot-schema.js";

type Mode = "correction" | "reference-compat";
type Json = Record<string, unknown>;

const NOW = 1_800_000_000_000;
const MODES: readonly Mode[] = ["correction", "reference-compat"];
const lines = realEventLines();

/** Feeds records the way a host does (watermark after each record). */
function feed(engine: Engine, state: EngineState, records: readonly string[]): void {
  for (const value of records) {
    engine.stepInPlace(state, { record: { value }, now: NOW });
    const w = engine.nextWatermark(state);
    if (w !== null) engine.advanceInPlace(state, w);
  }
}

/** The parsed `state` of a snapshot, as `restore` sees it. */
const snapshotState = (engine: Engine, state: EngineState): Json =>
  (JSON.parse(engine.snapshot(state)) as { state: Json }).state;

function expectValid(state: unknown, mode: Mode): void {
  const r = validateEngineStateShape(state, mode);
  expect(r.ok ? [] : r.issues).toEqual([]);
}

/** Mid-stream (after `cut` lines) and flushed snapshot states of the real log. */
function realStates(mode: Mode, cut: number, config: EngineConfigInput = {}) {
  const engine = createEngine({ preset: mode, ...config });
  const state = engine.init();
  feed(engine, state, lines.slice(0, cut));
  const mid = snapshotState(engine, state);
  feed(engine, state, lines.slice(cut));
  engine.flushInPlace(state);
  return { engine, state, mid, flushed: snapshotState(engine, state) };
}

const sessionsOf = (s: Json): Record<string, Json> =>
  (s["lifecycle"] as { sessions: Record<string, Json> }).sessions;
const onlySession = (s: Json): [string, Json] => {
  const entries = Object.entries(sessionsOf(s));
  expect(entries).toHaveLength(1);
  return entries[0]!;
};

describe("every state the engine produces validates", () => {
  for (const mode of MODES) {
    it(`real event log, ${mode}: after every record and after flush`, () => {
      const engine = createEngine({ preset: mode });
      const state = engine.init();
      let sawSession = false;
      let sawCandidate = false;
      for (const value of lines) {
        feed(engine, state, [value]);
        const s = snapshotState(engine, state);
        expectValid(s, mode);
        sawSession ||= Object.keys(sessionsOf(s)).length > 0;
        sawCandidate ||=
          Object.keys((s["lifecycle"] as { index: { buckets: Json } }).index.buckets).length > 0;
      }
      engine.flushInPlace(state);
      expectValid(snapshotState(engine, state), mode);
      expect([sawSession, sawCandidate]).toEqual([true, true]);
    });
  }

  it("real event log, correction mode: mid-stream state has unsealed signals and retained rows", () => {
    const { mid } = realStates("correction", 50);
    const [, cs] = onlySession(mid);
    expect((cs["unsealed"] as unknown[]).length).toBeGreaterThan(0);
    expect((cs["retained"] as unknown[]).length).toBeGreaterThan(0);
    expectValid(mid, "correction");
  });

  it("real event log with tight caps and TTLs (forced seals, dedup evictions, tombstones)", () => {
    for (const mode of MODES) {
      const config: EngineConfigInput = {
        dedupMaxEntries: 3,
        maxUnsealedSignalsPerSession: 2,
        maxRetainedRowsPerSession: 2,
        sessionStateTtlMs: 1,
        tombstoneTtlMs: 86_400_000,
      };
      const { engine, state, mid, flushed } = realStates(mode, 40, config);
      expectValid(mid, mode);
      expectValid(flushed, mode);
      // A watermark far ahead evicts the closed session into a tombstone.
      engine.advanceInPlace(state, (state.watermark ?? 0) + 3_600_000);
      const evicted = snapshotState(engine, state);
      expectValid(evicted, mode);
      expect(
        Object.keys((evicted["lifecycle"] as { tombstones: Json }).tombstones).length,
      ).toBeGreaterThan(0);
    }
  });

  it("generated streams (capabilities, lifecycle events, duplicates, garbage) in any order", async ({
    annotate,
  }) => {
    const base = 1_767_900_000_000;
    const lifecycleEnvelope = (hot: readonly string[]) =>
      fc
        .tuple(
          envelopeArbitrary({ types: ["stream_trace", "ai_stream_status", "ai_stream_events"] }),
          fc.nat(2),
          fc.integer({ min: 0, max: 20 * 60_000 }),
          fc.integer({ min: -2_000, max: 2_000 }),
          fc.nat(hot.length),
        )
        .map(([env, who, offset, skew, wallet]): JsonObject => {
          // A copy: generated values are reused while shrinking.
          const data = structuredClone(env["data"]) as JsonObject;
          data["stream_id"] = `stream-gen-${who}`;
          data["request_id"] = `req${who}`;
          if (typeof data["timestamp"] === "number") data["timestamp"] = base + offset + skew;
          if ("start_time" in data) data["start_time"] = base + offset - 5_000;
          const info = data["orchestrator_info"] as JsonObject | undefined;
          if (info !== undefined) info["address"] = hot[wallet] ?? "";
          return { ...env, timestamp: base + offset, data };
        });
    const streamArb = capabilityStreamArbitrary({ maxEvents: 4, end: base + 600_000 }).chain(
      (caps) =>
        fc
          .tuple(
            fc.array(lifecycleEnvelope(caps.wallets.map((w) => w.hot)), { maxLength: 40 }),
            fc.array(recordValueArbitrary(), { maxLength: 4 }),
          )
          .chain(([events, garbage]) => {
            const records: (string | Uint8Array | null)[] = [
              ...caps.events.map((e) => JSON.stringify(e)),
              ...events.map((e) => JSON.stringify(e)),
              ...events.slice(0, 3).map((e) => JSON.stringify(e)), // duplicates
              ...garbage,
            ];
            return fc.tuple(
              fc.shuffledSubarray(records, { minLength: records.length }),
              fc.nat(records.length),
              fc.constantFrom<EngineConfigInput>(
                {},
                { allowedLatenessMs: 0, advanceGranularityMs: 0 },
                {
                  maxUnsealedSignalsPerSession: 3,
                  maxRetainedRowsPerSession: 3,
                  dedupMaxEntries: 8,
                },
                { sessionStateTtlMs: 1_000, tombstoneTtlMs: 60_000, allowedLatenessMs: 0 },
              ),
            );
          }),
    );
    // What the validated states held, so the property cannot pass on trivial states only.
    const seen = new Map<string, number>();
    const note = (s: Json, mode: Mode): void => {
      const lc = s["lifecycle"] as Json;
      const features = [
        Object.keys((lc["index"] as { buckets: Json }).buckets).length > 0 && "candidates",
        Object.keys(lc["tombstones"] as Json).length > 0 && "tombstones",
        Object.keys((s["dedup"] as { seen: Json }).seen).length > 0 && "dedup entries",
      ];
      for (const x of Object.values(sessionsOf(s))) {
        const session = (
          mode === "correction"
            ? ((x["current"] ?? x["checkpoint"]) as Json)["session"]
            : x["session"]
        ) as Json;
        if (session["orchestratorAddress"] !== "") features.push(`${mode} attributed session`);
        if ((session["eventCount"] as number) > 1) features.push(`${mode} multi-event session`);
        if (mode === "correction" && (x["unsealed"] as unknown[]).length > 1)
          features.push("unsealed signals");
        if (mode === "correction" && (x["retained"] as unknown[]).length > 0)
          features.push("retained rows");
        if (
          mode === "reference-compat" &&
          (x["alignment"] as { pending: unknown[] }).pending.length > 0
        )
          features.push("pending samples");
      }
      for (const f of new Set(features)) if (f !== false) seen.set(f, (seen.get(f) ?? 0) + 1);
    };
    fc.assert(
      fc.property(streamArb, ([records, cut, config]) => {
        for (const mode of MODES) {
          const engine = createEngine({ preset: mode, ...config });
          const state = engine.init();
          const step = (value: string | Uint8Array | null): void => {
            engine.stepInPlace(state, { record: { value }, now: NOW });
            const w = engine.nextWatermark(state);
            if (w !== null) engine.advanceInPlace(state, w);
          };
          records.slice(0, cut).forEach(step);
          const mid = snapshotState(engine, state);
          expectValid(mid, mode);
          note(mid, mode);
          records.slice(cut).forEach(step);
          const end = snapshotState(engine, state);
          expectValid(end, mode);
          note(end, mode);
          engine.flushInPlace(state);
          expectValid(snapshotState(engine, state), mode);
        }
      }),
      { numRuns: 60 },
    );
    await annotate(
      [...seen]
        .map(([f, n]) => `${f}: ${n}`)
        .sort()
        .join(", "),
    );
    expect([...seen.keys()].sort()).toEqual([
      "candidates",
      "correction attributed session",
      "correction multi-event session",
      "dedup entries",
      "pending samples",
      "reference-compat attributed session",
      "reference-compat multi-event session",
      "retained rows",
      "tombstones",
      "unsealed signals",
    ]);
  }, 120_000);
});

describe("targeted corruptions are rejected with a path naming the broken field", () => {
  /** Applies `corrupt` to a fresh copy of `state` and returns the issues. */
  function issuesAfter(mode: Mode, state: Json, corrupt: (s: Json) => void): readonly string[] {
    const copy = structuredClone(state);
    corrupt(copy);
    const r = validateEngineStateShape(copy, mode);
    expect(r.ok).toBe(false);
    return r.ok ? [] : r.issues;
  }

  const corr = realStates("correction", 50);
  const ref = realStates("reference-compat", 50);
  const [corrId] = onlySession(corr.mid);
  const [refId] = onlySession(ref.mid);
  const corrSession = `state.lifecycle.sessions[${JSON.stringify(corrId)}]`;
  const refSession = `state.lifecycle.sessions[${JSON.stringify(refId)}]`;
  const firstCandidate = (s: Json): { bucket: string; key: string; c: Json } => {
    const buckets = (s["lifecycle"] as { index: { buckets: Record<string, Json> } }).index.buckets;
    const bucket = Object.keys(buckets)[0]!;
    const candidates = buckets[bucket]!["candidates"] as Record<string, Json>;
    const key = Object.keys(candidates)[0]!;
    return { bucket, key, c: candidates[key]! };
  };

  it("the uncorrupted states validate", () => {
    expectValid(corr.mid, "correction");
    expectValid(ref.mid, "reference-compat");
  });

  it("correction session: unsealed set to a string", () => {
    const issues = issuesAfter("correction", corr.mid, (s) => {
      sessionsOf(s)[corrId]!["unsealed"] = "oops";
    });
    expect(issues).toEqual([`${corrSession}.unsealed: expected array, received string`]);
  });

  it("candidate: a numeric field set to a string", () => {
    const { bucket, key } = firstCandidate(corr.mid);
    for (const [mode, state] of [
      ["correction", corr.mid],
      ["reference-compat", ref.mid],
    ] as const) {
      const issues = issuesAfter(mode, state, (s) => {
        firstCandidate(s).c["snapshotTs"] = "x";
      });
      expect(issues).toEqual([
        `state.lifecycle.index.buckets[${JSON.stringify(bucket)}].candidates[${JSON.stringify(key)}].snapshotTs: expected number, received string`,
      ]);
    }
  });

  it("session state: a missing required field", () => {
    const corrIssues = issuesAfter("correction", corr.mid, (s) => {
      delete ((sessionsOf(s)[corrId]!["current"] as Json)["session"] as Json)["eventCount"];
    });
    expect(corrIssues).toEqual([
      `${corrSession}.current.session.eventCount: missing (expected number)`,
    ]);
    const refIssues = issuesAfter("reference-compat", ref.mid, (s) => {
      delete (sessionsOf(s)[refId]!["session"] as Json)["firstPlayableTs"];
    });
    expect(refIssues).toEqual([
      `${refSession}.session.firstPlayableTs: missing (expected number or null)`,
    ]);
  });

  it("watermarks: a string, and a non-finite number in a live state", () => {
    for (const [mode, state] of [
      ["correction", corr.mid],
      ["reference-compat", ref.mid],
    ] as const) {
      expect(
        issuesAfter(mode, state, (s) => {
          s["watermark"] = "abc";
        }),
      ).toEqual(["state.watermark: expected number or null, received string"]);
      expect(
        issuesAfter(mode, state, (s) => {
          (s["lifecycle"] as Json)["watermark"] = Number.NaN;
        }),
      ).toEqual(["state.lifecycle.watermark: expected number or null, received NaN"]);
      expect(
        issuesAfter(mode, state, (s) => {
          (s["dedup"] as Json)["watermark"] = Number.POSITIVE_INFINITY;
        })[0],
      ).toMatch(/^state\.dedup\.watermark: /);
    }
  });

  it("tombstone lacking lastVersion", () => {
    const { engine, state } = realStates("correction", 40, { sessionStateTtlMs: 1 });
    engine.advanceInPlace(state, (state.watermark ?? 0) + 3_600_000);
    const evicted = snapshotState(engine, state);
    expectValid(evicted, "correction");
    const [id] = Object.keys((evicted["lifecycle"] as { tombstones: Json }).tombstones);
    const issues = issuesAfter("correction", evicted, (s) => {
      const t = (s["lifecycle"] as { tombstones: Record<string, Json> }).tombstones;
      delete t[id!]!["lastVersion"];
    });
    expect(issues).toEqual([
      `state.lifecycle.tombstones[${JSON.stringify(id)}].lastVersion: missing (expected number)`,
    ]);
  });

  it("deeper correction subtrees: signal type, sample kind, retained row content, fold position, counters, key index", () => {
    const cases: [(cs: Json, s: Json) => void, string][] = [
      [
        (cs) => (((cs["unsealed"] as Json[])[0]!["signal"] as Json)["signalType"] = "BOGUS"),
        `${corrSession}.unsealed[0].signal.signalType: `,
      ],
      [
        // A signal's fields follow its family (the discriminated LifecycleSignal).
        (cs) => {
          const u = (cs["unsealed"] as Json[]).find(
            (x) => (x["signal"] as Json)["signalType"] === "STREAM_TRACE",
          )!;
          (u["signal"] as Json)["statusState"] = "ONLINE";
        },
        `${corrSession}.unsealed[`,
      ],
      [
        (cs) => {
          const r = (cs["retained"] as Json[]).find((x) => x["sample"] !== null)!;
          (r["sample"] as Json)["kind"] = "bogus";
        },
        `${corrSession}.retained[`,
      ],
      [
        (cs) => ((cs["retained"] as Json[])[0]!["current"] = 7),
        `${corrSession}.retained[0].current: expected record or null, received number`,
      ],
      [
        (cs) => ((cs["retained"] as Json[])[0]!["position"] = { ts: 1, uid: "u" }),
        `${corrSession}.retained[0].position.rank: missing`,
      ],
      [
        (cs) => ((cs["counters"] as Json)["segments"] = -1),
        `${corrSession}.counters.segments: expected >= 0, received -1`,
      ],
      [
        (cs) => ((cs["counters"] as Json)["trace"] = 1.5),
        `${corrSession}.counters.trace: expected int, received 1.5`,
      ],
      [
        // A digest (string) or null; a record (the row itself, as older states held) is upgraded
        // by `restore` before validation, never accepted by the schema.
        (cs) => (cs["lastSession"] = { a: 1 }),
        `${corrSession}.lastSession: expected string or null, received object`,
      ],
      [
        (cs) => (cs["lastSegments"] = [{ a: 1 }, "row"]),
        `${corrSession}.lastSegments[1]: expected record or null, received string`,
      ],
      [
        (cs) => (((cs["checkpoint"] as Json)["segment"] as Json)["reason"] = "whim"),
        `${corrSession}.checkpoint.segment.reason: expected "initial" | "orchestrator_change" | "stream_closed", received "whim"`,
      ],
      [
        (_, s) => ((s["lifecycle"] as Json)["keyIndex"] = { k: "not-a-list" }),
        `state.lifecycle.keyIndex["k"]: expected array, received string`,
      ],
    ];
    for (const [corrupt, prefix] of cases) {
      const issues = issuesAfter("correction", corr.mid, (s) => corrupt(sessionsOf(s)[corrId]!, s));
      expect(issues.length, prefix).toBeGreaterThan(0);
      expect(issues[0], prefix).toContain(prefix);
    }
  });

  it("correction timers: optional (states saved before them validate), checked when present", () => {
    const without = structuredClone(corr.mid);
    delete (without["lifecycle"] as Json)["timers"];
    delete sessionsOf(without)[corrId]!["due"];
    expectValid(without, "correction");
    expect(
      issuesAfter("correction", corr.mid, (s) => {
        (s["lifecycle"] as Json)["timers"] = "soon";
      }),
    ).toEqual(["state.lifecycle.timers: expected object, received string"]);
    expect(
      issuesAfter("correction", corr.mid, (s) => {
        (s["lifecycle"] as Json)["timers"] = {
          seal: [[1, "a"], [2]],
          pending: [],
          evict: [],
          tombstones: [],
          nextOrder: 1,
          held: 1,
          candidatesFrom: null,
        };
      }),
    ).toEqual(["state.lifecycle.timers.seal[1]: expected >= 2 items, received 1"]);
    expect(
      issuesAfter("correction", corr.mid, (s) => {
        sessionsOf(s)[corrId]!["due"] = { order: 0, seal: "later", pending: null, evict: null };
      }),
    ).toEqual([`${corrSession}.due.seal: expected number or null, received string`]);
  });

  it("reference-compat timers and the dedup bucket order: optional, checked when present", () => {
    const without = structuredClone(ref.mid);
    delete (without["lifecycle"] as Json)["timers"];
    delete (without["dedup"] as Json)["bucketOrder"];
    expectValid(without, "reference-compat");
    expect(
      issuesAfter("reference-compat", ref.mid, (s) => {
        (s["lifecycle"] as Json)["timers"] = { evict: [["1", "k"]], tombstones: [] };
      }),
    ).toEqual([
      "state.lifecycle.timers.evict[0][0]: expected number, received string",
      "state.lifecycle.timers.candidatesFrom: missing (expected number or null)",
    ]);
    expect(
      issuesAfter("reference-compat", ref.mid, (s) => {
        (s["dedup"] as Json)["bucketOrder"] = "29463482";
      }),
    ).toEqual(["state.dedup.bucketOrder: expected array, received string"]);
  });

  it("deeper reference-compat subtrees: alignment, segment rows, pending sessions, capacity anchor", () => {
    const cases: [(b: Json, s: Json) => void, string][] = [
      [
        (b) => ((b["alignment"] as Json)["pending"] = {}),
        `${refSession}.alignment.pending: expected array`,
      ],
      [
        (b) => {
          const segs = (b["alignment"] as { segments: Json[] }).segments;
          segs[0]!["is_retracted"] = 2;
        },
        `${refSession}.alignment.segments[0].is_retracted: expected 0 | 1, received 2`,
      ],
      [
        (b) => ((b["session"] as Json)["capacityAnchor"] = { signalTs: 1 }),
        `${refSession}.session.capacityAnchor.units: missing (expected number)`,
      ],
      [
        (b) => ((b["params"] as Json)["modelId"] = 42),
        `${refSession}.params.modelId: expected string or null, received number`,
      ],
      [
        (_, s) => ((s["lifecycle"] as Json)["pendingSessions"] = { x: 2 }),
        `state.lifecycle.pendingSessions["x"]: expected 1, received 2`,
      ],
      [
        (b) => ((b["coverage"] as Json)["firstProcessedTs"] = "soon"),
        `${refSession}.coverage.firstProcessedTs: expected number or null, received string`,
      ],
    ];
    for (const [corrupt, prefix] of cases) {
      const issues = issuesAfter("reference-compat", ref.mid, (s) =>
        corrupt(sessionsOf(s)[refId]!, s),
      );
      expect(issues.length, prefix).toBeGreaterThan(0);
      expect(issues[0], prefix).toContain(prefix);
    }
  });

  it("dedup store, engine fields and the wrong lifecycle for the mode", () => {
    const key = Object.keys((corr.mid["dedup"] as { seen: Json }).seen)[0]!;
    expect(
      issuesAfter("correction", corr.mid, (s) => {
        ((s["dedup"] as Json)["seen"] as Json)[key] = null;
      }),
    ).toEqual([`state.dedup.seen[${JSON.stringify(key)}]: expected number, received null`]);
    expect(
      issuesAfter("correction", corr.mid, (s) => {
        (s["dedup"] as Json)["size"] = -1;
      })[0],
    ).toMatch(/^state\.dedup\.size: /);
    expect(
      issuesAfter("correction", corr.mid, (s) => {
        s["newestEventTs"] = [1, "2"];
      }),
    ).toEqual(["state.newestEventTs[1]: expected number, received string"]);
    expect(
      issuesAfter("correction", corr.mid, (s) => {
        s["flushed"] = "no";
      }),
    ).toEqual(["state.flushed: expected boolean, received string"]);
    // A correction state checked as reference-compat (and the reverse) is refused.
    expect(validateEngineStateShape(corr.mid, "reference-compat").ok).toBe(false);
    expect(validateEngineStateShape(ref.mid, "correction").ok).toBe(false);
    expect(validateEngineStateShape(null, "correction")).toEqual({
      ok: false,
      issues: ["state: expected object, received null"],
    });
  });

  it("lists at most ten issues and counts the rest", () => {
    const copy = structuredClone(corr.mid);
    const [, cs] = onlySession(copy);
    const sessions = sessionsOf(copy);
    for (let i = 0; i < 25; i++) sessions[`s${i}`] = { ...cs, unsealed: "x" };
    const r = validateEngineStateShape(copy, "correction");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toHaveLength(11);
    expect(r.issues[0]).toBe(
      'state.lifecycle.sessions["s0"].unsealed: expected array, received string',
    );
    expect(r.issues[10]).toBe("… and 15 more issues");
  });
});

describe("cost", () => {
  it("validating ~2,000 open sessions vs JSON.parse of the snapshot (reported, not asserted)", async ({
    annotate,
  }) => {
    for (const mode of MODES) {
      const { mid } = realStates(mode, 30);
      const [, one] = onlySession(mid);
      const big = structuredClone(mid);
      const sessions = sessionsOf(big);
      for (let i = 0; i < 2_000; i++) sessions[`stream-${i}|req`] = one;
      const text = JSON.stringify(big);
      const time = (f: () => void): number => {
        let best = Infinity;
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          f();
          best = Math.min(best, performance.now() - t0);
        }
        return best;
      };
      let parsed: unknown = null;
      const parseMs = time(() => {
        parsed = JSON.parse(text);
      });
      let ok = false;
      const validateMs = time(() => {
        ok = validateEngineStateShape(parsed, mode).ok;
      });
      expect(ok).toBe(true);
      await annotate(
        `${mode}: 2,001 open sessions, ${(text.length / 1e6).toFixed(1)} MB: ` +
          `JSON.parse ${parseMs.toFixed(0)} ms, validate ${validateMs.toFixed(0)} ms ` +
          `(x${(validateMs / parseMs).toFixed(2)})`,
      );
    }
  }, 120_000);
});
