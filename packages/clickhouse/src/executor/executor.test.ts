import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClickHouseLogLevel } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEmbeddedExecutor,
  loadChdbConnectionModule,
  openEmbeddedExecutor,
} from "./embedded.js";
import { ClickHouseAdapterError } from "./errors.js";
import {
  executorOverClient,
  qualifyTableName,
  quoteIdentifier,
  quoteString,
  renderInsertSettings,
  type ClickHouseExecutor,
} from "./executor.js";
import { createRemoteExecutor } from "./remote.js";
import { executorFromEnv } from "./target.js";

const rejectionOf = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => null,
    (e: unknown) => e,
  );

/** The same behaviour is expected from every executor kind. */
function executorSuite(
  label: string,
  open: () => Promise<ClickHouseExecutor>,
  expectedKind: "remote" | "embedded",
): void {
  describe(label, () => {
    let executor: ClickHouseExecutor;
    const table = `lpa_exec_${process.pid}_${Date.now()}`;

    beforeAll(async () => {
      executor = await open();
      await executor.command(
        `CREATE TABLE ${table} (id UInt32, name String, note Nullable(String)) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
      );
    });

    afterAll(async () => {
      await executor.command(`DROP TABLE IF EXISTS ${table}`);
      await executor.close();
    });

    it("has the expected kind and database", async () => {
      expect(executor.kind).toBe(expectedKind);
      const [row] = await executor.query<{ db: string }>("SELECT currentDatabase() AS db");
      expect(row?.db).toBe(executor.database);
    });

    it("insert + query round trip (objects, unqualified table)", async () => {
      await executor.insert(table, [
        { id: 1, name: "a", note: null },
        { id: 2, name: "é ✓ \"q\" 'q' \\ \n", note: "x" },
      ]);
      const rows = await executor.query<{ id: number; name: string; note: string | null }>(
        `SELECT id, name, note FROM ${table} WHERE id IN (1, 2) ORDER BY id`,
      );
      expect(rows).toEqual([
        { id: 1, name: "a", note: null },
        { id: 2, name: "é ✓ \"q\" 'q' \\ \n", note: "x" },
      ]);
    });

    it("insertJsonEachRow sends pre-serialized rows; empty arrays send nothing", async () => {
      await executor.insertJsonEachRow(table, [
        '{"id":10,"name":"ten"}',
        '{"id":11,"name":"eleven"}',
      ]);
      await executor.insertJsonEachRow(table, []);
      await executor.insert(table, []);
      const rows = await executor.query<{ n: number | string }>(
        `SELECT count() AS n FROM ${table} WHERE id IN (10, 11)`,
      );
      expect(Number(rows[0]?.n)).toBe(2);
    });

    it("binds query parameters", async () => {
      const rows = await executor.query<{ name: string }>(
        `SELECT name FROM ${table} WHERE id = {id:UInt32} AND name = {name:String}`,
        { id: 10, name: "ten" },
      );
      expect(rows).toEqual([{ name: "ten" }]);
    });

    it("a repeated deduplication token is not written twice, and does not leak to later inserts", async () => {
      const token = `tok-${table}`;
      await executor.insert(table, [{ id: 20, name: "first" }], { deduplicationToken: token });
      await executor.insert(table, [{ id: 21, name: "retry with same token" }], {
        deduplicationToken: token,
      });
      await executor.insert(table, [{ id: 22, name: "no token" }]);
      const rows = await executor.query<{ id: number }>(
        `SELECT id FROM ${table} WHERE id BETWEEN 20 AND 29 ORDER BY id`,
      );
      expect(rows.map((r) => r.id)).toEqual([20, 22]);
    });

    it("accepts a qualified table name", async () => {
      await executor.insert(qualifyTableName(executor.database, table), [{ id: 30, name: "q" }]);
      const rows = await executor.query<{ n: number | string }>(
        `SELECT count() AS n FROM ${quoteIdentifier(executor.database)}.${table} WHERE id = 30`,
      );
      expect(Number(rows[0]?.n)).toBe(1);
    });

    it("rejects server errors as ClickHouseError with the numeric code", async () => {
      const err = await rejectionOf(executor.insert("no_such_table", [{ id: 1 }]));
      expect(err).toBeInstanceOf(Error);
      expect((err as { code?: unknown }).code).toBe("60");
      const bad = await rejectionOf(executor.insertJsonEachRow(table, ['{"id":"not a number"}']));
      expect((bad as { code?: unknown }).code).toMatch(/^\d+$/);
      const syntax = await rejectionOf(executor.command("CREATE TABL oops"));
      expect((syntax as { code?: unknown }).code).toBe("62");
    });

    it("close is idempotent", async () => {
      const extra = await open();
      await extra.close();
      await extra.close();
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "lpa-sink-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

executorSuite(
  "embedded executor",
  () => createEmbeddedExecutor({ path: dir, database: "lpa_exec_test" }),
  "embedded",
);

const remoteUrl = process.env["CLICKHOUSE_URL"];
if (remoteUrl !== undefined && remoteUrl !== "" && /^https?:/i.test(remoteUrl)) {
  executorSuite(
    "remote executor",
    async () => (await executorFromEnv(process.env, { createDatabase: true })).executor,
    "remote",
  );
}

describe("close while statements run", () => {
  it("waits for in-flight statements to settle before closing the client", async () => {
    // A closed chDB connection under a running statement ends the process with a segfault, so
    // close() lets every in-flight statement finish (or fail) first.
    const events: string[] = [];
    let release!: () => void;
    const running = new Promise<void>((resolve) => {
      release = resolve;
    });
    const client = {
      exec: async () => {
        events.push("insert started");
        await running;
        events.push("insert failed");
        throw new Error("disk full");
      },
      command: async () => {
        events.push("command");
      },
      close: async () => {
        events.push("client closed");
      },
    };
    const executor = executorOverClient(client as never, "embedded", "db");
    const insert = rejectionOf(executor.insertJsonEachRow("t", ['{"id":1}']));
    const closed = executor.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual(["insert started"]);
    release();
    await closed;
    expect(events).toEqual(["insert started", "insert failed", "client closed"]);
    expect(((await insert) as Error).message).toBe("disk full");
    expect(executor.close()).toBe(closed);
  });
});

describe("embedded executor setup", () => {
  it("creates the database and makes it current", async () => {
    const ex = await createEmbeddedExecutor({ path: dir, database: "lpa_exec_other" });
    try {
      const rows = await ex.query<{ db: string; n: number | string }>(
        "SELECT currentDatabase() AS db, count() AS n FROM system.databases WHERE name = 'lpa_exec_other'",
      );
      expect(rows[0]?.db).toBe("lpa_exec_other");
      expect(Number(rows[0]?.n)).toBe(1);
    } finally {
      await ex.close();
    }
  });

  it("a second data directory in the same process → LPA_CH_EMBEDDED_OPEN_FAILED", async () => {
    const keep = await createEmbeddedExecutor({ path: dir, database: "lpa_exec_keep" });
    const otherDir = mkdtempSync(join(tmpdir(), "lpa-sink-"));
    try {
      const err = await rejectionOf(
        createEmbeddedExecutor({ path: otherDir, database: "lpa_exec_keep" }),
      );
      expect(ClickHouseAdapterError.isClickHouseAdapterError(err)).toBe(true);
      expect((err as ClickHouseAdapterError).code).toBe("LPA_CH_EMBEDDED_OPEN_FAILED");
      expect((err as ClickHouseAdapterError).cause).toBeInstanceOf(Error);
      // The engine that was already open keeps working.
      expect(await keep.query<{ x: number }>("SELECT 1 AS x")).toEqual([{ x: 1 }]);
    } finally {
      await keep.close();
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it("a missing chdb package → LPA_CH_EMBEDDED_UNAVAILABLE with an install hint", async () => {
    const missing = Object.assign(new Error("Cannot find package 'chdb' imported from x.js"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    const err = await rejectionOf(
      openEmbeddedExecutor({ path: dir, database: "x" }, () => Promise.reject(missing)),
    );
    expect(ClickHouseAdapterError.isClickHouseAdapterError(err)).toBe(true);
    expect((err as ClickHouseAdapterError).code).toBe("LPA_CH_EMBEDDED_UNAVAILABLE");
    expect((err as ClickHouseAdapterError).message).toBe(
      'Embedded ClickHouse needs the optional package "chdb" (>= 3.4), which is not installed: npm install chdb',
    );
    expect((err as ClickHouseAdapterError).cause).toBe(missing);
  });

  it("a chdb that fails to load or lacks the export → LPA_CH_EMBEDDED_UNAVAILABLE", async () => {
    const broken = await rejectionOf(
      loadChdbConnectionModule(() => Promise.reject(new Error("libchdb.so: cannot open"))),
    );
    expect((broken as ClickHouseAdapterError).code).toBe("LPA_CH_EMBEDDED_UNAVAILABLE");
    expect((broken as ClickHouseAdapterError).message).toContain("libchdb.so");
    const empty = await rejectionOf(loadChdbConnectionModule(() => Promise.resolve({})));
    expect((empty as ClickHouseAdapterError).code).toBe("LPA_CH_EMBEDDED_UNAVAILABLE");
  });

  it("loads the real chdb/connection (named or default export)", async () => {
    const mod = await loadChdbConnectionModule();
    expect(typeof mod.createChdbConnection).toBe("function");
    const createChdbConnection = (): null => null;
    const viaDefault = await loadChdbConnectionModule(() =>
      Promise.resolve({ default: { createChdbConnection } }),
    );
    expect(viaDefault.createChdbConnection).toBe(createChdbConnection);
  });
});

describe("remote executor construction", () => {
  it("uses only the URL's origin and sends nothing until used", async () => {
    const ex = await createRemoteExecutor({
      url: "http://user:pw@127.0.0.1:1/ignored/path?x=1",
      username: "u",
      database: "lpa",
    });
    expect(ex.kind).toBe("remote");
    expect(ex.database).toBe("lpa");
    await ex.close();
  });

  it("rejects URLs that are not http(s)", async () => {
    for (const url of ["not a url", "ftp://ch/db"]) {
      const err = await rejectionOf(createRemoteExecutor({ url, username: "u", database: "d" }));
      expect((err as ClickHouseAdapterError).code).toBe("LPA_CH_INVALID_TARGET");
    }
  });

  it("surfaces connection failures as retryable network errors", async () => {
    const ex = await createRemoteExecutor({
      url: "http://127.0.0.1:1",
      username: "u",
      database: "d",
      requestTimeoutMs: 2000,
      logLevel: ClickHouseLogLevel.OFF,
    });
    try {
      const err = await rejectionOf(ex.query("SELECT 1"));
      expect((err as { code?: unknown }).code).toBe("ECONNREFUSED");
    } finally {
      await ex.close();
    }
  });
});

describe("SQL helpers", () => {
  it("quotes identifiers and strings", () => {
    expect(quoteIdentifier("a`b\\c")).toBe("`a\\`b\\\\c`");
    expect(quoteString("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
  });

  it("qualifies bare table names only", () => {
    expect(qualifyTableName("lpa", "t")).toBe("`lpa`.`t`");
    expect(qualifyTableName("lpa", "other.t")).toBe("other.t");
    expect(qualifyTableName("lpa", "`t`")).toBe("`t`");
  });

  it("renders insert settings into the statement", () => {
    expect(renderInsertSettings()).toBe("");
    expect(renderInsertSettings({})).toBe("");
    expect(
      renderInsertSettings({
        deduplicationToken: "a'b",
        settings: { async_insert: true, max_insert_block_size: 1000, insert_quorum: "auto" },
      }),
    ).toBe(
      " SETTINGS async_insert = 1, max_insert_block_size = 1000, insert_quorum = 'auto', insert_deduplication_token = 'a\\'b'",
    );
  });

  it("rejects unsafe setting names and non-finite numbers", () => {
    for (const options of [
      { settings: { "x = 1; DROP TABLE t; --": 1 } },
      { settings: { max_threads: Number.NaN } },
    ]) {
      let code: string | null = null;
      try {
        renderInsertSettings(options);
      } catch (err) {
        code = ClickHouseAdapterError.isClickHouseAdapterError(err) ? err.code : "other";
      }
      expect(code).toBe("LPA_CH_INVALID_OPTIONS");
    }
  });
});
