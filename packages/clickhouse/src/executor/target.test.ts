import { describe, expect, it } from "vitest";
import { ClickHouseAdapterError } from "./errors.js";
import {
  DEFAULT_CLICKHOUSE_DATABASE,
  DEFAULT_CLICKHOUSE_URL,
  DEFAULT_CLICKHOUSE_USER,
  clickHouseTargetFromEnv,
  databaseFromUrl,
  parseClickHouseTarget,
} from "./target.js";

const codeOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return ClickHouseAdapterError.isClickHouseAdapterError(err) ? err.code : "not-an-adapter-error";
  }
};

describe("databaseFromUrl (§8.1 derivation rule)", () => {
  it.each([
    ["http://clickhouse:8123", null],
    ["http://clickhouse:8123/", null],
    ["http://clickhouse", null],
    ["http://clickhouse:8123/analytics", "analytics"],
    ["https://u:p@ch.example.com:8443/analytics", "analytics"],
    ["http://proxy:8123/prefix/analytics", "analytics"],
    ["http://clickhouse:8123/analytics?compress=1", null],
    ["http://clickhouse:8123/a:b", null],
    ["clickhouse:8123/analytics", "analytics"],
  ])("%s → %s", (url, expected) => {
    expect(databaseFromUrl(url)).toBe(expected);
  });

  it("the default URL yields livepeer_analytics through the env loader", () => {
    const { target } = clickHouseTargetFromEnv({});
    expect(target).toEqual({
      kind: "remote",
      url: DEFAULT_CLICKHOUSE_URL,
      username: DEFAULT_CLICKHOUSE_USER,
      database: DEFAULT_CLICKHOUSE_DATABASE,
    });
  });
});

describe("parseClickHouseTarget", () => {
  it("embedded → in-memory engine", () => {
    expect(parseClickHouseTarget("embedded")).toEqual({
      kind: "embedded",
      path: ":memory:",
      database: "livepeer_analytics",
    });
  });

  it("embedded:PATH → on-disk engine, database from options", () => {
    expect(parseClickHouseTarget("embedded:./data/ch", { database: "lpa_test" })).toEqual({
      kind: "embedded",
      path: "./data/ch",
      database: "lpa_test",
    });
    expect(parseClickHouseTarget("embedded:C:\\data")).toMatchObject({ path: "C:\\data" });
  });

  it("http URL without path → default database and user, no password", () => {
    expect(parseClickHouseTarget("http://localhost:8123")).toEqual({
      kind: "remote",
      url: "http://localhost:8123",
      username: "analytics_user",
      database: "livepeer_analytics",
    });
  });

  it("https URL with credentials and database path", () => {
    expect(parseClickHouseTarget("https://bob:s%40cret@ch.example.com:8443/analytics")).toEqual({
      kind: "remote",
      url: "https://ch.example.com:8443",
      username: "bob",
      password: "s@cret",
      database: "analytics",
    });
  });

  it("explicit options win over the URL", () => {
    expect(
      parseClickHouseTarget("http://bob:pw@ch:8123/analytics", {
        username: "alice",
        password: "other",
        database: "lpa",
      }),
    ).toEqual({
      kind: "remote",
      url: "http://ch:8123",
      username: "alice",
      password: "other",
      database: "lpa",
    });
  });

  it("a last segment with ':' names no database", () => {
    expect(parseClickHouseTarget("http://ch:8123/a:b")).toMatchObject({
      database: "livepeer_analytics",
    });
  });

  it.each([
    "",
    "embedded:",
    "clickhouse:8123",
    "tcp://ch:9000",
    "ftp://ch/db",
    "http://",
    "http://ch:8123/db?compress=1",
    "http://ch:8123/#db",
    "Embedded",
  ])("rejects %j with LPA_CH_INVALID_TARGET", (spec) => {
    expect(codeOf(() => parseClickHouseTarget(spec))).toBe("LPA_CH_INVALID_TARGET");
  });
});

