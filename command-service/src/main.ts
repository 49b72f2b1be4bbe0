// command-service: the internal command API (PORT, default 8081) and, unless
// OUTBOX_RELAY=off, the outbox relay in the same process.
import { REFERENCE_CATALOG } from "@fxcore/domain";
import {
  createKafka,
  createLogger,
  createPgPool,
  createProducer,
  databaseConfig,
  httpConfig,
  kafkaConfig,
  observabilityConfig,
  oneOf,
  regionConfig,
  requireConfig,
  schemaRegistryConfig,
  startTelemetry,
} from "@fxcore/infra";
import { createSerde } from "@fxcore/schemas";
import { OutboxRelay } from "./outbox-relay/relay.ts";
import { homePairs, sessionClockConfig } from "./session-clock/config.ts";
import { SessionClock } from "./session-clock/session-clock.ts";
import { createCommandService } from "./service.ts";

const config = requireConfig({
  ...databaseConfig,
  ...kafkaConfig,
  ...schemaRegistryConfig,
  ...observabilityConfig,
  ...regionConfig,
  ...httpConfig(8081),
  OUTBOX_RELAY: oneOf(["inline", "off"], { default: "inline" }),
  ...sessionClockConfig,
});
const telemetry = startTelemetry({
  serviceName: "command-service",
  otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
});
const logger = createLogger({
  service: "command-service",
  level: config.LOG_LEVEL,
  region: config.FXCORE_REGION,
});
const pool = createPgPool({
  connectionString: config.DATABASE_URL,
  applicationName: "command-service",
  max: 16,
});
const codec = createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL });
const service = await createCommandService({ pool, codec });

// Only the region's home pairs get ticks (ADR 040): a tick is an input of the pair's sequencer.
const clockPairs = homePairs(config.FXCORE_HOME_PAIRS) ?? [...REFERENCE_CATALOG.keys()];
const unknownPairs = clockPairs.filter((p) => !REFERENCE_CATALOG.has(p as never));
if (unknownPairs.length > 0)
  throw new Error(`FXCORE_HOME_PAIRS names unknown pairs: ${unknownPairs.join(", ")}`);
const clock =
  config.SESSION_CLOCK === "on"
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
if (config.OUTBOX_RELAY === "inline") {
  const producer = await createProducer(
    createKafka({ brokers: config.KAFKA_BROKERS, clientId: "command-service-relay", logger }),
  );
  disconnect = () => producer.disconnect();
  relay = new OutboxRelay({ pool, producer, logger });
  relay.start();
}

await service.app.listen({ host: "0.0.0.0", port: config.PORT });
logger.info(
  { port: config.PORT, relay: config.OUTBOX_RELAY, sessionClock: config.SESSION_CLOCK },
  "command-service listening",
);

const shutdown = async (signal: string) => {
  logger.info({ signal }, "command-service stopping");
  // A send stuck in broker retries must not keep a stopping process alive.
  setTimeout(() => process.exit(1), 15_000).unref();
  await clock?.stop();
  await service.close();
  await relay?.stop();
  await disconnect?.();
  await pool.end();
  await telemetry.shutdown();
  process.exit(0);
};
process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));
