import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readRealFixture, REAL_FIXTURES } from "@livepeer-analytics/testing/fixtures";
import { runGate } from "../quality/gate.js";
import { oversizeRecordOutputs, rejectOversizeRecord } from "../quality/row-guard.js";
import { decodeUtf8, encodeUtf8 } from "../primitives/utf8.js";
import {
  createContainerReader,
  createJsonlSplitter,
  detectContainer,
  loadContainer,
  OVERSIZE_PREFIX_BYTES,
  splitJsonl,
  type ContainerItem,
  type LoadOptions,
} from "./containers.js";
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

const lines = readRealFixture("streaming-events-2026-01-08.jsonl").trim().split("\n");
const bytes = (s: string): Uint8Array => encodeUtf8(s);

/** Reads `input` through a container reader, cut into chunks of the sizes in `cuts` (then the rest). */
function read(
  input: Uint8Array | string,
  options: LoadOptions = {},
  cuts: readonly number[] = [],
): {
  items: ContainerItem[];
  summary: ReturnType<ReturnType<typeof createContainerReader>["summary"]>;
} {
  const data = typeof input === "string" ? bytes(input) : input;
  const reader = createContainerReader(options);
  const items: ContainerItem[] = [];
  let pos = 0;
  for (const c of cuts) {
    items.push(...reader.push(data.subarray(pos, pos + c)));
    pos = Math.min(data.length, pos + c);
  }
  items.push(...reader.push(data.subarray(pos)), ...reader.end());
  return { items, summary: reader.summary() };
}

/** Items as comparable plain values: record text (bytes decoded) or the oversize facts. */
function plain(items: readonly ContainerItem[], where = false): unknown[] {
  return items.map((it) =>
    it.kind === "record"
      ? [
          it.record.offset,
          typeof it.record.value === "string"
            ? it.record.value
            : decodeUtf8(it.record.value as Uint8Array),
          ...(where ? [it.line, it.byteOffset] : []),
        ]
      : [
          it.oversize.record.offset,
          { size: it.oversize.size, line: it.oversize.line },
          ...(where ? [it.oversize.byteOffset, decodeUtf8(it.oversize.record.value)] : []),
        ],
  );
}

const values = (text: string, options: LoadOptions = {}): (string | null)[] =>
  loadContainer(text, options).records.map((r) => r.value as string | null);

