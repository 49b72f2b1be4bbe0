// A stand-alone outbox relay process (several may run: lanes are shared out
// by advisory locks). Env: DATABASE_URL, KAFKA_BROKERS, LOG_LEVEL,
// RELAY_MAX_LANES (optional cap on lanes this instance takes),
// RELAY_FAILPOINT_KILL_AFTER_SEND_PERMILLE (crash tests only).
import {
  createKafka,
  createLogger,
  createPgPool,
  createProducer,
  databaseConfig,
  int,
  kafkaConfig,
  observabilityConfig,
  optional,
  requireConfig,
  startTelemetry,
} from "@fxcore/infra";
import { OutboxRelay } from "./relay.ts";

const config = requireConfig({
  ...databaseConfig,
  ...kafkaConfig,
  ...observabilityConfig,
  RELAY_MAX_LANES: optional(int({ min: 1 })),
  // Crash tests only: die by SIGKILL after a publish, before its ack, with this chance (per mille).
  RELAY_FAILPOINT_KILL_AFTER_SEND_PERMILLE: int({ min: 0, max: 1000, default: 0 }),
});
const telemetry = startTelemetry({
  serviceName: "outbox-relay",
  otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
});
const logger = createLogger({ service: "outbox-relay", level: config.LOG_LEVEL });
const pool = createPgPool({
  connectionString: config.DATABASE_URL,
  applicationName: "outbox-relay",
  max: 2,
});
const producer = await createProducer(
  createKafka({ brokers: config.KAFKA_BROKERS, clientId: "outbox-relay", logger }),
);
const relay = new OutboxRelay({
  pool,
  producer,
  logger,
  ...(config.RELAY_MAX_LANES === undefined ? {} : { maxLanes: config.RELAY_MAX_LANES }),
  ...(config.RELAY_FAILPOINT_KILL_AFTER_SEND_PERMILLE > 0
    ? {
        afterSend: () => {
          if (Math.random() * 1000 < config.RELAY_FAILPOINT_KILL_AFTER_SEND_PERMILLE) {
            process.stderr.write("outbox relay failpoint: SIGKILL after send\n");
            process.kill(process.pid, "SIGKILL");
          }
        },
      }
    : {}),
});
relay.start();
logger.info("outbox relay running");

const shutdown = async () => {
  // A send stuck in broker retries must not keep a stopping process alive.
  setTimeout(() => process.exit(1), 15_000).unref();
  await relay.stop();
  await producer.disconnect();
  await pool.end();
  await telemetry.shutdown();
  process.exit(0);
};
process.once("SIGTERM", () => void shutdown());
process.once("SIGINT", () => void shutdown());
