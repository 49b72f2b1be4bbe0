import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

// "@fxcore/matcher/testing": the matcher as a child process on per-suite
// topics, the way tests (and benchmarks) run it: real process, real Kafka,
// killable with SIGKILL. One way to do it instead of one per suite.

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

export type MatcherTopicName = "fx.orders" | "fx.executions" | "fx.snapshots" | "fx.dlq";

export interface SpawnMatcherOptions {
  /** Kafka bootstrap servers (KAFKA_BROKERS), e.g. infraSettings().KAFKA_BROKERS. */
  readonly kafkaBrokers: string;
  /** SCHEMA_REGISTRY_URL, e.g. infraSettings().SCHEMA_REGISTRY_URL. */
  readonly registryUrl: string;
  /** The suite's topics by their agreed names (e.g. `TestTopics.names`). */
  readonly topics: Readonly<Record<MatcherTopicName, string>>;
  /** MATCHER_GROUP_ID (also the transactional-id prefix); instances of one matcher share it. */
  readonly groupId: string;
  /** Health/metrics port (PORT). */
  readonly port: number;
  /** stdout and stderr are appended here (directories created); default: stdout dropped, stderr inherited. */
  readonly logFile?: string;
  /**
   * More environment (MATCHER_SNAPSHOT_EVERY, FXCORE_WRITER_EPOCH, FXCORE_HOME_PAIRS, MATCHER_CONCURRENCY,
   * LOG_LEVEL …). Defaults for tests: MATCHER_SESSION_TIMEOUT_MS 6000, MATCHER_HEARTBEAT_MS 500, LOG_LEVEL info.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Node flags before the script, e.g. ["--cpu-prof"]. */
  readonly nodeArgs?: readonly string[];
}

export interface SpawnedMatcher {
  readonly process: ChildProcess;
  readonly port: number;
  /** Resolves once /readyz answers 200 (the instance joined its group); rejects on exit or timeout. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGKILL (a crash: no final snapshot); resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (final snapshots, leaves the group); resolves when the process is gone. */
  stop(): Promise<void>;
}

export function spawnMatcher(o: SpawnMatcherOptions): SpawnedMatcher {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), MAIN], {
    env: {
      ...process.env,
      LOG_LEVEL: "info",
      MATCHER_SESSION_TIMEOUT_MS: "6000",
      MATCHER_HEARTBEAT_MS: "500",
      ...o.env,
      KAFKA_BROKERS: o.kafkaBrokers,
      SCHEMA_REGISTRY_URL: o.registryUrl,
      PORT: String(o.port),
      MATCHER_GROUP_ID: o.groupId,
      MATCHER_INPUT_TOPIC: o.topics["fx.orders"],
      MATCHER_OUTPUT_TOPIC: o.topics["fx.executions"],
      MATCHER_SNAPSHOT_TOPIC: o.topics["fx.snapshots"],
      MATCHER_DLQ_TOPIC: o.topics["fx.dlq"],
    },
    stdio: o.logFile === undefined ? ["ignore", "ignore", "inherit"] : ["ignore", "pipe", "pipe"],
  });
  if (o.logFile !== undefined) {
    mkdirSync(dirname(o.logFile), { recursive: true });
    const log = createWriteStream(o.logFile, { flags: "a" });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const signal = async (sig: NodeJS.Signals) => {
    if (!gone()) child.kill(sig);
    await exited;
  };
  return {
    process: child,
    port: o.port,
    async ready(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (gone()) throw new Error(`matcher on port ${o.port} exited before it was ready`);
        const ok = await fetch(`http://127.0.0.1:${o.port}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        if (Date.now() > deadline)
          throw new Error(`matcher on port ${o.port} not ready in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    kill: () => signal("SIGKILL"),
    stop: () => signal("SIGTERM"),
  };
}
