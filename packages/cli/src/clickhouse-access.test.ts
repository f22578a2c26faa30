/**
 * How the commands reach ClickHouse: read-only `lpa query` (no DDL), the CLICKHOUSE_* variables and
 * --password-file, the client's logging off, one line per insert retry, and one line when the
 * server cannot be reached. A small HTTP server stands in for a ClickHouse server where requests
 * must be inspected; embedded ClickHouse (chDB) runs in child processes.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { realFixturePath } from "@livepeer-analytics/testing/fixtures";
import { resolveClickHouseTarget, retryLine } from "./clickhouse.js";
import { run } from "./main.js";
import { memoryIo } from "../test/support.js";
import { buildCli, killRunning, runLpa, type BuiltCli } from "../test/child.js";

const jsonl = realFixturePath("streaming-events-2026-01-08.jsonl");
const tmp = mkdtempSync(join(tmpdir(), "lpa-ch-access-"));

/** One request the fake server received. */
interface SeenRequest {
  readonly sql: string;
  readonly user: string;
  readonly password: string;
  readonly database: string | null;
}

/**
 * A stand-in for a ClickHouse HTTP server: records every statement with its credentials, answers
 * `EXISTS` with 0, other queries with one row `{"x":1}`, and, with `failInserts`, data inserts with
 * the retryable error 202.
 */
