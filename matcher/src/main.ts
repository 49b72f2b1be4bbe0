import { createServer } from "node:http";
import {
  createKafka,
  createMetricsRegistry,
  metricsHandler,
  requireConfig,
  startServiceRuntime,
  stopOnSignals,
} from "@fxcore/infra";
import { REFERENCE_CATALOG } from "@fxcore/domain";
import { createSerde } from "@fxcore/schemas";
import { homePairsOf, matcherConfigSpec } from "./matcher-config.ts";
import { createMatcherMetrics } from "./matcher-metrics.ts";
import { startMatcher } from "./matcher-worker.ts";

// Matcher process: one consumer-group member. Health and metrics on PORT.

const config = requireConfig(matcherConfigSpec);
const runtime = startServiceRuntime("matcher", config);
const { logger } = runtime;
const registry = createMetricsRegistry({ service: "matcher", region: config.FXCORE_REGION });
// kafkajs retries a transaction's AddPartitionsToTxn that arrives while the
// previous commit's markers are still being written (CONCURRENT_TRANSACTIONS)
// after initialRetryTime: 10 ms instead of 100 keeps that wait off the
// latency, with a retry budget (~20 s) like the default's.
const kafka = createKafka({
  brokers: config.KAFKA_BROKERS,
  clientId: "fxcore-matcher",
  logger,
  retry: { initialRetryTime: 10, retries: 12, maxRetryTime: 5000 },
});
const serde = createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL });

const matcher = await startMatcher({
  kafka,
  serde,
  registryUrl: config.SCHEMA_REGISTRY_URL,
  logger,
  groupId: config.MATCHER_GROUP_ID,
  inputTopic: config.MATCHER_INPUT_TOPIC,
  outputTopic: config.MATCHER_OUTPUT_TOPIC,
  snapshotTopic: config.MATCHER_SNAPSHOT_TOPIC,
  dlqTopic: config.MATCHER_DLQ_TOPIC,
  snapshotEvery: config.MATCHER_SNAPSHOT_EVERY,
  transactionalIdPrefix: config.MATCHER_GROUP_ID,
  concurrency: config.MATCHER_CONCURRENCY,
  sessionTimeoutMs: config.MATCHER_SESSION_TIMEOUT_MS,
  heartbeatMs: config.MATCHER_HEARTBEAT_MS,
  maxInputsPerTransaction: config.MATCHER_MAX_TXN_INPUTS,
  minTransactionIntervalMs: config.MATCHER_TXN_INTERVAL_MS,
  catchUpFillMs: config.MATCHER_CATCH_UP_FILL_MS,
  snapshotMaxBytes: config.MATCHER_SNAPSHOT_MAX_BYTES,
  snapshotThread: config.MATCHER_SNAPSHOT_THREAD,
  metrics: createMatcherMetrics(registry),
  matcher: {
    catalog: REFERENCE_CATALOG,
    writerEpoch: config.FXCORE_WRITER_EPOCH,
    homePairs: homePairsOf(config.FXCORE_HOME_PAIRS),
  },
});

const metrics = metricsHandler(registry);
const server = createServer((req, res) => {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (req.url === "/healthz") return json(200, { status: "ok" });
  if (req.url === "/readyz") {
    return matcher.ready()
      ? json(200, { status: "ready", partitions: matcher.owned() })
      : json(503, { status: "joining" });
  }
  if (req.url === "/metrics") return metrics(req, res);
  json(404, { error: { code: "NOT_FOUND", message: "no such endpoint" } });
});
server.listen(config.PORT, "0.0.0.0", () =>
  logger.info({ port: config.PORT }, "matcher listening"),
);

stopOnSignals(runtime, async () => {
  server.close();
  await matcher.stop();
});
