// command-service: the internal command API (PORT, default 8081) and, unless
// OUTBOX_RELAY=off, the outbox relay in the same process. WORKERS > 1 forks
// WORKERS - 1 more API processes: one Node thread serves one core's worth of
// HTTP (ADR 057). The first process accepts on PORT and deals connections to
// all of them in turn (ADR 101). Relay and session clock run in the first
// process only.
import { fork } from "node:child_process";
import type { Server } from "node:net";
import { REFERENCE_CATALOG } from "@fxcore/domain";
import {
  createKafka,
  createMetricsRegistry,
  createPgPool,
  createProducer,
  databaseConfig,
  httpConfig,
  int,
  kafkaConfig,
  observabilityConfig,
  oneOf,
  regionConfig,
  requireConfig,
  schemaRegistryConfig,
  startServiceRuntime,
  stopOnSignals,
} from "@fxcore/infra";
import { createSerde } from "@fxcore/schemas";
import { dealConnections, receiveConnections } from "./http/connection-dealer.ts";
import { OutboxRelay } from "./outbox-relay/relay.ts";
import { createCommandService } from "./service.ts";
import { homePairs, sessionClockConfig } from "./session-clock/config.ts";
import { SessionClock } from "./session-clock/session-clock.ts";

const config = requireConfig({
  ...databaseConfig,
  ...kafkaConfig,
  ...schemaRegistryConfig,
  ...observabilityConfig,
  ...regionConfig,
  ...httpConfig(8081),
  OUTBOX_RELAY: oneOf(["inline", "off"], { default: "inline" }),
  WORKERS: int({ default: 1, min: 1, max: 64 }),
  // Group commit (ADR 054, 108): the writer's batch settings, defaults as measured.
  COMMAND_WRITER_MAX_BATCH: int({ default: 512, min: 1, max: 10_000 }),
  COMMAND_WRITER_MIN_BUSY_BATCH: int({ default: 256, min: 1, max: 10_000 }),
  COMMAND_WRITER_CONCURRENCY: int({ default: 4, min: 1, max: 8 }),
  ...sessionClockConfig,
});
/** Set by the first process on the API processes it forks. */
const isWorker = process.env.COMMAND_SERVICE_WORKER === "1";
const runtime = startServiceRuntime("command-service", config);
const { logger } = runtime;
const pool = createPgPool({
  connectionString: config.DATABASE_URL,
  applicationName: "command-service",
  max: 16,
});
const codec = createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL });
// Each process keeps its own counters (ADR 057): the worker label keeps their series apart.
const metrics = createMetricsRegistry({
  service: "command-service",
  region: config.FXCORE_REGION,
  labels: config.WORKERS > 1 ? { worker: process.env.COMMAND_SERVICE_WORKER_INDEX ?? "0" } : {},
});
const service = await createCommandService({
  pool,
  codec,
  metrics,
  logger,
  writer: {
    maxBatch: config.COMMAND_WRITER_MAX_BATCH,
    minBusyBatch: config.COMMAND_WRITER_MIN_BUSY_BATCH,
    concurrency: config.COMMAND_WRITER_CONCURRENCY,
  },
});

// Only the region's home pairs get ticks (ADR 040): a tick is an input of the pair's sequencer.
const clockPairs = homePairs(config.FXCORE_HOME_PAIRS) ?? [...REFERENCE_CATALOG.keys()];
const unknownPairs = clockPairs.filter((p) => !REFERENCE_CATALOG.has(p as never));
if (unknownPairs.length > 0)
  throw new Error(`FXCORE_HOME_PAIRS names unknown pairs: ${unknownPairs.join(", ")}`);
const clock =
  config.SESSION_CLOCK === "on" && !isWorker
    ? new SessionClock({
        pool,
        store: service.store,
        codec,
        topic: "fx.orders",
        intervalMs: config.SESSION_CLOCK_INTERVAL_MS,
        heartbeatMs: config.SESSION_CLOCK_HEARTBEAT_MS,
        pairs: clockPairs,
        logger,
        metrics: service.metrics,
      })
    : undefined;
clock?.start();

let relay: OutboxRelay | undefined;
let disconnect: (() => Promise<void>) | undefined;
if (config.OUTBOX_RELAY === "inline" && !isWorker) {
  const producer = await createProducer(
    createKafka({ brokers: config.KAFKA_BROKERS, clientId: "command-service-relay", logger }),
  );
  disconnect = () => producer.disconnect();
  relay = new OutboxRelay({ pool, producer, logger });
  relay.start();
}

let stopping = false;
const workers = isWorker
  ? []
  : Array.from({ length: config.WORKERS - 1 }, (_, i) =>
      fork(process.argv[1] ?? "", process.argv.slice(2), {
        env: {
          ...process.env,
          COMMAND_SERVICE_WORKER: "1",
          COMMAND_SERVICE_WORKER_INDEX: String(i + 1),
        },
      }),
    );
let dealer: Server | undefined;
if (config.WORKERS === 1) await service.app.listen({ host: "0.0.0.0", port: config.PORT });
else {
  // Only the first process listens; the API processes serve what it deals them.
  await service.app.ready();
  if (isWorker) receiveConnections(service.app.server);
}
const shutdown = stopOnSignals(runtime, async () => {
  stopping = true;
  dealer?.close();
  for (const w of workers) w.kill("SIGTERM");
  // A send stuck in broker retries must not keep a stopping process alive.
  setTimeout(() => process.exit(1), 15_000).unref();
  await clock?.stop();
  await service.close();
  await relay?.stop();
  await disconnect?.();
  await pool.end();
});
// A worker that dies takes the service down: the orchestrator restarts it whole.
for (const w of workers)
  w.once("exit", (code) => {
    if (stopping) return;
    logger.error({ pid: w.pid, code }, "command-service worker exited");
    void shutdown("worker-exit", 1);
  });
await Promise.all(
  workers.map(
    (w) =>
      new Promise<void>((resolve, reject) => {
        w.once("message", () => resolve());
        w.once("exit", (code) => reject(new Error(`worker exited (${code}) before listening`)));
      }),
  ),
);
// Connections are dealt once every API process is ready for them.
if (config.WORKERS > 1 && !isWorker)
  dealer = await dealConnections(service.app.server, workers, "0.0.0.0", config.PORT);
process.send?.({ type: "listening" });
logger.info(
  {
    port: config.PORT,
    relay: isWorker ? "off" : config.OUTBOX_RELAY,
    sessionClock: isWorker ? "off" : config.SESSION_CLOCK,
    workers: isWorker ? undefined : config.WORKERS,
    worker: isWorker || undefined,
  },
  "command-service listening",
);

// A worker whose parent died (kill -9) must not keep serving on the shared port.
if (isWorker) {
  if (!process.connected) void shutdown("parent-exit", 1);
  else process.once("disconnect", () => void shutdown("parent-exit", 1));
}