describe("containers are read as a sequence of top-level values", () => {
  it("a first line [] does not hide the JSONL that follows", () => {
    const out = loadContainer(`[]\n${lines.join("\n")}\n`);
    expect(out.records.map((r) => r.value)).toEqual(lines);
    expect(out.format).toBe("jsonl");
    expect(out.notes.join(" ")).toMatch(/1 top-level JSON array contributed 0 records; 65 records/);
  });

  it("two JSON arrays on two lines give all 130 elements", () => {
    const array = `[${lines.join(",")}]`;
    const out = loadContainer(`${array}\n${array}\n`);
    expect(out.records).toHaveLength(130);
    expect(out.records.map((r) => r.value)).toEqual([...lines, ...lines]);
    expect(out.records.map((r) => r.offset)).toEqual(Array.from({ length: 130 }, (_, i) => i));
    expect(out.format).toBe("json-array");
  });

  it("what follows an array's closing bracket is read", () => {
    const out = loadContainer(`[${lines.slice(0, 2).join(",")}] ${lines[2]}\n${lines[3]}`);
    expect(out.records.map((r) => r.value)).toEqual(lines.slice(0, 4));
    expect(out.format).toBe("jsonl");
  });

  it.each([
    ["LF", "\n"],
    ["CRLF", "\r\n"],
    ["CR", "\r"],
    ["a space", " "],
    ["nothing", ""],
  ])("envelopes separated by %s: all 65 records", (_name, sep) => {
    const out = loadContainer(lines.join(sep) + sep);
    expect(out.records.map((r) => r.value)).toEqual(lines);
    expect([out.format, out.skippedBlank, out.notes]).toEqual(["jsonl", 0, []]);
  });

  it("blank lines are counted with any line end; the last line end starts no line", () => {
    expect(loadContainer('\ufeff{"a":1}\r\n\r\n  \r{"b":2}\n   ').skippedBlank).toBe(3);
    expect(loadContainer("\n\r\n\r").skippedBlank).toBe(3);
    expect(loadContainer("\n\r\n\r").format).toBe("empty");
  });

  it("a CRLF or a byte-order mark split across chunks is still one terminator / skipped", () => {
    const text = '\ufeff{"a":1}\r\n\r\n{"b":2}';
    const whole = read(text);
    for (let cut = 0; cut <= bytes(text).length; cut++) {
      const cutUp = read(text, {}, [cut]);
      expect(plain(cutUp.items)).toEqual(plain(whole.items));
      expect(cutUp.summary).toEqual(whole.summary);
    }
    expect(whole.summary.skippedBlank).toBe(1);
    expect(plain(whole.items)).toEqual([
      [0, '{"a":1}'],
      [1, '{"b":2}'],
    ]);
  });

  it("strings, numbers and literals are values; other text runs to the end of its line", () => {
    const out = loadContainer('"s" 12 true\nhello world\n}{"a":1}\n{"b":1}garbage {"c":1}\n');
    expect(out.records.map((r) => r.value)).toEqual([
      '"s"',
      "12",
      "true",
      "hello world",
      '}{"a":1}',
      '{"b":1}',
      'garbage {"c":1}',
    ]);
    expect(out.notes).toEqual([
      "3 malformed segments handed to the gate as records (first at line 2)",
    ]);
    const reasons = out.records.map((r) => {
      const g = runGate(r, { now: 0 });
      return g.ok ? "accepted" : g.envelope.failure.reason;
    });
    expect(reasons).toEqual([
      "root_not_object",
      "root_not_object",
      "root_not_object",
      "json_parse_error",
      "json_parse_error",
      "missing_type",
      "json_parse_error",
    ]);
  });

  it("JSONL: a truncated line is one malformed record and never swallows the next line", () => {
    const cut = lines[1]!.slice(0, 200);
    for (const broken of [cut, '{"b":{"c":', '{"a":1,', '{"a":[1,', '{"a":"x', '{"a":tr']) {
      expect(values(`${lines[0]}\n${broken}\n${lines[2]}\n`)).toEqual([lines[0], broken, lines[2]]);
    }
  });

  it("a truncated first line does not swallow the envelope after it", () => {
    expect(values(`{"a":1,\n${lines[0]}\n${lines[1]}\n`)).toEqual(['{"a":1,', lines[0], lines[1]]);
    expect(values(`{"a":{"b":1}\n${lines[0]}\n`)).toEqual(['{"a":{"b":1}', lines[0]]);
  });

  it("pretty-printed values may span lines (any line ends)", () => {
    const docs = [{ a: [1, { b: "x" }], c: null }, [1, 2], { d: {} }];
    for (const eol of ["\n", "\r\n", "\r"]) {
      const text = docs.map((d) => JSON.stringify(d, null, 2).replace(/\n/g, eol)).join(eol);
      const out = loadContainer(text);
      expect(out.records.map((r) => JSON.parse(r.value as string) as unknown)).toEqual([
        docs[0],
        1,
        2,
        docs[2],
      ]);
      expect(out.notes.join(" ")).not.toMatch(/malformed/);
    }
  });

  it("a multi-line value with an error ends before the line of the error, which is read again", () => {
    const text = '{\n  "a": 1\n  "b": 2\n}\n{"x":1}\n';
    expect(values(text)).toEqual(['{\n  "a": 1', '"b"', ": 2", "}", '{"x":1}']);
    // The same when the line to read again lies in an earlier chunk.
    for (const size of [1, 2, 3, 5, 8]) {
      const cuts = Array.from({ length: text.length }, () => size);
      expect(plain(read(text, {}, cuts).items)).toEqual(plain(read(text).items));
    }
    expect(values('[\n {"a":1,\n {"b":2},\n {"c":3}\n]\n')).toEqual([
      '{"a":1,',
      '{"b":2}',
      '{"c":3}',
    ]);
  });

  it("arrays: stray bytes are malformed elements; unclosed arrays are noted", () => {
    const truncated = loadContainer('[1, }, "x"');
    expect(truncated.records.map((r) => r.value)).toEqual(["1", "}", '"x"']);
    expect(truncated.notes.join(" ")).toMatch(/truncated/);
    const lineMode = loadContainer("[1,2]\n[3,\n4]\n");
    expect(lineMode.records.map((r) => r.value)).toEqual(["1", "2", "3", "4", "]"]);
    expect(lineMode.notes[0]).toBe(
      "JSON array is not closed at the end of line 2; the following lines are read as top-level values",
    );
  });

  it("a byte-order mark is skipped at the start only", () => {
    expect(values('\ufeff{"a":1}')).toEqual(['{"a":1}']);
    expect(values('{"a":1}\n\ufeff{"b":1}')).toEqual(['{"a":1}', '\ufeff{"b":1}']);
  });

  it("a capability API response on one line, or with surrounding whitespace, is one envelope with the same id", () => {
    const pretty = readRealFixture("getNetworkCapabilities.json");
    const compact = JSON.stringify(JSON.parse(pretty));
    const ids = [compact, `${compact}\n`, `\n  ${compact}\r\n\n`].map((t) => {
      const out = loadContainer(t, { snapshotTimestamp: 5 });
      expect([out.format, out.records.length]).toEqual(["capabilities-api", 1]);
      const r = runGate(out.records[0]!, { now: 0 });
      if (!r.ok) throw new Error(r.envelope.failure.reason);
      return r.event.eventId;
    });
    expect(new Set(ids).size).toBe(1);
    // Not alone: a plain record, which the gate rejects.
    const two = loadContainer(`${compact}\n${lines[0]}\n`);
    expect([two.format, two.records.length]).toEqual(["jsonl", 2]);
  });
});