async function fakeClickHouse(
  options: { failInserts?: boolean } = {},
): Promise<{ url: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const u = new URL(req.url ?? "/", "http://localhost");
      const sql = (u.searchParams.get("query") ?? body).replace(/\s+/g, " ").trim();
      const auth = Buffer.from(
        (req.headers.authorization ?? "").replace(/^Basic /, ""),
        "base64",
      ).toString();
      const colon = auth.indexOf(":");
      seen.push({
        sql,
        user: auth.slice(0, colon),
        password: auth.slice(colon + 1),
        database: u.searchParams.get("database"),
      });
      if (options.failInserts === true && /^INSERT INTO \S+ (SETTINGS|FORMAT)/.test(sql)) {
        res.writeHead(500, { "X-ClickHouse-Exception-Code": "202" });
        res.end(
          "Code: 202. DB::Exception: Too many simultaneous queries. (TOO_MANY_SIMULTANEOUS_QUERIES)\n",
        );
        return;
      }
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end(/^EXISTS/.test(sql) ? '{"result":0}\n' : /^SELECT/i.test(sql) ? '{"x":1}\n' : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A local port nothing listens on (a server was bound to it and closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function lpa(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const m = memoryIo();
  const code = await run(argv, m.io);
  return { code, out: m.out(), err: m.err() };
}

let cli: BuiltCli;
beforeAll(async () => {
  cli = await buildCli();
});
afterAll(() => {
  killRunning();
  cli.dispose();
  rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** The CLICKHOUSE_* variables of the test run's environment, unset for a child. */
const NO_CH_ENV = {
  CLICKHOUSE_URL: "",
  CLICKHOUSE_USER: "",
  CLICKHOUSE_PASSWORD: "",
  CLICKHOUSE_DATABASE: "",
};

/** No CLICKHOUSE_* variable from the environment of the test run. */
function clearClickHouseEnv(): void {
  for (const k of [
    "CLICKHOUSE_URL",
    "CLICKHOUSE_USER",
    "CLICKHOUSE_PASSWORD",
    "CLICKHOUSE_DATABASE",
  ])
    vi.stubEnv(k, "");
}

describe("target resolution (flags, environment, URL)", () => {
  it("flags win over the environment, which wins over the URL", () => {
    const password = join(tmp, "pw");
    writeFileSync(password, "from-file\n");
    const env = {
      CLICKHOUSE_USER: "env_user",
      CLICKHOUSE_PASSWORD: "env_pw",
      CLICKHOUSE_DATABASE: "env_db",
    };
    expect(
      resolveClickHouseTarget({ clickhouse: "http://u:p@ch:8123/url_db" }, env, {
        useUrlFromEnv: false,
        fallback: null,
      }),
    ).toEqual({
      target: {
        kind: "remote",
        url: "http://ch:8123",
        username: "env_user",
        password: "env_pw",
        database: "env_db",
      },
      notices: [
        "--clickhouse: the user in the URL is ignored because CLICKHOUSE_USER is set",
        "--clickhouse: the password in the URL is ignored because a password (CLICKHOUSE_PASSWORD or --password-file) is set",
        '--clickhouse: database "url_db" in the URL is ignored because --database or CLICKHOUSE_DATABASE is set',
        "the password in the --clickhouse URL is visible to other users (ps); use CLICKHOUSE_PASSWORD or --password-file",
      ],
      databaseSource: "CLICKHOUSE_DATABASE",
    });
    const flags = resolveClickHouseTarget(
      { clickhouse: "http://ch:8123", database: "flag_db", "password-file": password },
      env,
      { useUrlFromEnv: false, fallback: null },
    );
    expect(flags?.target).toMatchObject({ password: "from-file", database: "flag_db" });
    expect(flags?.databaseSource).toBe("--database");
    // CLICKHOUSE_URL is the target of lpa query and lpa run when --clickhouse is absent.
    const fromEnv = resolveClickHouseTarget(
      {},
      { ...env, CLICKHOUSE_URL: "http://ch2:8123" },
      { useUrlFromEnv: true, fallback: "embedded" },
    );
    expect(fromEnv?.target).toMatchObject({ url: "http://ch2:8123", username: "env_user" });
    // lpa replay: no --clickhouse, no ClickHouse.
    expect(
      resolveClickHouseTarget(
        {},
        { CLICKHOUSE_URL: "http://ch:8123" },
        {
          useUrlFromEnv: false,
          fallback: null,
        },
      ),
    ).toBeNull();
  });

  it("a password in the --clickhouse URL gets a notice; --password-file with embedded has no effect", () => {
    const url = resolveClickHouseTarget(
      { clickhouse: "http://u:secret@ch:8123" },
      {},
      {
        useUrlFromEnv: false,
        fallback: null,
      },
    );
    expect(url?.notices).toEqual([
      "the password in the --clickhouse URL is visible to other users (ps); use CLICKHOUSE_PASSWORD or --password-file",
    ]);
    const password = join(tmp, "pw2");
    writeFileSync(password, "x");
    const embedded = resolveClickHouseTarget(
      { clickhouse: "embedded:/tmp/x", "password-file": password },
      {},
      { useUrlFromEnv: false, fallback: null },
    );
    expect(embedded?.notices).toEqual(["--password-file has no effect with an embedded target"]);
    // Without effect, the file is not even read: a missing one does not fail the run.
    const missing = join(tmp, "no-such-password-file");
    expect(
      resolveClickHouseTarget(
        { clickhouse: "embedded:/tmp/x", "password-file": missing },
        {},
        { useUrlFromEnv: false, fallback: null },
      )?.notices,
    ).toEqual(["--password-file has no effect with an embedded target"]);
    expect(
      resolveClickHouseTarget(
        { "password-file": missing },
        {},
        { useUrlFromEnv: false, fallback: null },
      ),
    ).toBeNull();
  });

  it("one line per insert retry", () => {
    expect(
      retryLine({
        table: "raw_x",
        sequence: 3,
        rows: 500,
        attempt: 2,
        delayMs: 400,
        error: new Error("Too many simultaneous queries.\nmore detail"),
      }),
    ).toBe(
      "ClickHouse insert into raw_x (500 rows) failed: Too many simultaneous queries.; retry 2 in 400 ms",
    );
  });
});

describe("lpa query against a server", () => {
  it("sends its statement only (no CREATE DATABASE), with the CLICKHOUSE_* variables", async () => {
    const server = await fakeClickHouse();
    try {
      vi.stubEnv("CLICKHOUSE_URL", server.url);
      vi.stubEnv("CLICKHOUSE_USER", "reader");
      vi.stubEnv("CLICKHOUSE_PASSWORD", "s3cret");
      vi.stubEnv("CLICKHOUSE_DATABASE", "analytics");
      const r = await lpa(["query", "SELECT 1 AS x", "--format", "jsonl"]);
      expect(r).toEqual({ code: 0, out: '{"x":1}\n', err: "" });
      expect(server.seen).toEqual([
        {
          sql: "SELECT 1 AS x FORMAT JSONEachRow",
          user: "reader",
          password: "s3cret",
          database: "analytics",
        },
      ]);
    } finally {
      await server.close();
    }
  });

  it("--password-file and --database win over the environment", async () => {
    const server = await fakeClickHouse();
    const password = join(tmp, "password");
    writeFileSync(password, "from-file\r\n");
    try {
      clearClickHouseEnv();
      vi.stubEnv("CLICKHOUSE_PASSWORD", "from-env");
      const r = await lpa([
        "query",
        "SELECT 1 AS x",
        "--clickhouse",
        server.url.replace("http://", "http://reader@"),
        "--password-file",
        password,
        "--database",
        "other",
      ]);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toBe("");
      expect(server.seen.map((s) => [s.user, s.password, s.database])).toEqual([
        ["reader", "from-file", "other"],
      ]);
    } finally {
      await server.close();
    }
  });

  it("a missing --password-file is an I/O error: one line, exit 1", async () => {
    clearClickHouseEnv();
    const missing = join(tmp, "no-such-password");
    const r = await lpa([
      "query",
      "SELECT 1",
      "--clickhouse",
      "http://127.0.0.1:1",
      "--password-file",
      missing,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^lpa: --password-file ${missing}: ENOENT[^\\n]*\\n$`));
  });

  it("lpa replay --clickhouse uses CLICKHOUSE_USER and CLICKHOUSE_PASSWORD for every statement", async () => {
    const server = await fakeClickHouse();
    try {
      clearClickHouseEnv();
      vi.stubEnv("CLICKHOUSE_USER", "writer");
      vi.stubEnv("CLICKHOUSE_PASSWORD", "w-pass");
      const r = await lpa([
        "replay",
        jsonl,
        "--clickhouse",
        server.url,
        "--no-assertions",
        "--json",
      ]);
      expect(r.code, r.err).toBe(0);
      expect(server.seen.length).toBeGreaterThan(10);
      expect(new Set(server.seen.map((s) => `${s.user}:${s.password}`))).toEqual(
        new Set(["writer:w-pass"]),
      );
    } finally {
      await server.close();
    }
  });
});

describe("failures print one line (child process: the client's own logging would show)", () => {
  it("connection refused: one line, exit 1", async () => {
    const port = await closedPort();
    for (const args of [
      ["query", "SELECT 1", "--clickhouse", `http://127.0.0.1:${port}`],
      ["replay", jsonl, "--clickhouse", `http://127.0.0.1:${port}`],
    ]) {
      const r = await runLpa(cli, args, NO_CH_ENV);
      expect(r.code, r.err).toBe(1);
      const lines = r.err.trimEnd().split("\n");
      expect(lines.at(-1)).toBe(
        `lpa: cannot reach ClickHouse at http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
      );
      // replay first names its target; nothing else.
      expect(lines.length).toBe(args[0] === "replay" ? 2 : 1);
    }
  });

  it("a failing insert: one line per retry, then one error line", async () => {
    const server = await fakeClickHouse({ failInserts: true });
    try {
      const r = await runLpa(
        cli,
        ["replay", jsonl, "--clickhouse", server.url, "--no-assertions", "--batch-rows", "1000"],
        NO_CH_ENV,
      );
      expect(r.code).toBe(1);
      const lines = r.err.trimEnd().split("\n");
      expect(lines[0]).toBe(`lpa: ClickHouse ${server.url}, database livepeer_analytics`);
      expect(lines.at(-1)).toMatch(/^lpa: Insert of \d+ row\(s\) into \w+ failed after 5 attempt/);
      const retries = lines.slice(1, -1);
      expect(retries.length).toBeGreaterThan(0);
      for (const l of retries)
        expect(l).toMatch(
          /^lpa replay: ClickHouse insert into \w+ \(\d+ rows\) failed: Too many simultaneous queries\.; retry [1-4] in \d+ ms$/,
        );
    } finally {
      await server.close();
    }
  });
});

describe("embedded ClickHouse (chDB) in a child process", () => {
  it("lpa query honours CLICKHOUSE_URL=embedded:PATH and CLICKHOUSE_DATABASE", async () => {
    const r = await runLpa(cli, ["query", "SELECT currentDatabase() AS db", "--format", "jsonl"], {
      CLICKHOUSE_URL: `embedded:${join(tmp, "db")}`,
      CLICKHOUSE_DATABASE: "lpa_env_db",
    });
    expect(r.err).toBe("");
    expect([r.code, r.out]).toEqual([0, '{"db":"lpa_env_db"}\n']);
  });
});
