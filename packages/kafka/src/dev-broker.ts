/**
 * A local single-node Apache Kafka broker (KRaft, broker and controller in one JVM) for development
 * and tests, run from the Kafka jars of Maven Central: {@link fetchKafkaJars} caches the jars,
 * {@link startDevBroker} formats a data directory and starts a detached broker on 127.0.0.1,
 * {@link stopDevBroker}, {@link killDevBroker}, {@link restartDevBroker} and
 * {@link devBrokerStatus} manage it through the `broker.json` file of its data directory.
 *
 * Requires Java 17+ (and Maven for the first fetch). Only processes proven to be the broker of the
 * data directory (their command line names `kafka.Kafka` and the data directory's
 * `server.properties`) are ever signalled.
 *
 * @module
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Version of Apache Kafka the dev broker runs. */
export const DEV_KAFKA_VERSION = "4.4.0";

/** Version of the log4j SLF4J binding added to the broker's class path (Kafka ships none). */
export const DEV_KAFKA_LOG4J_SLF4J_VERSION = "2.25.5";

/** Version of `maven-dependency-plugin` used to copy the jars (pinned for reproducible fetches). */
const DEPENDENCY_PLUGIN_VERSION = "3.8.1";

/** The log line that tells the broker is serving. */
const READY_LINE = "Kafka Server started";

/** Name of the marker file written last into a complete jar directory. */
const LIB_MARKER = ".lpa-complete.json";

/** Name of the state file in a data directory. */
const STATE_FILE = "broker.json";

/** Stable codes of {@link DevBrokerError}. */
export type DevBrokerErrorCode =
  /** No `java` on the PATH (or in `JAVA_HOME`). */
  | "LPA_KAFKA_JAVA_MISSING"
  /** `java` is older than 17. */
  | "LPA_KAFKA_JAVA_TOO_OLD"
  /** No `mvn` on the PATH (needed for the first fetch only). */
  | "LPA_KAFKA_MAVEN_MISSING"
  /** Maven could not fetch the jars. */
  | "LPA_KAFKA_FETCH_FAILED"
  /** Formatting the storage directory failed. */
  | "LPA_KAFKA_FORMAT_FAILED"
  /** A port to listen on is taken. */
  | "LPA_KAFKA_PORT_IN_USE"
  /** The broker of this data directory already runs on another port than the one asked. */
  | "LPA_KAFKA_ALREADY_RUNNING"
  /** The broker process exited before it was ready. */
  | "LPA_KAFKA_START_FAILED"
  /** The broker was not ready within the time limit. */
  | "LPA_KAFKA_START_TIMEOUT"
  /** The broker did not exit after SIGKILL. */
  | "LPA_KAFKA_STOP_FAILED"
  /** `broker.json` is unreadable. */
  | "LPA_KAFKA_STATE_INVALID";

/** A failure of the dev broker manager, with a stable {@link DevBrokerError.code}. */
export class DevBrokerError extends Error {
  /** Always `"DevBrokerError"`. */
  override readonly name = "DevBrokerError";
  /** Stable code for programs (the message is for people). */
  readonly code: DevBrokerErrorCode;

