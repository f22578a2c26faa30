// The arbitraries must actually produce the situations the lifecycle properties are about.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  initLifecycleState,
  lifecycleOperator,
  REFERENCE_COMPAT_LIFECYCLE_CONFIG,
  type LifecycleInput,
  type SessionRow,
} from "@livepeer-analytics/core/lifecycle";
import { capabilitySnapshot } from "../builders.js";
import {
  inputTime,
  lifecycleSessionArbitrary,
  lifecycleStreamArbitrary,
  withBoundedReordering,
  withDuplicates,
} from "./lifecycle.js";

const HOT = "0x52cf2968b3dc6016778742d3539449a6597d5954";

function finalSessions(inputs: LifecycleInput[]): SessionRow[] {
  const st = initLifecycleState();
  const last = new Map<string, SessionRow>();
  for (const i of inputs) {
    for (const o of lifecycleOperator.stepInPlace(st, i, REFERENCE_COMPAT_LIFECYCLE_CONFIG)) {
      if (o.kind === "row" && o.table === "fact_workflow_sessions")
        last.set(o.row.workflow_session_id, o.row);
    }
  }
  return [...last.values()];
}

describe("lifecycle arbitraries", () => {
  it("sessions are in causal time order with realistic variety", () => {
    const samples = fc.sample(lifecycleSessionArbitrary({ hotWallets: [HOT] }), {
      numRuns: 300,
      seed: 11,
    });
    const rows = samples.map((inputs) => {
      expect(inputs.map(inputTime)).toEqual([...inputs.map(inputTime)].sort((a, b) => a - b));
      const cap: LifecycleInput = {
        kind: "capability",
        snapshots: [
          capabilitySnapshot({
            snapshotTs: inputTime(inputs[0]!) - 1000,
            hotAddress: HOT,
            canonicalOrchestratorAddress: "0xcanon",
            modelId: "",
          }),
        ],
      };
      return finalSessions([cap, ...inputs])[0]!;
    });
    const count = (p: (r: SessionRow) => boolean) => rows.filter(p).length;
    expect(count((r) => r.served_session === 1)).toBeGreaterThan(30);
    expect(count((r) => r.startup_excused === 1)).toBeGreaterThan(5);
    expect(count((r) => r.startup_unexcused === 1)).toBeGreaterThan(5);
    expect(count((r) => r.known_stream === 0)).toBeGreaterThan(5);
    expect(count((r) => r.orchestrator_address === "0xcanon")).toBeGreaterThan(100);
    expect(count((r) => r.confirmed_swap_count > 0)).toBeGreaterThan(10);
    expect(
      count((r) => r.loading_only_session === 1 || r.zero_output_fps_session === 1),
    ).toBeGreaterThan(5);
    expect(count((r) => r.status_error_sample_count > 0)).toBeGreaterThan(10);
    expect(new Set(rows.map((r) => r.service_failure_reason)).size).toBeGreaterThanOrEqual(6);
  });

  it("streams interleave sessions; duplicates and bounded reordering keep the multiset", () => {
    const [stream] = fc.sample(
      lifecycleStreamArbitrary({ maxSessions: 4 }).filter(
        (s) =>
          new Set(s.map((i) => (i.kind === "signal" ? i.signal.workflowSessionId : ""))).size > 1,
      ),
      {
        numRuns: 1,
        seed: 3,
      },
    );
    expect(stream!.length).toBeGreaterThan(5);
    const [reordered] = fc.sample(withBoundedReordering(fc.constant(stream!), 3), {
      numRuns: 1,
      seed: 4,
    });
    expect([...reordered!].sort((a, b) => inputTime(a) - inputTime(b)).map(inputTime)).toEqual(
      stream!.map(inputTime),
    );
    reordered!.forEach((x, i) => expect(Math.abs(stream!.indexOf(x) - i)).toBeLessThan(3));
    const [dup] = fc.sample(
      withDuplicates(fc.constant(stream!), 5).filter((d) => d.length > stream!.length),
      { numRuns: 1, seed: 5 },
    );
    expect(new Set(dup)).toEqual(new Set(stream));
  });
});
