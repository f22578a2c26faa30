// attribution.md §7.4: attribution_source labels and the identity-only fallback option.
import { describe, expect, it } from "vitest";
import { aiEventSignal, capabilitySnapshot, statusSignal } from "@livepeer-analytics/testing";
import { DEFAULT_LIFECYCLE_CONFIG, type LifecycleConfig } from "./config.js";
import type { LifecycleOutput } from "./fold.js";
import { initLifecycleState, lifecycleOperator } from "./operator.js";

const llama = (canonical: string, ts: number) =>
  capabilitySnapshot({
    snapshotTs: ts,
    hotAddress: "0xhot",
    canonicalOrchestratorAddress: canonical,
    modelId: "meta-llama/Meta-Llama-3.1-8B-Instruct",
    pipeline: "llm",
  });

function run(config: LifecycleConfig, canonicals: string[], signalTs = 5000): LifecycleOutput[] {
  const st = initLifecycleState();
  const out = [
    ...lifecycleOperator.stepInPlace(
      st,
      { kind: "capability", snapshots: canonicals.map((c, i) => llama(c, 1000 + i)) },
      config,
    ),
    ...lifecycleOperator.stepInPlace(
      st,
      {
        kind: "signal",
        signal: statusSignal(signalTs, "streamdiffusion-sdxl", {
          orchestratorAddress: "0xhot",
          sourceEventUid: "s1",
        }),
      },
      config,
    ),
    ...lifecycleOperator.stepInPlace(
      st,
      {
        kind: "signal",
        // As the AI event of a status stream: the status's (blank) orchestrator fields.
        signal: aiEventSignal("params_update", signalTs + 1, null, {
          sourceEventUid: "p1",
          message: null,
          orchestratorAddress: "",
          orchestratorUrl: "",
        }),
      },
      config,
    ),
  ];
  return out;
}
const last = (out: LifecycleOutput[], table: string) =>
  out
    .flatMap((o) =>
      o.kind === "row" && o.table === table ? [o.row as unknown as Record<string, unknown>] : [],
    )
    .at(-1)!;

describe("identity-only fallback (attribution.md §7.4 rule 2)", () => {
  it("off by default: an incompatible bucket leaves the session unattributed", () => {
    const out = run(DEFAULT_LIFECYCLE_CONFIG, ["0xc1"]);
    const first = out.find((o) => o.kind === "row" && o.table === "fact_workflow_sessions");
    expect(first?.kind === "row" ? first.row : null).toMatchObject({
      orchestrator_address: "",
      gpu_attribution_method: "none",
      attribution_source: "unattributed",
      attribution_outcome: "no_compatible_candidate",
    });
  });

  it("on: one canonical in the eligible window → identity only, proxy_address_join / 0.4 / mapped_window", () => {
    const config = { ...DEFAULT_LIFECYCLE_CONFIG, identityOnlyFallback: true };
    const out = run(config, ["0xc1"]);
    expect(last(out, "fact_workflow_sessions")).toMatchObject({
      orchestrator_address: "0xc1",
      gpu_attribution_method: "proxy_address_join",
      gpu_attribution_confidence: Math.fround(0.4),
      attribution_source: "mapped_window",
      model_id: "streamdiffusion-sdxl",
      pipeline: "",
      gpu_id: null,
    });
    expect(last(out, "fact_workflow_session_segments")).toMatchObject({
      orchestrator_address: "0xc1",
      attribution_source: "mapped_window",
      model_id: "streamdiffusion-sdxl",
    });
    expect(last(out, "fact_workflow_param_updates")).toMatchObject({
      orchestrator_address: "0xc1",
      attribution_source: "mapped_window",
    });
  });

  it("never applied when the eligible candidates carry two canonical addresses, or none is eligible", () => {
    const config = { ...DEFAULT_LIFECYCLE_CONFIG, identityOnlyFallback: true };
    expect(last(run(config, ["0xc1", "0xc2"]), "fact_workflow_sessions")).toMatchObject({
      orchestrator_address: "",
    });
    const farFuture = run(config, ["0xc1"], -10_000_000);
    expect(last(farFuture, "fact_workflow_sessions")).toMatchObject({ orchestrator_address: "" });
  });
});
