/**
 * The sidecar: a stateless HTTP server that runs the partitioned engine's stages for a stream
 * processor (Apache Flink) that owns every state. Protocol version 1, JSON over HTTP; see
 * `docs/sidecar.md`.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  assembleStateInPlace,
  createPartitionedEngine,
  EngineUsageError,
  sliceStateInPlace,
  validateEngineStateShape,
  type EngineConfigInput,
  type EngineOutput,
  type EngineState,
  type EventClock,
  type LifecycleItem,
  type SessionSlice,
} from "@livepeer-analytics/core/engine";
import { validateJson, type SchemaError } from "./schema.js";

/** The protocol version this server speaks. */
export const SIDECAR_PROTOCOL = 1;

/** Default {@link SidecarLimits.maxBodyBytes}: 64 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Default {@link SidecarLimits.maxBatchRecords}: 10 000. */
export const DEFAULT_MAX_BATCH_RECORDS = 10_000;

/** Default {@link SidecarLimits.requestTimeoutMs}: 60 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** Limits of a sidecar. */
export interface SidecarLimits {
  /** Largest request body, bytes; a larger one is answered 413. Default 64 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * Most records (`/v1/route`, `/v1/records`), lifecycle inputs (`/v1/lifecycle`) or event times
   * (`/v1/clock`) in one request; more are answered 413. Default 10 000.
   */
  readonly maxBatchRecords?: number;
  /** Time to receive a whole request, ms (Node's `requestTimeout`; 408 after it). Default 60 s. */
  readonly requestTimeoutMs?: number;
}

/** Options of {@link startSidecar}. */
export interface SidecarOptions {
  /** TCP port; `0` picks a free one. */
  readonly port: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Engine configuration (the one `createEngine` takes). Every host of a run must use the same. */
  readonly config?: EngineConfigInput;
  /** Request limits. */
  readonly limits?: SidecarLimits;
}

/** A running sidecar. */
export interface Sidecar {
  /** The bound address, as `http://host:port`. */
  readonly url: string;
  /** The bound host. */
  readonly host: string;
  /** The bound port (the one picked when `port` was 0). */
  readonly port: number;
  /** Stops accepting connections, waits for the requests in flight, and resolves. */
  close(): Promise<void>;
}

/** An RFC 7807 problem to answer with. */
class Problem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: readonly SchemaError[] | undefined;
  constructor(
    status: number,
    type: string,
    title: string,
    detail: string,
    errors?: readonly SchemaError[],
  ) {
    super(detail);
    this.status = status;
    this.type = type;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
  }
}

const PROBLEM_BASE =
  "https://github.com/livepeer-analytics/livepeer-analytics/blob/main/docs/sidecar.md#";

function badRequest(type: string, detail: string, errors?: readonly SchemaError[]): Problem {
  const titles: Record<string, string> = {
    "invalid-json": "Request body is not JSON",
    "schema-violation": "Request does not match the protocol schema",
    "unsupported-protocol": "Unsupported protocol version",
    "invalid-state": "Invalid state",
    misrouted: "Record or input routed to the wrong key",
    "engine-usage": "Engine usage error",
    "invalid-input": "An input could not be applied",
  };
  return new Problem(400, PROBLEM_BASE + type, titles[type] ?? "Bad request", detail, errors);
}

/** Strict UTF-8: a body with invalid bytes is refused, not silently altered. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Reads a body up to `max` bytes; a larger one is a 413 problem. */
async function readBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) throw tooLarge(declared, max);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw tooLarge(size, max);
    chunks.push(chunk);
  }
  try {
    return UTF8.decode(Buffer.concat(chunks));
  } catch {
    throw badRequest("invalid-json", "the body is not valid UTF-8");
  }
}

const tooLarge = (size: number, max: number): Problem =>
  new Problem(
    413,
    PROBLEM_BASE + "body-too-large",
    "Request body too large",
    `the body has ${size > max ? "more than " + String(max) : String(size)} bytes; the limit is ${max} (--max-body-bytes)`,
  );

