// Where arrival order matters in REFERENCE_COMPAT processing (lifecycle.md §9.3, "order-dependent"),
// documented as explicit examples, plus bounded state and tombstones (§8.7).
import { describe, expect, it } from "vitest";
import { capabilitySnapshot, statusSignal, traceSignal } from "@livepeer-analytics/testing";
import { REFERENCE_COMPAT_LIFECYCLE_CONFIG, type LifecycleConfig } from "./config.js";
import type { LifecycleInput, LifecycleOutput } from "./fold.js";
import { initLifecycleState, lifecycleOperator } from "./operator.js";
import type { LifecycleSignal } from "./signal.js";
import type { SessionRow } from "./session.js";

const config: LifecycleConfig = REFERENCE_COMPAT_LIFECYCLE_CONFIG;
const sig = (signal: LifecycleSignal): LifecycleInput => ({ kind: "signal", signal });
const HOT = "0xhot";
const cap = (ts: number, canonical = "0xcanon"): LifecycleInput => ({
  kind: "capability",
  snapshots: [
    capabilitySnapshot({
      snapshotTs: ts,
      hotAddress: HOT,
      canonicalOrchestratorAddress: canonical,
    }),
  ],
});

function run(inputs: LifecycleInput[], watermarks: Record<number, number> = {}): LifecycleOutput[] {
  const st = initLifecycleState();
  const out: LifecycleOutput[] = [];
  inputs.forEach((i, k) => {
    out.push(...lifecycleOperator.stepInPlace(st, i, config));
    const w = watermarks[k];
    if (w !== undefined) out.push(...lifecycleOperator.advanceInPlace(st, w, config));
  });
  return out;
}
const lastSession = (out: LifecycleOutput[]): SessionRow =>
  out
    .flatMap((o) => (o.kind === "row" && o.table === "fact_workflow_sessions" ? [o.row] : []))
    .at(-1)!;

describe("order-dependent fields in REFERENCE_COMPAT (lifecycle.md §9.3)", () => {
  const request = traceSignal("gateway_receive_stream_request", 1000, { sourceEventUid: "a" });
  const status = statusSignal(2000, "streamdiffusion-sdxl", {
    orchestratorAddress: HOT,
    sourceEventUid: "b",
    gateway: "gw-b",
  });

  it("workflow_id freezes at the first signal processed; source uids follow arrival, not time", () => {
    const inOrder = lastSession(run([cap(500), sig(request), sig(status)]));
    const reversed = lastSession(run([cap(500), sig(status), sig(request)]));
    expect([inOrder.workflow_id, reversed.workflow_id]).toEqual([
      "ai_live_video_stream",
      "live-video-to-video",
    ]);
    expect([inOrder.source_first_event_uid, inOrder.source_last_event_uid]).toEqual(["a", "b"]);
    expect([reversed.source_first_event_uid, reversed.source_last_event_uid]).toEqual(["b", "a"]);
    // Order-free fields agree.
    expect([reversed.session_start_ts, reversed.known_stream, reversed.event_count]).toEqual([
      inOrder.session_start_ts,
      inOrder.known_stream,
      inOrder.event_count,
    ]);
  });

  it("a capability that arrives after a signal never fixes that signal (the session only when a later signal re-selects)", () => {
    const before = lastSession(run([cap(1500), sig(status)]));
    const after = lastSession(run([sig(status), cap(1500)]));
    expect(before.orchestrator_address).toBe("0xcanon");
    expect(after.orchestrator_address).toBe("");
    const later = lastSession(
      run([
        sig(status),
        cap(1500),
        sig(statusSignal(3000, "streamdiffusion-sdxl", { orchestratorAddress: HOT })),
      ]),
    );
    expect(later.orchestrator_address).toBe("0xcanon");
  });

  it("segment boundaries and start times follow arrival order", () => {
    const a = statusSignal(1000, "streamdiffusion-sdxl", {
      orchestratorAddress: HOT,
      sourceEventUid: "s1",
    });
    const b = statusSignal(3000, "streamdiffusion-sdxl", {
      orchestratorAddress: "0xhot2",
      sourceEventUid: "s2",
    });
    const caps: LifecycleInput[] = [
      cap(900),
      {
        kind: "capability",
        snapshots: [
          capabilitySnapshot({
            snapshotTs: 2900,
            hotAddress: "0xhot2",
            canonicalOrchestratorAddress: "0xother",
          }),
        ],
      },
    ];
    const segs = (out: LifecycleOutput[]) =>
      out.flatMap((o) =>
        o.kind === "row" && o.table === "fact_workflow_session_segments"
          ? [[o.row.segment_index, o.row.segment_start_ts, o.row.orchestrator_address]]
          : [],
      );
    expect(segs(run([...caps, sig(a), sig(b)]))).toEqual([
      [0, 1000, "0xcanon"],
      [0, 1000, "0xcanon"],
      [1, 3000, "0xother"],
    ]);
    expect(segs(run([...caps, sig(b), sig(a)]))).toEqual([
      [0, 3000, "0xother"],
      [0, 3000, "0xother"],
      [1, 1000, "0xcanon"],
    ]);
  });
});

describe("bounded state (lifecycle.md §8.7)", () => {
  it("idle sessions are evicted after sessionStateTtlMs; later signals are refused for quarantine until the tombstone expires", () => {
    const cfg = { ...config, sessionStateTtlMs: 10_000, tombstoneTtlMs: 20_000 };
    const st = initLifecycleState();
    lifecycleOperator.stepInPlace(
      st,
      sig(traceSignal("gateway_receive_stream_request", 1000)),
      cfg,
    );
    lifecycleOperator.advanceInPlace(st, 11_000, cfg);
    expect(Object.keys(st.sessions)).toEqual(["s|r"]);
    lifecycleOperator.advanceInPlace(st, 80_000, cfg);
    expect(Object.keys(st.sessions)).toEqual([]);
    expect(st.tombstones["s|r"]).toEqual({ lastVersion: 1, evictedAt: 80_000 });
    const refused = lifecycleOperator.stepInPlace(st, sig(statusSignal(81_000, "m")), cfg);
    expect(
      refused
        .filter((o) => o.kind !== "counter" || o.name === "session_state_evicted")
        .map((o) => o.kind),
    ).toEqual(["counter", "evicted_signal"]);
    expect(refused.some((o) => o.kind === "row")).toBe(false);
    lifecycleOperator.advanceInPlace(st, 200_000, cfg);
    expect(st.tombstones).toEqual({});
    const accepted = lifecycleOperator.stepInPlace(st, sig(statusSignal(201_000, "m")), cfg);
    expect(accepted.some((o) => o.kind === "row" && o.table === "fact_workflow_sessions")).toBe(
      true,
    );
  });

  it("timestamps before 2000-01-01 are counted as suspicious, values unchanged", () => {
    const out = run([sig(statusSignal(1700000000, "m", { startTimeMs: 5 }))]);
    expect(
      out.filter((o) => o.kind === "counter" && o.name === "suspicious_timestamp_unit"),
    ).toHaveLength(1);
    expect(lastSession(out).session_start_ts).toBe(5);
  });
});
