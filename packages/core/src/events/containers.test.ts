import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readRealFixture, REAL_FIXTURES } from "@livepeer-analytics/testing/fixtures";
import { runGate } from "../quality/gate.js";
import { createJsonlSplitter, detectContainer, loadContainer, splitJsonl } from "./containers.js";
import { parseEvent } from "./parse-event.js";

describe("every real fixture loads (fixtures/real)", () => {
  it.each(REAL_FIXTURES)("%s", (name) => {
    const loaded = loadContainer(readRealFixture(name), {
      topic: name,
      snapshotTimestamp: 1770000000000,
    });
    expect(loaded.records.length).toBeGreaterThan(0);
    for (const record of loaded.records) {
      const r = runGate(record, { now: 0 });
      expect(r.ok ? "accepted" : r.envelope.failure.reason).toBe("accepted");
      if (r.ok) expect(parseEvent(r.event).failures).toEqual([]);
    }
  });

  it("capability API responses become one network_capabilities envelope with a content-derived id", () => {
    const text = readRealFixture("getNetworkCapabilities.json");
    const a = loadContainer(text, { snapshotTimestamp: 5 });
    expect(a.format).toBe("capabilities-api");
    expect(a.records).toHaveLength(1);
    const r = runGate(a.records[0]!, { now: 0 });
    if (!r.ok) throw new Error(r.envelope.failure.reason);
    expect(r.event.eventType).toBe("network_capabilities");
    expect(r.event.timestamp).toBe(5);
    expect(r.event.eventId).toMatch(/^capabilities-api-[0-9a-f]{32}$/);
    expect(Array.isArray(r.event.data) && r.event.data.length).toBe(53);
    expect(loadContainer(text, { snapshotTimestamp: 5 }).records[0]!.value).toBe(
      a.records[0]!.value,
    );
  });

  it("without a snapshot timestamp the synthesized envelope is rejected, with a note", () => {
    const a = loadContainer(readRealFixture("getNetworkCapabilities.json"));
    expect(a.notes.join(" ")).toMatch(/no timestamp/);
    const r = runGate(a.records[0]!, { now: 0 });
    expect(r.ok ? "accepted" : r.envelope.failure.reason).toBe("missing_timestamp");
  });
});

describe("container detection and splitting", () => {
  it("detects formats", () => {
    expect(detectContainer("")).toBe("empty");
    expect(detectContainer("  \n")).toBe("empty");
    expect(detectContainer(' [{"a":1}]')).toBe("json-array");
    expect(detectContainer('{"a":1}\n{"b":2}\n')).toBe("jsonl");
    expect(detectContainer('{"orchestrators":[]}')).toBe("capabilities-api");
    expect(detectContainer("garbage")).toBe("jsonl");
  });

  it("JSONL: CRLF, blank lines counted, trailing newline is not a record", () => {
    const out = splitJsonl('{"a":1}\r\n\n  \n{"b":2}\n');
    expect(out).toEqual({ lines: ['{"a":1}', '{"b":2}'], skippedBlank: 2 });
    expect(splitJsonl("x")).toEqual({ lines: ["x"], skippedBlank: 0 });
  });

  it("a JSON array of envelopes keeps each element's exact text; bad elements reach the gate", () => {
    const text = '[ {"id":"a", "type":"x"} ,\n 42, {"id":"b"}';
    const out = loadContainer(text, { firstOffset: 10 });
    expect(out.format).toBe("json-array");
    expect(out.records.map((r) => [r.value, r.offset])).toEqual([
      ['{"id":"a", "type":"x"}', 10],
      ["42", 11],
      ['{"id":"b"}', 12],
    ]);
    const truncated = loadContainer('[{"id":"a"}, {"id":"b", "ty');
    expect(truncated.records.map((r) => r.value)).toEqual(['{"id":"a"}', '{"id":"b", "ty']);
    expect(truncated.notes.join(" ")).toMatch(/truncated/);
    const r = runGate(truncated.records[1]!, { now: 0 });
    expect(r.ok ? "accepted" : r.envelope.failure.reason).toBe("json_parse_error");
  });

  it("UI-export wrappers whose value is a string are unwrapped as is", () => {
    const out = loadContainer(
      '[{"topic":"t","partition":2,"offset":9,"timestamp":7,"value":"{\\"x\\":1}"}]',
    );
    expect(out.format).toBe("ui-export");
    expect(out.records[0]).toMatchObject({
      value: '{"x":1}',
      topic: "t",
      partition: 2,
      recordTimestamp: 7,
      offset: 0,
    });
  });

  it("the streaming splitter gives the same lines as splitJsonl for any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.jsonValue().map((v) => JSON.stringify(v)),
            fc.constantFrom("", "  ", "\r"),
          ),
          { maxLength: 20 },
        ),
        fc.array(fc.nat(40), { maxLength: 10 }),
        fc.boolean(),
        (lines, cuts, trailingNewline) => {
          const text = lines.join("\n") + (trailingNewline ? "\n" : "");
          const splitter = createJsonlSplitter();
          const got: string[] = [];
          let pos = 0;
          for (const c of cuts) {
            got.push(...splitter.push(text.slice(pos, pos + c)));
            pos += c;
          }
          got.push(...splitter.push(text.slice(pos)), ...splitter.end());
          const expected = splitJsonl(text);
          expect(got).toEqual(expected.lines);
          expect(splitter.skippedBlank).toBe(expected.skippedBlank);
        },
      ),
    );
  });
});