describe("records over maxRecordBytes", () => {
  const big = `{"id":"x","data":"${"a".repeat(5000)}"}`;

  it("are not held: a prefix, the true size, the line, and the neighbours intact", () => {
    for (const [text, size, line] of [
      [`${lines[0]}\n${big}\n${lines[1]}\n`, big.length, 2],
      [`${lines[0]}\n"${"b".repeat(3000)}"\n${lines[1]}`, 3002, 2],
      [`${lines[0]}\n${"garbage ".repeat(500)}\n${lines[1]}`, 4000, 2],
      [`${lines[0]}\r${"9".repeat(4000)}\r${lines[1]}`, 4000, 2],
      [`[${lines[0]},\n${big},\n${lines[1]}]`, big.length, 2],
      [`{\n"x": 1\n}\n${lines[0]}\n{\n  "big": "${"c".repeat(3000)}"\n}\n${lines[1]}`, 3015, 5],
    ] as const) {
      const whole = read(text, { maxRecordBytes: 2000, topic: "t" });
      const got = plain(whole.items);
      expect(
        got.filter((x) => (x as unknown[])[1] === lines[0] || (x as unknown[])[1] === lines[1]),
      ).toHaveLength(2);
      const over = whole.items.filter((i) => i.kind === "oversize");
      expect(over).toHaveLength(1);
      const o = over[0]!.kind === "oversize" ? over[0]!.oversize : null;
      expect([o?.size, o?.line, o?.limit]).toEqual([size, line, 2000]);
      expect(decodeUtf8(o!.record.value)).toBe(
        text
          .slice(text.indexOf(decodeUtf8(o!.record.value).slice(0, 20)), undefined)
          .slice(0, 1024),
      );
      expect(o!.record.value.length).toBe(OVERSIZE_PREFIX_BYTES);
      expect(whole.summary.notes.join(" ")).toMatch(
        new RegExp(
          `1 record larger than 2,000 bytes rejected as record_too_large \\(first at line ${line}\\)`,
        ),
      );
      // Chunked input gives the same items.
      expect(plain(read(text, { maxRecordBytes: 2000 }, Array(200).fill(37)).items)).toEqual(got);
    }
  });

  it("the limit is inclusive, like the row guard: a record of exactly maxRecordBytes is kept", () => {
    const text = `${big}\n`;
    expect(read(text, { maxRecordBytes: big.length }).items[0]!.kind).toBe("record");
    expect(read(text, { maxRecordBytes: big.length - 1 }).items[0]!.kind).toBe("oversize");
  });

  it("become a record_too_large DLQ envelope with the received prefix and the true size", () => {
    const raw = Buffer.concat([
      Buffer.from('{"id":"'),
      Buffer.from([0x80]),
      Buffer.alloc(3000, 0x61),
      Buffer.from('"}'),
    ]);
    const { items } = read(new Uint8Array(raw), {
      maxRecordBytes: 1000,
      topic: "f.jsonl",
      firstOffset: 4,
    });
    const o = items[0]!.kind === "oversize" ? items[0]!.oversize : null;
    const envelope = rejectOversizeRecord(o!, 77);
    expect(envelope).toMatchObject({
      source: { topic: "f.jsonl", partition: 0, offset: 4, recordTimestamp: 0 },
      failure: {
        stage: "SINK_GUARD",
        failureClass: "RECORD_TOO_LARGE",
        reason: "record_too_large",
        details: "Record size 3010 exceeds limit 1000; payload holds the first 1000 bytes",
      },
      payload: { encoding: "base64", canonicalJson: null },
      ingestionTimestamp: 77,
    });
    expect(Buffer.from(envelope.payload.body!, "base64")).toEqual(raw.subarray(0, 1000));
    expect(
      oversizeRecordOutputs(o!, 77).map((x) => (x.kind === "counter" ? x.name : x.kind)),
    ).toEqual(["quality_gate.input", "quality_gate.dlq", "dlq"]);
  });
});

/** Whitespace and array syntax: the only bytes that may be left out of records. */
const SKIPPABLE = new Set([0x20, 0x09, 0x0a, 0x0d, 0x5b, 0x5d, 0x2c]);

/**
 * Checks that each record is the exact input slice at its byte offset (an oversize record: its
 * prefix there, spanning its size), in order and without overlap; returns the bytes left out.
 */