  /**
   * @param code - stable code
   * @param message - what went wrong and what to do about it
   * @param options - the underlying error, if any
   */
  constructor(code: DevBrokerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Entries of a Kafka `server.properties` file. */
export type DevBrokerProperties = Readonly<Record<string, string | number | boolean>>;

/** A progress callback: receives one human-readable line per step. */
export type DevBrokerLog = (line: string) => void;

/**
 * The default cache directory: `LPA_CACHE_DIR` when set, else
 * `${XDG_CACHE_HOME or ~/.cache}/livepeer-analytics`.
 *
 * @param env - the environment to read (default `process.env`)
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env["LPA_CACHE_DIR"];
  if (explicit !== undefined && explicit !== "") return resolve(explicit);
  const xdg = env["XDG_CACHE_HOME"];
  const base = xdg !== undefined && xdg !== "" ? xdg : join(homedir(), ".cache");
  return resolve(base, "livepeer-analytics");
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end; rejects only when it cannot be started (e.g. ENOENT). */
function run(
  file: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      [...args],
      {
        ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
        timeout: options.timeoutMs ?? 0,
        maxBuffer: 16 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code === "string") {
          reject(error);
          return;
        }
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

const tail = (text: string, lines = 30): string =>
  text.trimEnd().split(/\r?\n/).slice(-lines).join("\n");

/** The `java` executable: `$JAVA_HOME/bin/java` when it exists, else `java` from the PATH. */
function javaExecutable(): string {
  const home = process.env["JAVA_HOME"];
  if (home !== undefined && home !== "") {
    const candidate = join(home, "bin", "java");
    if (existsSync(candidate)) return candidate;
  }
  return "java";
}

let javaChecked: string | null = null;

/** Checks that Java 17+ is available; returns its executable. */
async function requireJava(): Promise<string> {
  const java = javaExecutable();
  if (javaChecked === java) return java;
  let result: RunResult;
  try {
    result = await run(java, ["-version"], { timeoutMs: 60_000 });
  } catch (error) {
    throw new DevBrokerError(
      "LPA_KAFKA_JAVA_MISSING",
      `Java 17 or newer is required to run the Kafka dev broker, but "${java}" cannot be run (${
        (error as NodeJS.ErrnoException).code ?? String(error)
      }); install a JDK 17+ (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME`,
      { cause: error },
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr + result.stdout);
  if (match !== null) {
    const major = match[1] === "1" ? Number(match[2] ?? 0) : Number(match[1]);
    if (major < 17)
      throw new DevBrokerError(
        "LPA_KAFKA_JAVA_TOO_OLD",
        `Kafka ${DEV_KAFKA_VERSION} needs Java 17 or newer, but "${java}" is Java ${major}; install a JDK 17+ or set JAVA_HOME`,
      );
  }
  javaChecked = java;
  return java;
}

// ---------------------------------------------------------------------------------------------
// Jars

/** Options of {@link fetchKafkaJars}. */
export interface FetchKafkaJarsOptions {
  /** Cache directory (default {@link defaultCacheDir}). */
  readonly cacheDir?: string;
  /** Progress lines. */
  readonly log?: DevBrokerLog;
}

/** Where the broker's jars are, as returned by {@link fetchKafkaJars}. */
export interface KafkaJars {
  /** The directory holding every jar of the broker's class path. */
  readonly libDir: string;
  /** The class path argument for `java -cp` (`<libDir>/*`). */
  readonly classPath: string;
  /** Number of jars. */
  readonly jars: number;
  /** Whether this call downloaded them (`false`: they were cached). */
  readonly fetched: boolean;
  /** Wall time of the call, ms. */
  readonly elapsedMs: number;
}

interface LibMarker {
  readonly kafka: string;
  readonly log4jSlf4j: string;
  readonly jars: readonly string[];
}

function readMarker(libDir: string): LibMarker | null {
  try {
    const marker = JSON.parse(readFileSync(join(libDir, LIB_MARKER), "utf8")) as LibMarker;
    if (
      marker.kafka !== DEV_KAFKA_VERSION ||
      marker.log4jSlf4j !== DEV_KAFKA_LOG4J_SLF4J_VERSION ||
      !Array.isArray(marker.jars) ||
      marker.jars.length === 0
    )
      return null;
    return marker.jars.every((jar) => existsSync(join(libDir, jar))) ? marker : null;
  } catch {
    return null;
  }
}

const pom = (): string => `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.livepeer.analytics</groupId>
  <artifactId>lpa-kafka-dev-broker</artifactId>
  <version>0.0.0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>${DEV_KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>${DEV_KAFKA_LOG4J_SLF4J_VERSION}</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${DEPENDENCY_PLUGIN_VERSION}</version>
      </plugin>
    </plugins>
  </build>
</project>
`;

/** The jar directory of a cache directory: `<cache>/kafka-<version>/lib`. */
export function kafkaLibDir(cacheDir: string = defaultCacheDir()): string {
  return join(resolve(cacheDir), `kafka-${DEV_KAFKA_VERSION}`, "lib");
}

/**
 * Ensures the broker's jars (`org.apache.kafka:kafka_2.13` and `log4j-slf4j-impl`, with their
 * runtime dependencies) are in `<cache>/kafka-<version>/lib`, fetching them with Maven
 * (local repository `<cache>/m2`) when they are not. A complete directory carries a marker file
 * and is renamed into place in one step, so a half-finished fetch is never used; a cached
 * directory is used without running Maven (offline).
 *
 * @throws {@link DevBrokerError} `LPA_KAFKA_MAVEN_MISSING`, `LPA_KAFKA_JAVA_MISSING`,
 *   `LPA_KAFKA_FETCH_FAILED`
 */
export async function fetchKafkaJars(options: FetchKafkaJarsOptions = {}): Promise<KafkaJars> {
  const started = Date.now();
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir());
  const libDir = kafkaLibDir(cacheDir);
  const result = (jars: number, fetched: boolean): KafkaJars => ({
    libDir,
    classPath: join(libDir, "*"),
    jars,
    fetched,
    elapsedMs: Date.now() - started,
  });
  const cached = readMarker(libDir);
  if (cached !== null) return result(cached.jars.length, false);

  await requireJava();
  const versionDir = join(cacheDir, `kafka-${DEV_KAFKA_VERSION}`);
  mkdirSync(versionDir, { recursive: true });
  const work = join(versionDir, `.fetch-${process.pid}-${randomBytes(4).toString("hex")}`);
  const out = join(work, "lib");
  mkdirSync(out, { recursive: true });
  try {
    writeFileSync(join(work, "pom.xml"), pom());
    options.log?.(
      `fetching Kafka ${DEV_KAFKA_VERSION} jars from Maven Central into ${libDir} (Maven repository ${join(cacheDir, "m2")})`,
    );
    let mvn: RunResult;
    try {
      mvn = await run(
        "mvn",
        [
          "-B",
          "-q",
          "-f",
          join(work, "pom.xml"),
          `-Dmaven.repo.local=${join(cacheDir, "m2")}`,
          "dependency:copy-dependencies",
          `-DoutputDirectory=${out}`,
          "-DincludeScope=runtime",
        ],
        { cwd: work, timeoutMs: 15 * 60_000 },
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT")
        throw new DevBrokerError(
          "LPA_KAFKA_MAVEN_MISSING",
          `Maven ("mvn") is required to fetch the Kafka jars the first time, but it is not on the PATH; install it (e.g. apt-get install maven); later starts use the jars cached in ${libDir} and need no Maven`,
          { cause: error },
        );
      throw new DevBrokerError(
        "LPA_KAFKA_FETCH_FAILED",
        `cannot run Maven to fetch the Kafka jars: ${String(error)}`,
        { cause: error },
      );
    }
    const jars = readdirSync(out)
      .filter((f) => f.endsWith(".jar"))
      .sort();
    const missing = [
      `kafka_2.13-${DEV_KAFKA_VERSION}.jar`,
      `log4j-slf4j-impl-${DEV_KAFKA_LOG4J_SLF4J_VERSION}.jar`,
    ].filter((jar) => !jars.includes(jar));
    if (mvn.code !== 0 || missing.length > 0)
      throw new DevBrokerError(
        "LPA_KAFKA_FETCH_FAILED",
        `Maven could not fetch the Kafka ${DEV_KAFKA_VERSION} jars (exit code ${mvn.code}${
          missing.length > 0 ? `, missing ${missing.join(", ")}` : ""
        }); is Maven Central reachable?\n${tail(mvn.stdout + mvn.stderr)}`,
      );
    const marker: LibMarker = {
      kafka: DEV_KAFKA_VERSION,
      log4jSlf4j: DEV_KAFKA_LOG4J_SLF4J_VERSION,
      jars,
    };
    writeFileSync(join(out, LIB_MARKER), JSON.stringify(marker, null, 2) + "\n");
    // An incomplete directory left by an older fetch is moved aside first.
    if (existsSync(libDir) && readMarker(libDir) === null)
      renameSync(libDir, join(work, "stale-lib"));
    try {
      renameSync(out, libDir);
    } catch (error) {
      // Another fetch finished first: use its directory.
      const winner = readMarker(libDir);
      if (winner === null)
        throw new DevBrokerError(
          "LPA_KAFKA_FETCH_FAILED",
          `cannot move the fetched jars into ${libDir}: ${String(error)}`,
          { cause: error },
        );
      return result(winner.jars.length, true);
    }
    options.log?.(`fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result(jars.length, true);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Processes and state

/** What `broker.json` in a data directory records. */
export interface DevBrokerState {
  /** Pid of the broker's JVM; `null` once it is known to be gone. */
  readonly pid: number | null;
  /** Client (PLAINTEXT) port on 127.0.0.1. */
  readonly port: number;
  /** Controller (KRaft) port on 127.0.0.1. */
  readonly controllerPort: number;
  /** KRaft cluster id the storage was formatted with. */
  readonly clusterId: string;
  /** When the process was launched (ISO 8601). */
  readonly startedAt: string;
  /** When the broker logged that it was serving (ISO 8601), `null` while starting. */
  readonly readyAt: string | null;
  /**
   * Absolute path of the `server.properties` the broker was started with: its command line must
   * contain it (and `kafka.Kafka`) for the pid to be treated as this broker.
   */
  readonly cmdlineMarker: string;
}

const serverPropertiesPath = (dataDir: string): string => join(dataDir, "server.properties");

function readState(dataDir: string): DevBrokerState | null {
  const file = join(dataDir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  try {
    const state = JSON.parse(text) as DevBrokerState;
    if (typeof state.port !== "number" || typeof state.controllerPort !== "number")
      throw new Error("port or controllerPort is missing");
    return state;
  } catch (error) {
    throw new DevBrokerError(
      "LPA_KAFKA_STATE_INVALID",
      `${file} is not a valid dev broker state file (${String(error)}); remove it to start over`,
      { cause: error },
    );
  }
}

function writeState(dataDir: string, state: DevBrokerState): void {
  const file = join(dataDir, STATE_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state, null, 2) + "\n");
  renameSync(temp, file);
}

/** The command line of a live process as its arguments, or `null` (gone, zombie, not visible). */
async function commandLine(pid: number): Promise<string[] | null> {
  if (existsSync("/proc/self/cmdline")) {
    try {
      const raw = await readFile(`/proc/${pid}/cmdline`, "utf8");
      if (raw === "") return null; // a zombie or a kernel thread
      return raw.replace(/\0$/, "").split("\0");
    } catch {
      return null;
    }
  }
  try {
    const ps = await run("ps", ["-ww", "-o", "args=", "-p", String(pid)]);
    const line = ps.stdout.trim();
    return ps.code === 0 && line !== "" ? line.split(/\s+/) : null;
  } catch {
    return null;
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether `pid` is alive and is the broker of the data directory (per its command line). */
async function isOurBroker(pid: number, dataDir: string): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0 || !pidExists(pid)) return false;
  const args = await commandLine(pid);
  return (
    args !== null && args.includes("kafka.Kafka") && args.includes(serverPropertiesPath(dataDir))
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * State letter and start time (clock ticks after boot) of a process, from `/proc/<pid>/stat`:
 * `null` when there is no such process, `undefined` when `/proc` is not available.
 */
async function procStat(
  pid: number,
): Promise<{ state: string; startTime: string } | null | undefined> {
  if (!existsSync("/proc/self/stat")) return undefined;
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // "pid (comm) state ppid ..." where comm may hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", startTime: fields[19] ?? "" };
}

/**
 * Waits until `pid`, known to be our broker, has exited; `true` when it did within `timeoutMs`.
 * On Linux a process counts as gone only once it is reaped, a zombie, or its pid belongs to a
 * newer process: an exiting JVM loses its command line before it closes its sockets.
 */
async function waitGone(pid: number, dataDir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const first = await procStat(pid);
  for (;;) {
    if (first === undefined) {
      if (!(await isOurBroker(pid, dataDir))) return true;
    } else {
      const now = await procStat(pid);
      if (
        first === null ||
        now === null ||
        now === undefined ||
        now.state === "Z" ||
        now.state === "X" ||
        now.startTime !== first.startTime
      )
        return true;
    }
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------
// Ports

function listenOn(port: number): Promise<Server> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolvePromise(server));
  });
}

const closeServer = (server: Server): Promise<void> => new Promise((r) => server.close(() => r()));

const portOf = (server: Server): number => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return address.port;
};

/**
 * Chooses the client and controller ports: `wanted` (or a free port when `undefined`/0) and
 * `wantedController` when free (else a free port); the two differ.
 */
async function choosePorts(
  wanted: number | undefined,
  wantedController: number | undefined,
): Promise<{ port: number; controllerPort: number }> {
  const held: Server[] = [];
  try {
    const take = async (p: number): Promise<number> => {
      const server = await listenOn(p);
      held.push(server);
      return portOf(server);
    };
    let port: number;
    if (wanted !== undefined && wanted !== 0) {
      // A broker that has just exited may hold its port for a moment: retry briefly.
      const until = Date.now() + 10_000;
      for (;;) {
        try {
          port = await take(wanted);
          break;
        } catch (error) {
          if (Date.now() < until) {
            await sleep(250);
            continue;
          }
          throw new DevBrokerError(
            "LPA_KAFKA_PORT_IN_USE",
            `port ${wanted} on 127.0.0.1 is in use; stop what listens there or choose another port`,
            { cause: error },
          );
        }
      }
    } else port = await take(0);
    let controllerPort: number;
    if (wantedController !== undefined && wantedController !== 0 && wantedController !== port) {
      try {
        controllerPort = await take(wantedController);
      } catch {
        controllerPort = await take(0);
      }
    } else controllerPort = await take(0);
    return { port, controllerPort };
  } finally {
    await Promise.all(held.map(closeServer));
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration files

function serverProperties(
  dataDir: string,
  port: number,
  controllerPort: number,
  extra: DevBrokerProperties = {},
): string {
  const lines: [string, string | number | boolean][] = [
    ["process.roles", "broker,controller"],
    ["node.id", 1],
    ["controller.quorum.voters", `1@127.0.0.1:${controllerPort}`],
    ["listeners", `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`],
    ["advertised.listeners", `PLAINTEXT://127.0.0.1:${port}`],
    ["controller.listener.names", "CONTROLLER"],
    ["inter.broker.listener.name", "PLAINTEXT"],
    ["listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"],
    ["log.dirs", join(dataDir, "kraft-logs")],
    ["num.partitions", 1],
    ["default.replication.factor", 1],
    ["auto.create.topics.enable", true],
    ["offsets.topic.replication.factor", 1],
    ["offsets.topic.min.isr", 1],
    ["transaction.state.log.replication.factor", 1],
    ["transaction.state.log.min.isr", 1],
    ["share.coordinator.state.topic.replication.factor", 1],
    ["share.coordinator.state.topic.min.isr", 1],
    ["group.initial.rebalance.delay.ms", 0],
    ["log.cleaner.enable", true],
  ];
  for (const [key, v] of Object.entries(extra)) {
    const at = lines.findIndex(([k]) => k === key);
    if (at >= 0) lines[at] = [key, v];
    else lines.push([key, v]);
  }
  // Backslashes (Windows paths) must be escaped in a Java properties file.
  const value = (v: string | number | boolean): string => String(v).replace(/\\/g, "\\\\");
  return (
    "# Written by @livepeer-analytics/kafka (lpa dev-kafka) before every start; edits are lost.\n" +
    lines.map(([k, v]) => `${k}=${value(v)}`).join("\n") +
    "\n"
  );
}

const LOG4J2_PROPERTIES = `# Written by @livepeer-analytics/kafka (lpa dev-kafka): broker logs go to broker.log.
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRefs = stdout
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
`;

/** A KRaft cluster id: 16 random bytes, base64url without padding, not starting with `-`. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

function readClusterId(logDir: string): string | null {
  try {
    const text = readFileSync(join(logDir, "meta.properties"), "utf8");
    return /^cluster\.id=(.+)$/m.exec(text)?.[1]?.trim() ?? null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Start

/** Options of {@link startDevBroker}. */
export interface StartDevBrokerOptions {
  /**
   * Client port on 127.0.0.1. `0` or absent: the port of the previous run of this data directory
   * (from `broker.json`), else a free port.
   */
  readonly port?: number;
  /** Data directory (default `./lpa-kafka`, relative to the working directory). */
  readonly dataDir?: string;
  /** Cache directory of the jars (default {@link defaultCacheDir}). */
  readonly cacheDir?: string;
  /** JVM heap, MiB (default 512). */
  readonly heapMb?: number;
  /** Time limit for the broker to be ready, ms (default 120 000). */
  readonly timeoutMs?: number;
  /**
   * Extra `server.properties` entries, or overrides of the defaults (e.g.
   * `{ "broker.session.timeout.ms": 3000 }` for faster recovery after a kill in fault tests).
   * Written at every start: pass them again on restart.
   */
  readonly properties?: DevBrokerProperties;
  /** Progress lines. */
  readonly log?: DevBrokerLog;
}

/** A running dev broker, as returned by {@link startDevBroker}. */
export interface DevBroker {
  /** Bootstrap address for clients: `127.0.0.1:PORT`. */
  readonly bootstrap: string;
  /** Pid of the broker's JVM. */
  readonly pid: number;
  /** Client port. */
  readonly port: number;
  /** Controller port. */
  readonly controllerPort: number;
  /** Absolute data directory. */
  readonly dataDir: string;
  /** KRaft cluster id. */
  readonly clusterId: string;
  /** `true` when the broker was already running and this call started nothing. */
  readonly alreadyRunning: boolean;
  /** Wall time of the call, ms. */
  readonly elapsedMs: number;
}

/** Default time limit for the broker to become ready, ms. */
export const DEV_BROKER_START_TIMEOUT_MS = 120_000;

/** Default time limit for a graceful stop before SIGKILL, ms. */
export const DEV_BROKER_STOP_TIMEOUT_MS = 60_000;

/** Absolute data directory of an option (default `./lpa-kafka`). */
export function resolveDevBrokerDataDir(dataDir?: string): string {
  return resolve(dataDir ?? "lpa-kafka");
}

function lastLogLines(logFile: string, lines = 25): string {
  try {
    return tail(readFileSync(logFile, "utf8"), lines);
  } catch {
    return "(no log)";
  }
}

/** Waits for the ready line in the log; rejects when the child exits or the time is up. */
async function waitReady(
  child: ChildProcess,
  pid: number,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  let exit: string | null = null;
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    exit = signal !== null ? `killed by ${signal}` : `exit code ${code}`;
  };
  child.once("exit", onExit);
  const deadline = Date.now() + timeoutMs;
  let offset = 0;
  let carry = "";
  try {
    for (;;) {
      let size = 0;
      try {
        size = statSync(logFile).size;
      } catch {
        size = 0;
      }
      if (size > offset) {
        const fd = openSync(logFile, "r");
        try {
          const buffer = Buffer.alloc(size - offset);
          const n = readSync(fd, buffer, 0, buffer.length, offset);
          offset += n;
          const text = carry + buffer.subarray(0, n).toString("utf8");
          if (text.includes(READY_LINE)) return;
          carry = text.slice(-READY_LINE.length);
        } finally {
          closeSync(fd);
        }
      }
      if (exit !== null || !pidExists(pid))
        throw new DevBrokerError(
          "LPA_KAFKA_START_FAILED",
          `the Kafka broker exited before it was ready (${exit ?? "process gone"}); last lines of ${logFile}:\n${lastLogLines(logFile)}`,
        );
      if (Date.now() >= deadline)
        throw new DevBrokerError(
          "LPA_KAFKA_START_TIMEOUT",
          `the Kafka broker was not ready within ${Math.round(timeoutMs / 1000)} s (no "${READY_LINE}" in ${logFile}); it was stopped. Last lines:\n${lastLogLines(logFile)}`,
        );
      await sleep(150);
    }
  } finally {
    child.off("exit", onExit);
  }
}

const bootstrapOf = (port: number): string => `127.0.0.1:${port}`;

/**
 * Starts the dev broker of a data directory, detached (its own process group, output in
 * `<dataDir>/broker.log`), and resolves once it logs "Kafka Server started". When the broker of
 * this data directory is already running, returns it (`alreadyRunning: true`) without starting
 * another.
 *
 * Writes `server.properties` and `log4j2.properties` into the data directory, formats the storage
 * (`<dataDir>/kraft-logs`) only when it is not formatted yet, and records pid and ports in
 * `<dataDir>/broker.json`, so a later start of the same data directory keeps the cluster, its data
 * and its port.
 *
 * @throws {@link DevBrokerError} when Java is missing, the jars cannot be fetched, a port is taken,
 *   or the broker exits or is not ready in time (it is then stopped).
 */
export async function startDevBroker(options: StartDevBrokerOptions = {}): Promise<DevBroker> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const dataDir = resolveDevBrokerDataDir(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const previous = readState(dataDir);
  const requestedPort = options.port !== undefined && options.port !== 0 ? options.port : undefined;
  if (
    requestedPort !== undefined &&
    (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535)
  )
    throw new RangeError(`port must be an integer from 0 to 65535, got ${requestedPort}`);

  if (previous?.pid != null && (await isOurBroker(previous.pid, dataDir))) {
    if (requestedPort !== undefined && requestedPort !== previous.port)
      throw new DevBrokerError(
        "LPA_KAFKA_ALREADY_RUNNING",
        `the Kafka dev broker of ${dataDir} already runs on port ${previous.port} (pid ${previous.pid}); stop it before starting it on port ${requestedPort}`,
      );
    log(`Kafka dev broker already running (pid ${previous.pid}) at ${bootstrapOf(previous.port)}`);
    return {
      bootstrap: bootstrapOf(previous.port),
      pid: previous.pid,
      port: previous.port,
      controllerPort: previous.controllerPort,
      dataDir,
      clusterId: previous.clusterId,
      alreadyRunning: true,
      elapsedMs: Date.now() - started,
    };
  }

  const java = await requireJava();
  const jars = await fetchKafkaJars({
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
  });

  const { port, controllerPort } = await choosePorts(
    requestedPort ?? previous?.port,
    previous?.controllerPort,
  );
  const propertiesFile = serverPropertiesPath(dataDir);
  const log4jFile = join(dataDir, "log4j2.properties");
  const logDir = join(dataDir, "kraft-logs");
  const logFile = join(dataDir, "broker.log");
  writeFileSync(
    propertiesFile,
    serverProperties(dataDir, port, controllerPort, options.properties),
  );
  writeFileSync(log4jFile, LOG4J2_PROPERTIES);
  const jvmCommon = [
    `-Dlog4j2.configurationFile=${log4jFile}`,
    // Keeps logging alive during Kafka's own shutdown hook, so broker.log shows the whole stop.
    "-Dlog4j2.shutdownHookEnabled=false",
    "-Djava.awt.headless=true",
  ];

  let clusterId = readClusterId(logDir);
  if (clusterId === null) {
    clusterId = previous?.clusterId ?? newClusterId();
    log(`formatting ${logDir} (cluster id ${clusterId})`);
    const format = await run(
      java,
      [
        "-Xmx256m",
        ...jvmCommon,
        "-cp",
        jars.classPath,
        "kafka.tools.StorageTool",
        "format",
        "-t",
        clusterId,
        "-c",
        propertiesFile,
      ],
      { cwd: dataDir, timeoutMs: 180_000 },
    );
    if (format.code !== 0 || readClusterId(logDir) === null)
      throw new DevBrokerError(
        "LPA_KAFKA_FORMAT_FAILED",
        `formatting the Kafka storage in ${logDir} failed (exit code ${format.code}):\n${tail(format.stdout + format.stderr)}`,
      );
  }

  // Truncated before launch: a stale ready line must not satisfy the wait.
  const out = openSync(logFile, "w");
  let child: ChildProcess;
  try {
    const heapMb = options.heapMb ?? 512;
    child = spawn(
      java,
      [
        `-Xms${heapMb}m`,
        `-Xmx${heapMb}m`,
        ...jvmCommon,
        `-Dlpa.kafka.dataDir=${dataDir}`,
        "-cp",
        jars.classPath,
        "kafka.Kafka",
        propertiesFile,
      ],
      { cwd: dataDir, detached: true, stdio: ["ignore", out, out] },
    );
  } finally {
    closeSync(out);
  }
  const pid = await new Promise<number>((resolvePid, reject) => {
    child.once("error", (error) =>
      reject(
        new DevBrokerError("LPA_KAFKA_START_FAILED", `cannot start ${java}: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    child.once("spawn", () => resolvePid(child.pid!));
  });
  child.unref();
  const state: DevBrokerState = {
    pid,
    port,
    controllerPort,
    clusterId,
    startedAt: new Date().toISOString(),
    readyAt: null,
    cmdlineMarker: propertiesFile,
  };
  writeState(dataDir, state);
  log(
    `started Kafka ${DEV_KAFKA_VERSION} (pid ${pid}) on ${bootstrapOf(port)}, waiting until ready (log: ${logFile})`,
  );

  try {
    await waitReady(child, pid, logFile, options.timeoutMs ?? DEV_BROKER_START_TIMEOUT_MS);
  } catch (error) {
    if (await isOurBroker(pid, dataDir)) {
      process.kill(pid, "SIGKILL");
      await waitGone(pid, dataDir, 10_000);
    }
    writeState(dataDir, { ...state, pid: null });
    throw error;
  }
  writeState(dataDir, { ...state, readyAt: new Date().toISOString() });
  const elapsedMs = Date.now() - started;
  log(`Kafka dev broker ready at ${bootstrapOf(port)} in ${(elapsedMs / 1000).toFixed(1)} s`);
  return {
    bootstrap: bootstrapOf(port),
    pid,
    port,
    controllerPort,
    dataDir,
    clusterId,
    alreadyRunning: false,
    elapsedMs,
  };
}

// ---------------------------------------------------------------------------------------------
// Status, stop, kill, restart

/** Options naming a data directory. */
export interface DevBrokerDirOptions {
  /** Data directory (default `./lpa-kafka`). */
  readonly dataDir?: string;
}

/** What {@link devBrokerStatus} reports. */
export interface DevBrokerStatus {
  /** Whether the broker of the data directory is running (pid alive and proven to be it). */
  readonly running: boolean;
  /** Absolute data directory. */
  readonly dataDir: string;
  /** Pid, when running. */
  readonly pid?: number;
  /** Client port, when running. */
  readonly port?: number;
  /** Bootstrap address, when running. */
  readonly bootstrap?: string;
  /** Whether it logged that it was ready (a starting broker is running but not ready). */
  readonly ready?: boolean;
}

/** Reports whether the broker of a data directory is running. Never signals anything. */
export async function devBrokerStatus(options: DevBrokerDirOptions = {}): Promise<DevBrokerStatus> {
  const dataDir = resolveDevBrokerDataDir(options.dataDir);
  const state = readState(dataDir);
  if (state?.pid == null || !(await isOurBroker(state.pid, dataDir)))
    return { running: false, dataDir };
  return {
    running: true,
    dataDir,
    pid: state.pid,
    port: state.port,
    bootstrap: bootstrapOf(state.port),
    ready: state.readyAt !== null,
  };
}

/** Options of {@link stopDevBroker}. */
export interface StopDevBrokerOptions extends DevBrokerDirOptions {
  /** Time to wait after SIGTERM before SIGKILL, ms (default 60 000). */
  readonly timeoutMs?: number;
}

/** What {@link stopDevBroker} or {@link killDevBroker} did. */
export interface StopDevBrokerResult {
  /**
   * `stopped`: ended by SIGTERM; `killed`: ended by SIGKILL (asked, or SIGTERM timed out);
   * `not-running`: no live broker recorded; `not-our-process`: the recorded pid is alive but is
   * not this data directory's broker, so it was left alone.
   */
  readonly outcome: "stopped" | "killed" | "not-running" | "not-our-process";
  /** The pid recorded in `broker.json`, if any. */
  readonly pid?: number;
  /** Absolute data directory. */
  readonly dataDir: string;
  /** One human-readable sentence. */
  readonly message: string;
  /** Wall time of the call, ms. */
  readonly elapsedMs: number;
}

async function endBroker(
  options: StopDevBrokerOptions,
  mode: "term" | "kill",
): Promise<StopDevBrokerResult> {
  const started = Date.now();
  const dataDir = resolveDevBrokerDataDir(options.dataDir);
  const state = readState(dataDir);
  const done = (
    outcome: StopDevBrokerResult["outcome"],
    message: string,
    pid?: number | null,
  ): StopDevBrokerResult => ({
    outcome,
    ...(pid != null ? { pid } : {}),
    dataDir,
    message,
    elapsedMs: Date.now() - started,
  });
  if (state === null) return done("not-running", `no Kafka dev broker state in ${dataDir}`);
  const pid = state.pid;
  if (pid == null) return done("not-running", `the Kafka dev broker of ${dataDir} is not running`);
  if (!(await isOurBroker(pid, dataDir))) {
    const alive = pidExists(pid);
    writeState(dataDir, { ...state, pid: null });
    return alive
      ? done(
          "not-our-process",
          `pid ${pid} recorded in ${join(dataDir, STATE_FILE)} now belongs to another process (not this data directory's broker); left it alone`,
          pid,
        )
      : done("not-running", `the Kafka dev broker of ${dataDir} (pid ${pid}) is not running`, pid);
  }
  let outcome: "stopped" | "killed" = "stopped";
  if (mode === "term") {
    process.kill(pid, "SIGTERM");
    if (!(await waitGone(pid, dataDir, options.timeoutMs ?? DEV_BROKER_STOP_TIMEOUT_MS)))
      outcome = "killed";
  } else outcome = "killed";
  if (outcome === "killed") {
    // Checked again right before the signal: the pid is still this broker.
    if (await isOurBroker(pid, dataDir)) process.kill(pid, "SIGKILL");
    if (!(await waitGone(pid, dataDir, 30_000)))
      throw new DevBrokerError(
        "LPA_KAFKA_STOP_FAILED",
        `the Kafka dev broker (pid ${pid}) did not exit after SIGKILL`,
      );
  }
  writeState(dataDir, { ...state, pid: null });
  return done(
    outcome,
    outcome === "stopped"
      ? `stopped the Kafka dev broker (pid ${pid})`
      : `killed the Kafka dev broker (pid ${pid}) with SIGKILL`,
    pid,
  );
}

/**
 * Stops the broker of a data directory gracefully: SIGTERM, then SIGKILL when it is still running
 * after `timeoutMs`. Only a pid proven to be this data directory's broker (its command line has
 * `kafka.Kafka` and this `server.properties`) is signalled; a recorded pid now used by another
 * process is left alone and reported as `not-our-process`. Data and port survive for the next
 * start.
 */
export function stopDevBroker(options: StopDevBrokerOptions = {}): Promise<StopDevBrokerResult> {
  return endBroker(options, "term");
}

/**
 * Kills the broker of a data directory with SIGKILL (a crash, for fault tests), with the same
 * checks as {@link stopDevBroker}. The next {@link startDevBroker} of the data directory recovers
 * its data on the same port.
 */
export function killDevBroker(options: DevBrokerDirOptions = {}): Promise<StopDevBrokerResult> {
  return endBroker(options, "kill");
}

/** Options of {@link restartDevBroker}. */
export interface RestartDevBrokerOptions extends StartDevBrokerOptions {
  /** `true`: SIGKILL instead of a graceful stop (a crash and recovery). Default `false`. */
  readonly kill?: boolean;
  /** Time to wait after SIGTERM before SIGKILL, ms (default 60 000). */
  readonly stopTimeoutMs?: number;
}

/**
 * Stops (or with `kill: true`, kills) the broker of a data directory and starts it again with the
 * same data and port (unless `port` asks for another).
 */
export async function restartDevBroker(options: RestartDevBrokerOptions = {}): Promise<DevBroker> {
  const { kill, stopTimeoutMs, ...start } = options;
  const dataDir = resolveDevBrokerDataDir(options.dataDir);
  if (kill === true) await killDevBroker({ dataDir });
  else
    await stopDevBroker({
      dataDir,
      ...(stopTimeoutMs !== undefined ? { timeoutMs: stopTimeoutMs } : {}),
    });
  return startDevBroker({ ...start, dataDir });
}
