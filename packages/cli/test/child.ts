/**
 * Runs the `lpa` command as a real child process, on the TypeScript source: the source is bundled
 * with esbuild next to a copy of `bin/lpa.js` (under `node_modules/.cache`, so optional
 * dependencies such as `chdb` still resolve), and the bin runs it like the published command does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const cliRoot = join(import.meta.dirname, "..");
const repoRoot = join(cliRoot, "..", "..");

/** A bundled `lpa` command. */
export interface BuiltCli {
  /** Path of the bin script to run with `node`. */
  readonly bin: string;
  /** Removes the bundle. */
  dispose(): void;
}

/** Bundles `src/main.ts` (source export condition) and copies the bin next to it. */
export async function buildCli(): Promise<BuiltCli> {
  const cache = join(repoRoot, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const root = mkdtempSync(join(cache, "lpa-cli-test-"));
  mkdirSync(join(root, "bin"));
  copyFileSync(join(cliRoot, "bin", "lpa.js"), join(root, "bin", "lpa.js"));
  await build({
    entryPoints: [join(cliRoot, "src", "main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@livepeer-analytics/source"],
    external: ["chdb"],
    outfile: join(root, "dist", "main.js"),
    banner: {
      js: "import { createRequire as __lpaCreateRequire } from 'node:module'; const require = __lpaCreateRequire(import.meta.url);",
    },
    logLevel: "error",
  });
  return {
    bin: join(root, "bin", "lpa.js"),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** How a child run ended. */
export interface ChildResult {
  /** Exit code, or `null` when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it, or `null`. */
  readonly signal: NodeJS.Signals | null;
  /** Captured stdout. */
  readonly out: string;
  /** Captured stderr. */
  readonly err: string;
}

/** A started child run. */
export interface RunningChild {
  /** The process. */
  readonly child: ChildProcess;
  /** Settles when the process has exited. */
  readonly done: Promise<ChildResult>;
}

const running = new Set<ChildProcess>();

/** Kills (SIGKILL) every child started here that is still running, e.g. after a failed test. */
export function killRunning(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/** Starts `node bin args…` with extra environment variables. */
export function startLpa(
  cli: BuiltCli,
  args: readonly string[],
  env: Record<string, string> = {},
): RunningChild {
  const child = spawn(process.execPath, [cli.bin, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  // A child that exits before reading all of its input must not fail the test with EPIPE.
  child.stdin!.on("error", () => undefined);
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  running.add(child);
  const done = new Promise<ChildResult>((resolve) =>
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal, out, err });
    }),
  );
  return { child, done };
}

/** Runs `lpa args…` to completion (stdin closed at once). */
export function runLpa(
  cli: BuiltCli,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ChildResult> {
  const r = startLpa(cli, args, env);
  r.child.stdin!.end();
  return r.done;
}
