/**
 * The sidecar protocol's JSON Schema (draft 2020-12) and the small validator the server checks
 * requests with. `protocol.schema.json` next to this file is the same schema, shipped for hosts
 * (a test keeps the two equal).
 *
 * @module
 */

/** A JSON Schema, as far as {@link validateJson} reads it. */
export interface JsonSchema {
  readonly $schema?: string;
  readonly $id?: string;
  readonly title?: string;
  readonly description?: string;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
  readonly type?: string | readonly string[];
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly minLength?: number;
  readonly minimum?: number;
}

const num = { type: "number" } as const;
const ms = { type: "number", description: "Epoch milliseconds." } as const;
const nullableMs = {
  type: ["number", "null"],
  description: "Epoch milliseconds, or null.",
} as const;
const ref = (name: string): JsonSchema => ({ $ref: `#/$defs/${name}` });
const obj = (
  properties: Record<string, JsonSchema>,
  required: readonly string[],
  description?: string,
): JsonSchema => ({
  type: "object",
  ...(description === undefined ? {} : { description }),
  properties,
  required,
  additionalProperties: false,
});

/**
 * The JSON Schema of every request and response body of protocol version 1 (`$defs`: one entry
 * per body, `…Request` / `…Response`, plus the shapes they share).
 */
export const PROTOCOL_SCHEMA: JsonSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://github.com/livepeer-analytics/livepeer-analytics/packages/cli/src/sidecar/protocol.schema.json",
  title: "lpa sidecar protocol, version 1",
  $defs: {
    Protocol: { const: 1, description: "Protocol version: 1." },
    Record: obj(
      {
        value: { type: ["string", "null"], description: "The record value (one JSON envelope)." },
        valueBase64: {
          type: "string",
          description:
            "The record value's bytes, base64, for a value that is not valid UTF-8 (then value is null): the engine decodes them as lpa run does and keeps them in the DLQ payload.",
        },
        offset: { type: "integer", description: "Source offset, copied into DLQ envelopes." },
        topic: {
          type: ["string", "null"],
          description: "Source topic (Kafka), copied into DLQ and quarantine envelopes.",
        },
        partition: {
          type: "integer",
          description: "Source partition, copied into DLQ and quarantine envelopes.",
        },
        recordTimestamp: {
          type: "integer",
          description:
            "Kafka record timestamp, epoch ms, copied into DLQ and quarantine envelopes.",
        },
        now: { ...ms, description: "Processing time of the record, epoch ms (EngineInput.now)." },
        receivedAt: {
          ...ms,
          description: "Broker receive time, epoch ms (EngineInput.receivedAt).",
        },
        watermark: {
          ...nullableMs,
          description:
            "The last watermark the host gave the partitions before this record (EventClock.watermark); the dedup TTL is measured against it. Absent or null: no watermark yet.",
        },
      },
      ["value", "now"],
    ),
    RecordRoute: {
      anyOf: [
        obj({ kind: { const: "key" }, key: { type: "string" } }, ["kind", "key"]),
        obj({ kind: { const: "any" } }, ["kind"]),
      ],
    },
    ItemRoute: {
      anyOf: [
        obj({ kind: { const: "key" }, key: { type: "string" } }, ["kind", "key"]),
        obj({ kind: { const: "broadcast" } }, ["kind"]),
      ],
    },
    LifecycleItem: {
      type: "object",
      description: "A lifecycle item as /v1/records returns it; pass it on unchanged.",
      properties: { event: { type: "object" }, input: { type: "object" }, now: num },
      required: ["event", "input", "now"],
    },
    EngineOutput: {
      type: "object",
      description: "An engine output: a row, a DLQ or quarantine envelope, or a counter delta.",
      properties: { kind: { enum: ["row", "dlq", "quarantine", "counter"] } },
      required: ["kind"],
    },
    SessionSlice: {
      type: ["object", "null"],
      description: "The lifecycle state of one workflow_session_id (SessionSlice), or null: none.",
    },
    SharedState: {
      type: ["object", "null"],
      description:
        "The partition's shared state (StateSlices.shared), or null: a fresh partition's.",
    },
    Problem: obj(
      {
        type: { type: "string" },
        title: { type: "string" },
        status: { type: "integer" },
        detail: { type: "string" },
        errors: {
          type: "array",
          items: obj({ path: { type: "string" }, message: { type: "string" } }, [
            "path",
            "message",
          ]),
        },
      },
      ["type", "title", "status", "detail"],
      "RFC 7807 problem details (application/problem+json).",
    ),
    HealthResponse: obj({ protocol: ref("Protocol") }, ["protocol"]),
    RouteRequest: obj(
      { protocol: ref("Protocol"), records: { type: "array", items: ref("Record") } },
      ["protocol", "records"],
    ),
    RouteResponse: obj(
      { protocol: ref("Protocol"), routes: { type: "array", items: ref("RecordRoute") } },
      ["protocol", "routes"],
    ),
    RecordsRequest: obj(
      {
        protocol: ref("Protocol"),
        items: {
          type: "array",
          items: obj(
            {
              key: { type: "string", minLength: 1, description: "The records' RecordRoute key." },
              slice: {
                ...nullableMs,
                description: "The key's dedup slice: first-seen event time, or null.",
              },
              records: { type: "array", items: ref("Record") },
            },
            ["key", "slice", "records"],
          ),
        },
      },
      ["protocol", "items"],
    ),
    RecordResult: obj(
      {
        outputs: { type: "array", items: ref("EngineOutput") },
        eventTime: nullableMs,
        item: { anyOf: [ref("LifecycleItem"), { type: "null" }] },
        route: { anyOf: [ref("ItemRoute"), { type: "null" }] },
      },
      ["outputs", "eventTime", "item", "route"],
    ),
    RecordsResponse: obj(
      {
        protocol: ref("Protocol"),
        items: {
          type: "array",
          items: obj(
            {
              key: { type: "string" },
              slice: nullableMs,
              expiresAt: {
                ...nullableMs,
                description:
                  "The watermark from which the slice is dead and may be dropped (slice + dedupTtlMs).",
              },
              results: { type: "array", items: ref("RecordResult") },
            },
            ["key", "slice", "expiresAt", "results"],
          ),
        },
      },
      ["protocol", "items"],
    ),
    EventClock: obj(
      {
        frontier: nullableMs,
        newestEventTs: { type: "array", items: num },
        watermark: nullableMs,
        flushed: { type: "boolean" },
      },
      ["frontier", "newestEventTs", "watermark", "flushed"],
      "The host's event clock (EventClock): the quorum frontier and the last watermark.",
    ),
    ClockRequest: obj(
      {
        protocol: ref("Protocol"),
        clock: { anyOf: [ref("EventClock"), { type: "null" }] },
        eventTimes: {
          type: "array",
          items: nullableMs,
          description: "The eventTime of record-stage results, in stream order.",
        },
        flush: { type: "boolean", description: "End of input, after the event times." },
      },
      ["protocol", "clock", "eventTimes"],
    ),
    ClockResponse: obj(
      {
        protocol: ref("Protocol"),
        clock: ref("EventClock"),
        watermarks: {
          type: "array",
          items: nullableMs,
          description:
            "One per event time: the watermark to give every partition after it, or null.",
        },
        outputs: { type: "array", items: ref("EngineOutput") },
      },
      ["protocol", "clock", "watermarks", "outputs"],
    ),
    LifecycleInput: {
      anyOf: [
        obj({ item: ref("LifecycleItem") }, ["item"]),
        obj({ advance: num }, ["advance"]),
        obj({ flush: obj({ newestEventTime: nullableMs }, ["newestEventTime"]) }, ["flush"]),
      ],
    },
    LifecycleRequest: obj(
      {
        protocol: ref("Protocol"),
        shared: ref("SharedState"),
        primary: {
          type: "boolean",
          description: "Whether this partition emits what a broadcast makes once.",
        },
        items: {
          type: "array",
          items: obj({ key: { type: "string" }, slice: ref("SessionSlice") }, ["key", "slice"]),
        },
        inputs: { type: "array", items: ref("LifecycleInput") },
      },
      ["protocol", "shared", "primary", "items", "inputs"],
    ),
    LifecycleResponse: obj(
      {
        protocol: ref("Protocol"),
        shared: ref("SharedState"),
        items: {
          type: "array",
          items: obj(
            {
              key: { type: "string" },
              slice: ref("SessionSlice"),
              dueAt: {
                type: ["number", "null"],
                description:
                  "The lowest watermark whose advance can change this slice: a later call carrying an advance to W ≥ dueAt must carry the slice. -9007199254740991 (Number.MIN_SAFE_INTEGER): the next advance. null: no advance alone (a broadcast item or the flush still needs every slice).",
              },
            },
            ["key", "slice", "dueAt"],
          ),
        },
        outputs: { type: "array", items: ref("EngineOutput") },
      },
      ["protocol", "shared", "items", "outputs"],
    ),
  },
};

