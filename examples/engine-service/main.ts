/**
 * A small HTTP service that embeds the engine: clients POST envelopes, the service runs them
 * through one engine runner and serves what the engine produced so far.
 *
 * - `POST /events`: a JSON array of envelopes, or JSONL (one envelope per line). Answers with the
 *   number of records and how many of them went to the DLQ or quarantine.
 * - `POST /flush`: end of input; seals every open session (no event may follow).
 * - `GET /tables`: the final tables (`collectFinalTables`): rows per table, DLQ and quarantine
 *   counts, counters.
 *
 * One runner, one process: requests are handled one at a time by Node's event loop, so the state
 * needs no lock. A production service would also snapshot the runner (`runner.snapshot()`).
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import {
  collectFinalTables,
  createEngine,
  createRunner,
  type EngineOutput,
} from "@livepeer-analytics/core/engine";

export interface IngestResult {
  readonly records: number;
  readonly dlq: number;
  readonly quarantine: number;
}

export interface TablesResponse {
  readonly tables: Record<string, Record<string, unknown>[]>;
  readonly dlq: number;
  readonly quarantine: number;
  readonly counters: Record<string, number>;
}

export interface Service {
  /** Base URL, e.g. `http://127.0.0.1:34567`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Splits a request body into record values: a JSON array of envelopes, or JSONL. */
export function recordValues(body: string): string[] {
  const text = body.trim();
  if (text.startsWith("[")) {
    const items = JSON.parse(text) as unknown;
    if (!Array.isArray(items)) throw new Error("expected a JSON array");
    return items.map((item) => JSON.stringify(item));
  }
  return text.split("\n").filter((line) => line.trim() !== "");
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Starts the service on `port` (0: any free port). */
export async function startService(port = 0, host = "127.0.0.1"): Promise<Service> {
  const engine = createEngine(
    { emission: "final" },
    { sha256Hex: (s) => createHash("sha256").update(s, "utf8").digest("hex") },
  );
  const runner = createRunner(engine);
  // Every output so far; `collectFinalTables` keeps the latest version of each row.
  const outputs: EngineOutput[] = [];

  const ingest = (values: readonly string[]): IngestResult => {
    let dlq = 0;
    let quarantine = 0;
    for (const value of values) {
      for (const output of runner.push({ record: { value, topic: "http" }, now: Date.now() })) {
        if (output.kind === "dlq") dlq += 1;
        if (output.kind === "quarantine") quarantine += 1;
        outputs.push(output);
      }
    }
    return { records: values.length, dlq, quarantine };
  };

  const server = createServer((req, res) => {
    void (async () => {
      try {
        if (req.method === "POST" && req.url === "/events") {
          if (runner.state.flushed) return send(res, 409, { error: "input already flushed" });
          let values: string[];
          try {
            values = recordValues(await readBody(req));
          } catch (error) {
            return send(res, 400, { error: (error as Error).message });
          }
          return send(res, 200, ingest(values));
        }
        if (req.method === "POST" && req.url === "/flush") {
          if (!runner.state.flushed) outputs.push(...runner.flush());
          return send(res, 200, { flushed: true });
        }
        if (req.method === "GET" && req.url === "/tables") {
          const final = collectFinalTables(outputs);
          const body: TablesResponse = {
            tables: final.tables,
            dlq: final.dlq.length,
            quarantine: final.quarantine.length,
            counters: final.counters,
          };
          return send(res, 200, body);
        }
        send(res, 404, { error: "not found" });
      } catch (error) {
        send(res, 500, { error: (error as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

// As a script: serve on PORT (default 8080) until Ctrl-C.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const service = await startService(Number(process.env["PORT"] ?? 8080));
  process.stdout.write(`listening on ${service.url}\n`);
  process.once("SIGINT", () => void service.close());
}
