import { expect, it } from "vitest";
import { lifecycleEngine } from "./lifecycle-engine.js";

it("creates an arrival-order (reference-compat) engine", () => {
  const engine = lifecycleEngine();
  expect(engine.config.preset).toBe("reference-compat");
  expect(engine.init().mode).toBe("reference-compat");
});