/** The parsed, schema-checked body of a request for `def`. */
function parseRequest(text: string, def: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badRequest("invalid-json", `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const protocol = (body as Record<string, unknown>)["protocol"];
    if (protocol !== undefined && protocol !== SIDECAR_PROTOCOL)
      throw badRequest(
        "unsupported-protocol",
        `protocol ${JSON.stringify(protocol)} is not supported; this sidecar speaks protocol ${SIDECAR_PROTOCOL}`,
      );
  }
  const errors = validateJson(def, body);
  if (errors.length > 0)
    throw badRequest(
      "schema-violation",
      `the body is not a valid ${def}: ${errors[0]!.path || "(body)"} ${errors[0]!.message}`,
      errors,
    );
  return body as Record<string, unknown>;
}

/** A record of a request, as the schema checked it. */
interface WireRecord {
  readonly value: string | null;
  readonly valueBase64?: string;
  readonly offset?: number;
  readonly topic?: string | null;
  readonly partition?: number;
  readonly recordTimestamp?: number;
  readonly now: number;
  readonly receivedAt?: number;
  readonly watermark?: number | null;
}

const engineInput = (r: WireRecord) => {
  if (r.valueBase64 !== undefined && r.value !== null)
    throw badRequest("schema-violation", "a record with valueBase64 must have value null");
  return engineInputOf(r);
};

const engineInputOf = (r: WireRecord) => ({
  record: {
    value:
      r.valueBase64 === undefined ? r.value : new Uint8Array(Buffer.from(r.valueBase64, "base64")),
    ...(r.offset === undefined ? {} : { offset: r.offset }),
    ...(r.topic === undefined ? {} : { topic: r.topic }),
    ...(r.partition === undefined ? {} : { partition: r.partition }),
    ...(r.recordTimestamp === undefined ? {} : { recordTimestamp: r.recordTimestamp }),
  },
  now: r.now,
  ...(r.receivedAt === undefined ? {} : { receivedAt: r.receivedAt }),
});

/**
 * A slice's due time on the wire: `-Infinity` (the next advance) as the smallest safe integer,
 * which every watermark exceeds.
 */
const wireDueAt = (t: number | null): number | null =>
  t === null ? null : t === -Infinity ? Number.MIN_SAFE_INTEGER : t;

function batchLimit(count: number, max: number, what: string): void {
  if (count > max)
    throw new Problem(
      413,
      PROBLEM_BASE + "batch-too-large",
      "Batch too large",
      `the request has ${count} ${what}; the limit is ${max} (--max-batch-records)`,
    );
}

/** The request handlers of one engine configuration. */
function handlers(config: EngineConfigInput, maxBatch: number) {
  const p = createPartitionedEngine(config);
  const ttl = p.engine.config.gate.dedupTtlMs;
  /** The shared state of a fresh partition (a new object each call). */
  const freshState = (): EngineState => sliceStateInPlace(p.init()).shared;
  const freshShared = freshState();
  const freshSharedText = JSON.stringify(freshShared);
  const mode = freshShared.mode;
  const quorum = p.engine.config.frontierQuorum;

  const route = (body: Record<string, unknown>) => {
    const records = body["records"] as WireRecord[];
    batchLimit(records.length, maxBatch, "records");
    return {
      protocol: SIDECAR_PROTOCOL,
      routes: records.map((r) => p.routeRecord(engineInput(r))),
    };
  };

  const records = (body: Record<string, unknown>) => {
    const items = body["items"] as { key: string; slice: number | null; records: WireRecord[] }[];
    batchLimit(
      items.reduce((n, i) => n + i.records.length, 0),
      maxBatch,
      "records",
    );
    return {
      protocol: SIDECAR_PROTOCOL,
      items: items.map((it) => {
        const state = assembleStateInPlace(
          freshState(),
          it.slice === null ? {} : { [it.key]: it.slice },
          {},
        );
        const results = it.records.map((r) => {
          const w = r.watermark ?? null;
          state.watermark = w;
          state.dedup.watermark = w;
          const res = p.recordStageInPlace(state, engineInput(r));
          return {
            outputs: res.outputs,
            eventTime: res.eventTime,
            item: res.item,
            route: res.item === null ? null : p.routeItem(res.item),
          };
        });
        const keys = Object.keys(state.dedup.seen);
        if (keys.length > 1 || (keys.length === 1 && keys[0] !== it.key))
          throw badRequest(
            "misrouted",
            `a record of item ${JSON.stringify(it.key)} has another dedup key: send each record under the key /v1/route gives it`,
          );
        const slice = keys.length === 1 ? state.dedup.seen[it.key]! : null;
        return { key: it.key, slice, expiresAt: slice === null ? null : slice + ttl, results };
      }),
    };
  };

  type Input =
    | { readonly item: LifecycleItem }
    | { readonly advance: number }
    | { readonly flush: { readonly newestEventTime: number | null } };

  const lifecycle = (body: Record<string, unknown>) => {
    const inputs = body["inputs"] as Input[];
    batchLimit(inputs.length, maxBatch, "inputs");
    const items = body["items"] as { key: string; slice: SessionSlice | null }[];
    const primary = body["primary"] as boolean;
    const sharedIn = body["shared"] as EngineState | null;
    if (sharedIn !== null) {
      const shape = validateEngineStateShape(sharedIn, mode);
      if (!shape.ok || sharedIn.v !== freshShared.v)
        throw badRequest(
          "invalid-state",
          `shared is not a ${mode} partition state of this engine version${shape.ok ? "" : ": " + shape.issues[0]!}`,
        );
    }
    const given = new Set<string>();
    for (const it of items) {
      if (given.has(it.key))
        throw badRequest("misrouted", `key ${JSON.stringify(it.key)} is in items twice`);
      given.add(it.key);
    }
    // `fromEntries` makes own properties of every key (`__proto__` included).
    const slices = Object.fromEntries(
      items.flatMap((it) => (it.slice === null ? [] : [[it.key, it.slice] as const])),
    ) as Record<string, SessionSlice>;
    // The protocol's rule (docs/sidecar.md): a flushed partition takes no input, a repeated
    // flush included (the engine's own flush is idempotent).
    if ((sharedIn?.flushed ?? false) && inputs.length > 0)
      throw badRequest(
        "engine-usage",
        "step_after_flush: the partition was flushed (a flushed state takes no further input)",
      );
    // The request's states are this call's own (just parsed): assembled and sliced in place.
    const sharedBefore = sharedIn === null ? freshSharedText : JSON.stringify(sharedIn);
    let state: EngineState;
    try {
      state = assembleStateInPlace(sharedIn ?? freshState(), {}, slices);
    } catch (error) {
      throw badRequest("invalid-state", `items: ${(error as Error).message}`);
    }
    // The slices come from the request: the assembled state must have a partition state's shape.
    const shape = validateEngineStateShape(state, mode);
    if (!shape.ok) throw badRequest("invalid-state", `items: ${shape.issues[0]!}`);
    const outputs: EngineOutput[] = [];
    inputs.forEach((input, i) => {
      try {
        applyInput(input, i);
      } catch (error) {
        // (An input after the flush is the engine's `step_after_flush`, answered as such.)
        if (error instanceof Problem || error instanceof EngineUsageError) throw error;
        // A lifecycle item is checked only for its outer shape: one the engine cannot apply
        // (fields missing or of the wrong type) is the request's fault, not the server's.
        throw badRequest("invalid-input", `inputs/${i} could not be applied`);
      }
    });
    function applyInput(input: Input, i: number): void {
      if ("item" in input) {
        const to = p.routeItem(input.item);
        if (to.kind === "key" && !given.has(to.key))
          throw badRequest(
            "misrouted",
            `inputs/${i} routes to key ${JSON.stringify(to.key)}, which is not in items`,
          );
        outputs.push(...p.lifecycleStageInPlace(state, input.item, primary));
      } else if ("advance" in input) outputs.push(...p.advanceInPlace(state, input.advance));
      else {
        const t = input.flush.newestEventTime;
        outputs.push(
          ...p.flushInPlace(state, {
            frontier: null,
            newestEventTs: t === null ? [] : [t],
            watermark: null,
            flushed: false,
          }),
        );
      }
    }
    const due = p.dueTimes(state);
    const out = sliceStateInPlace(state);
    for (const k of Object.keys(out.sessions))
      if (!given.has(k))
        throw new Error(`the lifecycle stage made state for key ${k} not in items`);
    const sharedText = JSON.stringify(out.shared);
    return {
      protocol: SIDECAR_PROTOCOL,
      shared: sharedText === sharedBefore ? null : out.shared,
      items: items.map((it) => ({
        key: it.key,
        slice: Object.prototype.hasOwnProperty.call(out.sessions, it.key)
          ? out.sessions[it.key]!
          : null,
        dueAt: wireDueAt(Object.prototype.hasOwnProperty.call(due, it.key) ? due[it.key]! : null),
      })),
      outputs,
    };
  };

  const clockOf = (body: Record<string, unknown>) => {
    const times = body["eventTimes"] as (number | null)[];
    batchLimit(times.length, maxBatch, "event times");
    const clock = (body["clock"] as EventClock | null) ?? p.initClock();
    const n = clock.newestEventTs;
    if (
      n.length > quorum ||
      n.some((t, i) => i > 0 && t > n[i - 1]!) ||
      (clock.frontier !== null && n.length < quorum)
    )
      throw badRequest(
        "invalid-state",
        `clock.newestEventTs must be descending, with at most frontierQuorum (${quorum}) times, all of them once the frontier exists`,
      );
    if (clock.flushed && (times.length > 0 || body["flush"] === true))
      throw badRequest("engine-usage", "step_after_flush: the clock was flushed");
    const watermarks = times.map((t) => {
      p.observeInPlace(clock, t);
      const w = p.nextWatermark(clock);
      if (w !== null) p.advanceClockInPlace(clock, w);
      return w;
    });
    const outputs = body["flush"] === true ? p.flushClockInPlace(clock) : [];
    return { protocol: SIDECAR_PROTOCOL, clock, watermarks, outputs };
  };

  return { route, records, lifecycle, clock: clockOf };
}

function send(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function sendProblem(res: ServerResponse, p: Problem): void {
  send(
    res,
    p.status,
    {
      type: p.type,
      title: p.title,
      status: p.status,
      detail: p.detail,
      ...(p.errors === undefined ? {} : { errors: p.errors }),
    },
    "application/problem+json",
  );
}

/**
 * Starts a sidecar: an HTTP server speaking protocol version 1 (`docs/sidecar.md`) for one
 * engine configuration. It keeps no state between requests: every state travels in the request
 * and comes back in the response, so the host (Flink) owns all of it. Resolves once listening.
 *
 * @example
 * const sidecar = await startSidecar({ port: 0, config: { preset: "correction" } });
 * console.log(sidecar.url); // http://127.0.0.1:PORT
 * await sidecar.close();
 */
export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  const maxBody = options.limits?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxBatch = options.limits?.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
  const h = handlers(options.config ?? {}, maxBatch);
  const routes: Record<string, { def: string; run: (b: Record<string, unknown>) => unknown }> = {
    "/v1/route": { def: "RouteRequest", run: h.route },
    "/v1/records": { def: "RecordsRequest", run: h.records },
    "/v1/lifecycle": { def: "LifecycleRequest", run: h.lifecycle },
    "/v1/clock": { def: "ClockRequest", run: h.clock },
  };
  const server = createServer(async (req, res) => {
    try {
      const path = (req.url ?? "/").split("?")[0]!;
      if (path === "/v1/health") {
        if (req.method !== "GET" && req.method !== "HEAD") throw methodNotAllowed("GET");
        send(res, 200, { protocol: SIDECAR_PROTOCOL });
        return;
      }
      const r = Object.prototype.hasOwnProperty.call(routes, path) ? routes[path] : undefined;
      if (r === undefined)
        throw new Problem(
          404,
          PROBLEM_BASE + "not-found",
          "Not found",
          `no endpoint ${path}: the endpoints are GET /v1/health, POST /v1/route, /v1/records, /v1/lifecycle, /v1/clock`,
        );
      if (req.method !== "POST") throw methodNotAllowed("POST");
      const body = parseRequest(await readBody(req, maxBody), r.def);
      send(res, 200, r.run(body));
    } catch (error) {
      if (error instanceof Problem) sendProblem(res, error);
      else if (error instanceof EngineUsageError)
        sendProblem(res, badRequest("engine-usage", `${error.code}: ${error.message}`));
      else
        sendProblem(
          res,
          new Problem(
            500,
            PROBLEM_BASE + "internal",
            "Internal error",
            `the sidecar failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      // A body left unread (413) would keep the connection busy: close it after the answer.
      if (!req.complete) res.once("finish", () => req.destroy());
    }
  });
  server.requestTimeout = options.limits?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // `close` stops Node's request-timeout checks too: a client still sending a body would
        // keep the server open for ever, so connections left after a grace period are cut.
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        cut.unref();
        server.close((error) => {
          clearTimeout(cut);
          if (error === undefined) resolve();
          else reject(error);
        });
        server.closeIdleConnections();
      }),
  };
}

/** How long `close` waits for requests in progress before it cuts their connections, ms. */
const CLOSE_GRACE_MS = 5_000;

const methodNotAllowed = (allowed: string): Problem =>
  new Problem(405, PROBLEM_BASE + "method-not-allowed", "Method not allowed", `use ${allowed}`);