describe("clickHouseTargetFromEnv", () => {
  it("reads the four variables", () => {
    const r = clickHouseTargetFromEnv({
      CLICKHOUSE_URL: "https://ch.example.com:8443",
      CLICKHOUSE_DATABASE: "lpa",
      CLICKHOUSE_USER: "writer",
      CLICKHOUSE_PASSWORD: "pw",
    });
    expect(r.target).toEqual({
      kind: "remote",
      url: "https://ch.example.com:8443",
      username: "writer",
      password: "pw",
      database: "lpa",
    });
    expect(r.notices).toEqual([]);
  });

  it("derives the database from the URL when CLICKHOUSE_DATABASE is unset", () => {
    expect(
      clickHouseTargetFromEnv({ CLICKHOUSE_URL: "http://ch:8123/analytics" }).target,
    ).toMatchObject({ database: "analytics" });
  });

  it("treats empty values as unset (and has no built-in password)", () => {
    const r = clickHouseTargetFromEnv({
      CLICKHOUSE_URL: "",
      CLICKHOUSE_DATABASE: "",
      CLICKHOUSE_USER: "",
      CLICKHOUSE_PASSWORD: "",
    });
    expect(r.target).toEqual({
      kind: "remote",
      url: "http://clickhouse:8123",
      username: "analytics_user",
      database: "livepeer_analytics",
    });
    expect("password" in r.target).toBe(false);
    expect(r.notices).toEqual([]);
  });

  it("reports a URL database overridden by CLICKHOUSE_DATABASE", () => {
    const r = clickHouseTargetFromEnv({
      CLICKHOUSE_URL: "http://ch:8123/analytics",
      CLICKHOUSE_DATABASE: "lpa",
    });
    expect(r.target).toMatchObject({ database: "lpa" });
    expect(r.notices).toEqual([
      expect.objectContaining({ code: "ignored_value", key: "CLICKHOUSE_URL" }),
    ]);
    expect(r.notices[0]?.message).toContain('database "analytics"');
  });

  it("reports a last segment that the rule rejects, and the ignored query string", () => {
    const r = clickHouseTargetFromEnv({ CLICKHOUSE_URL: "http://ch:8123/analytics?compress=1" });
    expect(r.target).toMatchObject({ url: "http://ch:8123", database: "livepeer_analytics" });
    const messages = r.notices.map((n) => n.message).join("\n");
    expect(messages).toContain("query string");
    expect(messages).toContain('"analytics?compress=1"');
    expect(r.notices.every((n) => n.code === "ignored_value" && n.key === "CLICKHOUSE_URL")).toBe(
      true,
    );
  });

  it("uses URL credentials unless the variables are set, and reports overridden ones", () => {
    expect(
      clickHouseTargetFromEnv({ CLICKHOUSE_URL: "http://bob:pw@ch:8123" }).target,
    ).toMatchObject({ username: "bob", password: "pw" });
    const r = clickHouseTargetFromEnv({
      CLICKHOUSE_URL: "http://bob:pw@ch:8123",
      CLICKHOUSE_USER: "alice",
      CLICKHOUSE_PASSWORD: "secret",
    });
    expect(r.target).toMatchObject({ username: "alice", password: "secret" });
    expect(r.notices.map((n) => n.message)).toEqual([
      expect.stringContaining("user in the URL is ignored"),
      expect.stringContaining("password in the URL is ignored"),
    ]);
  });

  it("selects the embedded engine, reporting credentials it ignores", () => {
    const r = clickHouseTargetFromEnv({
      CLICKHOUSE_URL: "embedded:/var/lib/lpa",
      CLICKHOUSE_DATABASE: "lpa",
      CLICKHOUSE_USER: "writer",
    });
    expect(r.target).toEqual({ kind: "embedded", path: "/var/lib/lpa", database: "lpa" });
    expect(r.notices).toEqual([
      {
        code: "ignored_value",
        key: "CLICKHOUSE_USER",
        message: "CLICKHOUSE_USER is ignored by the embedded engine",
      },
    ]);
    expect(clickHouseTargetFromEnv({ CLICKHOUSE_URL: "embedded" }).target).toEqual({
      kind: "embedded",
      path: ":memory:",
      database: "livepeer_analytics",
    });
  });

  it.each(["clickhouse:8123", "tcp://ch:9000", "http://", "embedded:"])(
    "rejects CLICKHOUSE_URL=%j",
    (url) => {
      expect(codeOf(() => clickHouseTargetFromEnv({ CLICKHOUSE_URL: url }))).toBe(
        "LPA_CH_INVALID_TARGET",
      );
    },
  );
});

describe("errors about a malformed target never print its password", () => {
  const cases: [string, () => unknown][] = [
    ["query string", () => parseClickHouseTarget("http://u:S3CRET@127.0.0.1:1/?x=1")],
    ["not a URL", () => parseClickHouseTarget("http://u:S3CRET@[bad")],
    ["other scheme", () => parseClickHouseTarget("ftp://u:S3CRET@host")],
    ["env, other scheme", () => clickHouseTargetFromEnv({ CLICKHOUSE_URL: "ftp://u:S3CRET@h" })],
    ["env, not a URL", () => clickHouseTargetFromEnv({ CLICKHOUSE_URL: "http://u:S3CRET@[bad" })],
  ];
  it.each(cases)("%s", (_name, parse) => {
    let message = "";
    try {
      parse();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toBe("");
    expect(message).not.toContain("S3CRET");
    expect(message).toContain("u:***@");
  });
});
