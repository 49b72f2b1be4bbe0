// projection-service: consumes fx.orders + fx.executions into the read models,
// the event store and the audit trail; ops endpoints on PORT (default 8084).
import { migrateEventStore, PostgresEventStore } from "@fxcore/event-store";
import {
  createKafka,
  createMetricsRegistry,
  createPgPool,
  databaseConfig,
  httpConfig,
  int,
  kafkaConfig,
  observabilityConfig,
  regionConfig,
  requireConfig,
  schemaRegistryConfig,
  startServiceRuntime,
  stopOnSignals,
  str,
} from "@fxcore/infra";
import { createSerde } from "@fxcore/schemas";
import { recordDigest } from "./audit/audit-store.ts";
import { decodeWith } from "./consumer/decode.ts";
import { PROJECTION_TOPICS, startProjectionConsumer } from "./consumer/projection-consumer.ts";
import { startOpsServer } from "./http-server.ts";
import { pairLookup } from "./reference-pairs.ts";
import { projectionMetrics } from "./service-metrics.ts";
import { activeSchema } from "./store/active.ts";
import { migrateProjection } from "./store/migrate.ts";

const config = requireConfig({
  ...databaseConfig,
  ...kafkaConfig,
  ...schemaRegistryConfig,
  ...observabilityConfig,
  ...regionConfig,
  ...httpConfig(8084),
  PROJECTION_GROUP_ID: str({ default: "projection-service" }),
  AUDIT_DIGEST_INTERVAL_MS: int({ default: 60_000, min: 1_000 }),
  // Overridable for tests that run on per-suite topics.
  PROJECTION_TOPICS: str({ default: PROJECTION_TOPICS.join(",") }),
  DLQ_TOPIC: str({ default: "fx.dlq" }),
  KAFKA_SESSION_TIMEOUT_MS: int({ default: 30_000, min: 6_000 }),
});
const runtime = startServiceRuntime("projection-service", config);
const { logger } = runtime;
const registry = createMetricsRegistry({
  service: "projection-service",
  region: config.FXCORE_REGION,
});
const metrics = projectionMetrics(registry);
const pool = createPgPool({
  connectionString: config.DATABASE_URL,
  applicationName: "projection-service",
  max: 6,
});

await migrateEventStore(pool);
await migrateProjection(pool);
let schema = await activeSchema(pool);
const kafka = createKafka({
  brokers: config.KAFKA_BROKERS,
  clientId: "projection-service",
  logger,
});
let consumerJoined = false;
const server = await startOpsServer(config.PORT, registry, async () => {
  await pool.query("SELECT 1");
  return { ok: consumerJoined, detail: { schema, consumerJoined } };
});
const startOn = (readModels: string) =>
  startProjectionConsumer({
    kafka,
    pool,
    groupId: config.PROJECTION_GROUP_ID,
    topics: config.PROJECTION_TOPICS.split(",").map((t) => t.trim()),
    dlqTopic: config.DLQ_TOPIC,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    decode: decodeWith(createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL }), {
      registryUrl: config.SCHEMA_REGISTRY_URL,
    }),
    projector: {
      schema: readModels,
      pairs: pairLookup(),
      eventStore: new PostgresEventStore(pool),
      audit: true,
      onProblem: (eventId, problem) => {
        metrics.problems.inc();
        logger.error({ eventId, problem }, "event not fully projected");
      },
    },
    logger,
    onBatch: (b) => {
      for (const p of b.partitions) metrics.recordPartition(p.topic, p.partition, p.applied, p.lag);
      metrics.recordBatch(b.size, b.result.duplicates);
    },
  });
let consumer = await startOn(schema);
void consumer.joined.then(() => {
  consumerJoined = true;
  logger.info({ port: config.PORT, schema }, "projection-service consuming");
});
// A rebuild switches the readers to a new version and hands it the offsets: follow it.
let switching = false;
const versionTimer = setInterval(() => {
  if (switching) return;
  activeSchema(pool).then(
    async (active) => {
      if (active === schema || switching) return;
      switching = true;
      logger.info({ from: schema, to: active }, "read-model version switched: moving the consumer");
      schema = active;
      consumerJoined = false;
      await consumer.stop();
      consumer = await startOn(active);
      await consumer.joined;
      consumerJoined = true;
      switching = false;
    },
    (err: unknown) => logger.warn({ err }, "active version check failed"),
  );
}, 5_000);
const digestTimer = setInterval(() => {
  recordDigest(pool).then(
    (d) =>
      logger.info(
        { digest: d.id, root: d.merkleRoot.toString("hex"), chains: d.heads.length },
        "audit digest recorded",
      ),
    (err: unknown) => logger.error({ err }, "audit digest failed"),
  );
}, config.AUDIT_DIGEST_INTERVAL_MS);

stopOnSignals(runtime, async () => {
  clearInterval(digestTimer);
  clearInterval(versionTimer);
  server.close();
  await consumer.stop().catch(() => {});
  await pool.end().catch(() => {});
});
