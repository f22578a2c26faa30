// `lpa sidecar` as a real process (the built CLI: run `npm run build -w @livepeer-analytics/core
// -w @livepeer-analytics/cli` first): the last stdout line is the bound address, /v1/health
// answers, SIGTERM stops it with exit code 0.
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "..", "..", "bin", "lpa.js");

describe("lpa sidecar", () => {
  it(
    "prints its address, serves /v1/health and exits 0 on SIGTERM",
    { timeout: 60_000 },
    async () => {
      const child = spawn(process.execPath, [bin, "sidecar", "--port", "0"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((resolve) =>
        child.on("exit", (code) => resolve(code)),
      );
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /(http:\/\/\S+)\n$/.exec(out);
          if (m !== null) resolve(m[1]!);
        });
        child.on("exit", () => reject(new Error(`lpa sidecar exited: ${err}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/v1/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ protocol: 1 });
      // A client that never finishes its body must not keep a stopping sidecar alive: after a
      // grace period its connection is cut and the process exits 0.
      const { port } = new URL(url);
      const slow = connect(Number(port), "127.0.0.1");
      await new Promise<void>((resolve) => slow.on("connect", resolve));
      slow.on("error", () => undefined);
      slow.write(
        "POST /v1/route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
      );
      const started = Date.now();
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(30_000);
      slow.destroy();
      expect(err).toBe("");
    },
  );

  it("refuses an unknown --emission", { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [bin, "sidecar", "--port", "0", "--emission", "all"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/--emission must be coalesced, every-change or final, got "all"/);
  });

  it("needs --port", { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [bin, "sidecar"], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/--port is required/);
  });
});
