import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClickHouseError } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbeddedExecutor } from "./embedded.js";
import {
  CLICKHOUSE_ADAPTER_ERROR_CODES,
  ClickHouseAdapterError,
  RETRYABLE_CLICKHOUSE_ERROR_CODES,
  RETRYABLE_NETWORK_ERROR_CODES,
  clickHouseErrorCodeOf,
  isRetryableClickHouseError,
} from "./errors.js";
import type { ClickHouseExecutor } from "./executor.js";

const chError = (code: string, type: string): ClickHouseError =>
  new ClickHouseError({ message: `Code: ${code}. DB::Exception: test. (${type})`, code, type });

const sysError = (code: string, message = `connect ${code}`): Error =>
  Object.assign(new Error(message), { code, errno: -1, syscall: "connect" });

describe("ClickHouseAdapterError", () => {
  it("keeps code, message, details and cause, all enumerable", () => {
    const cause = chError("60", "UNKNOWN_TABLE");
    const err = new ClickHouseAdapterError("LPA_CH_INSERT_FAILED", "boom", {
      cause,
      details: { table: "t", rows: 3 },
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("ClickHouseAdapterError");
    expect(err.code).toBe("LPA_CH_INSERT_FAILED");
    expect(err.message).toBe("boom");
    expect(err.cause).toBe(cause);
    expect(err.details).toEqual({ table: "t", rows: 3 });
    expect(Object.keys(err)).toEqual(
      expect.arrayContaining(["name", "code", "details", "message", "cause"]),
    );
    const json = JSON.parse(JSON.stringify(err)) as Record<string, unknown>;
    expect(json["code"]).toBe("LPA_CH_INSERT_FAILED");
    expect(json["message"]).toBe("boom");
    expect(json["details"]).toEqual({ table: "t", rows: 3 });
  });

  it("has no cause property when none is given, and empty details", () => {
    const err = new ClickHouseAdapterError("LPA_CH_SINK_CLOSED", "closed");
    expect("cause" in err).toBe(false);
    expect(err.details).toEqual({});
  });

  it("type guard accepts adapter errors only", () => {
    expect(
      ClickHouseAdapterError.isClickHouseAdapterError(
        new ClickHouseAdapterError("LPA_CH_INVALID_TARGET", "x"),
      ),
    ).toBe(true);
    expect(ClickHouseAdapterError.isClickHouseAdapterError(new Error("x"))).toBe(false);
    expect(ClickHouseAdapterError.isClickHouseAdapterError({ code: "LPA_CH_INVALID_TARGET" })).toBe(
      false,
    );
    expect(ClickHouseAdapterError.isClickHouseAdapterError(null)).toBe(false);
    expect(ClickHouseAdapterError.isClickHouseAdapterError("LPA_CH_SINK_CLOSED")).toBe(false);
  });

  it("lists only LPA_CH_ codes", () => {
    expect(CLICKHOUSE_ADAPTER_ERROR_CODES).toEqual([
      "LPA_CH_EMBEDDED_UNAVAILABLE",
      "LPA_CH_EMBEDDED_OPEN_FAILED",
      "LPA_CH_INVALID_TARGET",
      "LPA_CH_INVALID_OPTIONS",
      "LPA_CH_INSERT_FAILED",
      "LPA_CH_SERIALIZE_FAILED",
      "LPA_CH_RECORD_TOO_LARGE",
      "LPA_CH_SINK_CLOSED",
    ]);
    for (const code of CLICKHOUSE_ADAPTER_ERROR_CODES) expect(code).toMatch(/^LPA_CH_[A-Z_]+$/);
  });
});

describe("isRetryableClickHouseError", () => {
  it.each(Object.entries(RETRYABLE_CLICKHOUSE_ERROR_CODES))(
    "server code %s (%s) is retryable",
    (code, type) => {
      expect(isRetryableClickHouseError(chError(code, type))).toBe(true);
    },
  );

  it.each([
    ["27", "CANNOT_PARSE_INPUT_ASSERTION_FAILED"],
    ["60", "UNKNOWN_TABLE"],
    ["62", "SYNTAX_ERROR"],
    ["81", "UNKNOWN_DATABASE"],
    ["117", "INCORRECT_DATA"],
    ["164", "READONLY"],
    ["394", "QUERY_WAS_CANCELLED"],
    ["497", "ACCESS_DENIED"],
    ["516", "AUTHENTICATION_FAILED"],
    ["774", "TABLE_IS_PERMANENTLY_READ_ONLY"],
    ["1002", "UNKNOWN_EXCEPTION"],
  ])("server code %s (%s) is fatal", (code, type) => {
    expect(isRetryableClickHouseError(chError(code, type))).toBe(false);
  });

  it.each(RETRYABLE_NETWORK_ERROR_CODES)("network error %s is retryable", (code) => {
    expect(isRetryableClickHouseError(sysError(code))).toBe(true);
  });

  it("treats socket hang up (with or without its code) and the client timeout as retryable", () => {
    expect(isRetryableClickHouseError(sysError("ECONNRESET", "socket hang up"))).toBe(true);
    expect(isRetryableClickHouseError(new Error("socket hang up"))).toBe(true);
    expect(isRetryableClickHouseError(new Error("Timeout error."))).toBe(true);
  });

  it("treats other errors as fatal", () => {
    expect(isRetryableClickHouseError(sysError("ENOTFOUND"))).toBe(false);
    expect(isRetryableClickHouseError(sysError("EACCES"))).toBe(false);
    expect(isRetryableClickHouseError(new Error("The user aborted a request."))).toBe(false);
    expect(isRetryableClickHouseError(new TypeError("x is not a function"))).toBe(false);
    expect(isRetryableClickHouseError("ECONNRESET")).toBe(false);
    expect(isRetryableClickHouseError(undefined)).toBe(false);
  });

  it("follows the cause chain of uncoded wrappers", () => {
    const wrapped = new Error("request failed", { cause: sysError("ECONNREFUSED") });
    expect(isRetryableClickHouseError(wrapped)).toBe(true);
    const fatal = new Error("request failed", { cause: chError("60", "UNKNOWN_TABLE") });
    expect(isRetryableClickHouseError(fatal)).toBe(false);
  });

  it("never retries adapter errors, whatever their cause", () => {
    const err = new ClickHouseAdapterError("LPA_CH_INSERT_FAILED", "x", {
      cause: chError("252", "TOO_MANY_PARTS"),
    });
    expect(isRetryableClickHouseError(err)).toBe(false);
  });

  it("recognises server errors structurally (chdb bundles its own ClickHouseError class)", () => {
    class ClickHouseErrorCopy extends Error {
      readonly code: string;
      readonly type: string;
      constructor(code: string, type: string) {
        super("copy");
        this.code = code;
        this.type = type;
      }
    }
    const copy = new ClickHouseErrorCopy("252", "TOO_MANY_PARTS");
    expect(copy instanceof ClickHouseError).toBe(false);
    expect(clickHouseErrorCodeOf(copy)).toBe("252");
    expect(isRetryableClickHouseError(copy)).toBe(true);
    expect(clickHouseErrorCodeOf(sysError("ECONNRESET"))).toBeNull();
    expect(clickHouseErrorCodeOf({ code: "252" })).toBeNull();
  });
});

describe("against the embedded engine", () => {
  let dir: string;
  let executor: ClickHouseExecutor;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lpa-sink-"));
    executor = await createEmbeddedExecutor({ path: dir, database: "lpa_errors" });
  });

  afterAll(async () => {
    await executor.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the documented names match the server's errorCodeToName()", async () => {
    const codes = Object.keys(RETRYABLE_CLICKHOUSE_ERROR_CODES).map(Number);
    const rows = await executor.query<{ code: number; name: string }>(
      "SELECT code, errorCodeToName(code) AS name FROM (SELECT arrayJoin({codes:Array(UInt32)}) AS code) ORDER BY code",
      { codes },
    );
    const actual = Object.fromEntries(rows.map((r) => [String(r.code), r.name]));
    expect(actual).toEqual(RETRYABLE_CLICKHOUSE_ERROR_CODES);
  });

  it("classifies a real server error as fatal, with its code", async () => {
    const err = await executor.query("SELECT * FROM no_such_table").then(
      () => null,
      (e: unknown) => e,
    );
    expect(clickHouseErrorCodeOf(err)).toBe("60");
    expect((err as { type?: unknown }).type).toBe("UNKNOWN_TABLE");
    expect(isRetryableClickHouseError(err)).toBe(false);
  });
});
