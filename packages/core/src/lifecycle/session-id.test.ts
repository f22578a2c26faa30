import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { jtrim } from "../primitives/strings.js";
import { workflowSessionId } from "./session-id.js";

describe("WorkflowSessionIdTest (lifecycle.md §10.7)", () => {
  it("buildsCompositeWhenStreamAndRequestExist", () => {
    expect(workflowSessionId("stream-1", "req-1", "evt-1")).toBe("stream-1|req-1");
  });
  it("fallsBackToStreamOnly", () => {
    expect(workflowSessionId("stream-1", "", "evt-1")).toBe("stream-1|_missing_request");
  });
  it("fallsBackToRequestOnly", () => {
    expect(workflowSessionId("", "req-1", "evt-1")).toBe("_missing_stream|req-1");
  });
  it("fallsBackToEventId", () => {
    expect(workflowSessionId("", "", "evt-1")).toBe("_missing_stream|_missing_request|evt-1");
  });
  it("trims with JVM semantics and falls back to _missing_event", () => {
    expect(workflowSessionId(" s ", "\tr", "x")).toBe("s|r");
    expect(workflowSessionId(" ", null, undefined)).toBe(
      "_missing_stream|_missing_request|_missing_event",
    );
    expect(workflowSessionId("\u00a0s", "r", "e")).toBe("\u00a0s|r");
  });
  it("property: never blank, and built from the trimmed ids", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (s, r, e) => {
        const id = workflowSessionId(s, r, e);
        expect(jtrim(id)).not.toBe("");
        if (jtrim(s) !== "" && jtrim(r) !== "") expect(id).toBe(`${jtrim(s)}|${jtrim(r)}`);
      }),
    );
  });
});