/** One schema violation: where (a JSON pointer) and what. */
export interface SchemaError {
  /** JSON pointer of the offending value (`""`: the whole body). */
  readonly path: string;
  /** What is wrong with it. */
  readonly message: string;
}

const typeOf = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : typeof v;

function hasType(v: unknown, type: string): boolean {
  if (type === "integer") return Number.isInteger(v);
  if (type === "number") return typeof v === "number" && Number.isFinite(v);
  return typeOf(v) === type;
}

const MAX_ERRORS = 20;

function check(
  root: JsonSchema,
  schema: JsonSchema,
  v: unknown,
  path: string,
  errors: SchemaError[],
): void {
  if (errors.length >= MAX_ERRORS) return;
  if (schema.$ref !== undefined) {
    const name = schema.$ref.replace(/^#\/\$defs\//, "");
    const target = root.$defs?.[name];
    if (target === undefined) throw new Error(`schema: unknown $ref ${schema.$ref}`);
    check(root, target, v, path, errors);
    return;
  }
  if (schema.anyOf !== undefined) {
    const branches = schema.anyOf.map((s) => {
      const e: SchemaError[] = [];
      check(root, s, v, path, e);
      return e;
    });
    if (branches.some((e) => e.length === 0)) return;
    // Report the branch that got furthest (fewest errors).
    const best = branches.reduce((a, b) => (b.length < a.length ? b : a));
    errors.push(...best.slice(0, MAX_ERRORS - errors.length));
    return;
  }
  if (schema.const !== undefined && v !== schema.const) {
    errors.push({ path, message: `must be ${JSON.stringify(schema.const)}` });
    return;
  }
  if (schema.enum !== undefined && !schema.enum.includes(v)) {
    errors.push({ path, message: `must be one of ${JSON.stringify(schema.enum)}` });
    return;
  }
  if (schema.type !== undefined) {
    const types = typeof schema.type === "string" ? [schema.type] : schema.type;
    if (!types.some((t) => hasType(v, t))) {
      errors.push({ path, message: `must be ${types.join(" or ")}, got ${typeOf(v)}` });
      return;
    }
  }
  if (typeof v === "string" && schema.minLength !== undefined && v.length < schema.minLength)
    errors.push({ path, message: `must have at least ${schema.minLength} characters` });
  if (typeof v === "number" && schema.minimum !== undefined && v < schema.minimum)
    errors.push({ path, message: `must be at least ${schema.minimum}` });
  if (Array.isArray(v) && schema.items !== undefined)
    for (let i = 0; i < v.length && errors.length < MAX_ERRORS; i++)
      check(root, schema.items, v[i], `${path}/${i}`, errors);
  if (typeOf(v) === "object") {
    const o = v as Record<string, unknown>;
    for (const r of schema.required ?? [])
      if (!Object.prototype.hasOwnProperty.call(o, r))
        errors.push({ path, message: `must have property ${JSON.stringify(r)}` });
    for (const k of Object.keys(o)) {
      const pointer = `${path}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      const p = schema.properties?.[k];
      if (p !== undefined && Object.prototype.hasOwnProperty.call(schema.properties, k))
        check(root, p, o[k], pointer, errors);
      else if (schema.additionalProperties === false)
        errors.push({ path: pointer, message: "is not allowed" });
      else if (typeof schema.additionalProperties === "object")
        check(root, schema.additionalProperties, o[k], pointer, errors);
    }
  }
}

/**
 * Checks `value` against the definition `def` of {@link PROTOCOL_SCHEMA} (or of `root`). Supports
 * the keywords the protocol schema uses: `$ref`, `type`, `const`, `enum`, `properties`,
 * `required`, `additionalProperties`, `items`, `anyOf`, `minLength`, `minimum`. Returns the
 * violations (at most 20), none when the value is valid.
 */
export function validateJson(
  def: string,
  value: unknown,
  root: JsonSchema = PROTOCOL_SCHEMA,
): SchemaError[] {
  const errors: SchemaError[] = [];
  check(root, { $ref: `#/$defs/${def}` }, value, "", errors);
  return errors;
}