function leftOut(input: Uint8Array, items: readonly ContainerItem[]): number[] {
  const skipped: number[] = [];
  // A leading byte-order mark is the one byte sequence a reader drops.
  let pos = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
  // Line of each byte: CR, LF and CRLF end lines.
  const lineOf: number[] = [];
  for (let k = 0, line = 1; k <= input.length; k++) {
    lineOf.push(line);
    if (input[k] === 0x0a || (input[k] === 0x0d && input[k + 1] !== 0x0a)) line++;
  }
  for (const it of items) {
    const at = it.kind === "record" ? it.byteOffset : it.oversize.byteOffset;
    expect(it.kind === "record" ? it.line : it.oversize.line).toBe(lineOf[at]);
    const v = (it.kind === "record" ? it.record.value : it.oversize.record.value) as Uint8Array;
    const span = it.kind === "record" ? v.length : it.oversize.size;
    expect(at).toBeGreaterThanOrEqual(pos);
    expect(Buffer.from(input.subarray(at, at + v.length))).toEqual(Buffer.from(v));
    for (let k = pos; k < at; k++) skipped.push(input[k]!);
    pos = at + span;
  }
  expect(pos).toBeLessThanOrEqual(input.length);
  for (let k = pos; k < input.length; k++) skipped.push(input[k]!);
  return skipped;
}

describe("properties of the container reader", () => {
  const atom = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.jsonValue().map((v) => JSON.stringify(v, null, 1)),
    fc.constantFrom(
      "{",
      "}",
      "[",
      "]",
      ",",
      ":",
      '"',
      "\\",
      " ",
      "\n",
      "\r",
      "\r\n",
      "\t",
      "x",
      "12",
      "\ufeff",
      "\u00e9",
      '{"a":',
      '"b\\"',
    ),
  );
  const soup = fc.array(atom, { maxLength: 25 }).map((parts) => bytes(parts.join("")));
  const limit = fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined });

  it("chunking never changes the items or the summary, and nothing throws", () => {
    fc.assert(
      fc.property(soup, fc.array(fc.nat(12), { maxLength: 12 }), limit, (input, cuts, max) => {
        const options = max === undefined ? {} : { maxRecordBytes: max };
        const whole = read(input, options);
        const chunked = read(input, options, cuts);
        expect(plain(chunked.items, true)).toEqual(plain(whole.items, true));
        expect(chunked.summary).toEqual(whole.summary);
      }),
    );
  });

  it("every byte that is not whitespace or array syntax ends up in a record, in order", () => {
    fc.assert(
      fc.property(soup, limit, (input, max) => {
        const { items } = read(input, max === undefined ? {} : { maxRecordBytes: max });
        for (const b of leftOut(input, items)) expect(SKIPPABLE.has(b)).toBe(true);
      }),
    );
  });

  it("arbitrary bytes: never throws, chunking-invariant, and bytes are conserved", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(20)), (input, cuts) => {
        const whole = read(input);
        expect(plain(read(input, {}, cuts).items)).toEqual(plain(whole.items));
        for (const b of leftOut(input, whole.items)) expect(SKIPPABLE.has(b)).toBe(true);
      }),
    );
  });

  it("compact JSON values in any whitespace give exactly their texts (arrays their elements)", () => {
    const ws = fc.string({
      unit: fc.constantFrom(" ", "\t", "\n", "\r", "\r\n"),
      minLength: 1,
      maxLength: 3,
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.jsonValue(), ws), { maxLength: 10 }), (parts) => {
        const text = parts.map(([v, w]) => JSON.stringify(v) + w).join("");
        const expected = parts.flatMap(([v]) =>
          Array.isArray(v) ? v.map((e) => JSON.stringify(e)) : [JSON.stringify(v)],
        );
        const out = loadContainer(text);
        // A lone object with an `orchestrators` array would be a capability response.
        if (out.format === "capabilities-api") return;
        expect(out.records.map((r) => r.value)).toEqual(expected);
        expect(out.notes.join(" ")).not.toMatch(/malformed|not closed|truncated/);
      }),
    );
  });

  it("pretty-printed values after a multi-line first value keep their content", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
        fc.array(fc.jsonValue(), { maxLength: 6 }),
        (first, rest) => {
          const text = [first, ...rest].map((v) => JSON.stringify(v, null, 2)).join("\n");
          const out = loadContainer(text);
          if (out.format === "capabilities-api") return;
          // Through JSON text (`-0` is written as `0`).
          const expected = [first, ...rest]
            .flatMap((v) => (Array.isArray(v) ? v : [v]))
            .map((v) => JSON.parse(JSON.stringify(v)) as unknown);
          expect(out.records.map((r) => JSON.parse(r.value as string) as unknown)).toEqual(
            expected,
          );
        },
      ),
    );
  });
});
