/**
 * `lpa sidecar`: the sidecar server in the foreground (`docs/sidecar.md`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { CliIo } from "../main.js";
import {
  engineInputFromFlags,
  ENGINE_FLAG_OPTIONS,
  ENGINE_FLAGS_HELP,
  parseEmission,
} from "../engine-flags.js";
import { parseCount, UsageError } from "../io.js";
import { DEFAULT_MAX_BATCH_RECORDS, DEFAULT_MAX_BODY_BYTES, startSidecar } from "./server.js";
import type { EngineConfigInput } from "@livepeer-analytics/core/engine";

/** Help of `lpa sidecar`. */
export const SIDECAR_HELP = `Usage: lpa sidecar --port N [options]

Serve the engine's partitioned stages over HTTP (protocol 1, docs/sidecar.md) for a stream
processor such as Apache Flink that keeps every state: the sidecar keeps none. Runs until SIGTERM
or SIGINT (exit 0). The last line on stdout is the bound address (http://host:port).

Options:
  --port N                   TCP port; 0 picks a free one (required)
  --host H                   interface to listen on (default 127.0.0.1)
  --max-batch-records N      most records or lifecycle inputs per request (default ${DEFAULT_MAX_BATCH_RECORDS})
  --max-body-bytes N         largest request body (default ${DEFAULT_MAX_BODY_BYTES})
  --emission MODE            when fact rows are emitted: coalesced (default) | final (each row
                             once, when it can no longer change: what lpa replay writes) |
                             every-change
${ENGINE_FLAGS_HELP}  -h, --help                 show this help
`;

/** Runs `lpa sidecar`; resolves with the exit code once a signal stopped the server. */
export async function sidecarCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      ...ENGINE_FLAG_OPTIONS,
      port: { type: "string" },
      host: { type: "string" },
      "max-batch-records": { type: "string" },
      "max-body-bytes": { type: "string" },
      emission: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout.write(SIDECAR_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]!}`);
  const port = parseCount("--port", values.port);
  if (port === undefined) throw new UsageError("--port is required (0 picks a free port)");
  if (port > 65_535) throw new UsageError("--port must be at most 65535");
  const maxBatch = parseCount("--max-batch-records", values["max-batch-records"]);
  const maxBody = parseCount("--max-body-bytes", values["max-body-bytes"]);
  if (maxBatch === 0 || maxBody === 0)
    throw new UsageError("--max-batch-records and --max-body-bytes must be positive");
  const config = engineInputFromFlags(values) as EngineConfigInput;
  const emission = parseEmission(values.emission);
  if (emission !== undefined) (config as { emission?: string }).emission = emission;
  const sidecar = await startSidecar({
    port,
    ...(values.host === undefined ? {} : { host: values.host }),
    config,
    limits: {
      ...(maxBatch === undefined ? {} : { maxBatchRecords: maxBatch }),
      ...(maxBody === undefined ? {} : { maxBodyBytes: maxBody }),
    },
  });
  io.stdout.write(`lpa sidecar: protocol 1, listening on\n${sidecar.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      resolve();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  await sidecar.close();
  return 0;
}
