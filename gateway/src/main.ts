// The gateway process: config, telemetry, key store, command-service client,
// read side, HTTP server; SIGINT/SIGTERM close it cleanly.

import { REFERENCE_CATALOG } from "@fxcore/domain";
import {
  Counter,
  createMetricsRegistry,
  createPgPool,
  redact,
  requireConfig,
  startServiceRuntime,
  stopOnSignals,
} from "@fxcore/infra";
import { migrateKeyStore, pgKeyLookup } from "./auth/key-store.ts";
import { parseMasterKey } from "./auth/secret-box.ts";
import { gatewayConfigSpec, rateLimitsFrom } from "./config.ts";
import { pgExecutionSource } from "./executions/pg-source.ts";
import { buildApp } from "./http/app.ts";
import { commandServiceClient } from "./upstream/command-client.ts";

const config = requireConfig(gatewayConfigSpec);
const runtime = startServiceRuntime("gateway", config);
const { logger } = runtime;
const master = parseMasterKey(config.GATEWAY_MASTER_KEY);
if (!master.ok) {
  logger.fatal(master.problem);
  process.exit(1);
}

const pool = createPgPool({
  connectionString: config.DATABASE_URL,
  applicationName: "gateway",
  max: 5,
});
await migrateKeyStore(pool);
const metrics = createMetricsRegistry({ service: "gateway", region: config.FXCORE_REGION });
const upstreamBatches = new Counter({
  name: "gateway_upstream_batches_total",
  help: "POST /orders/batch calls sent to command-service",
  registers: [metrics],
});
const upstreamBatchedOrders = new Counter({
  name: "gateway_upstream_batched_orders_total",
  help: "New orders sent to command-service inside batch calls",
  registers: [metrics],
});
const app = await buildApp({
  keys: pgKeyLookup(pool, master.key, { cacheMs: config.GATEWAY_KEY_CACHE_MS }),
  orderEntry: commandServiceClient({
    baseUrl: config.COMMAND_SERVICE_URL,
    catalog: REFERENCE_CATALOG,
    timeoutMs: config.GATEWAY_UPSTREAM_TIMEOUT_MS,
    connections: config.GATEWAY_UPSTREAM_CONNECTIONS,
    pipelining: config.GATEWAY_UPSTREAM_PIPELINING,
    batchMax: config.GATEWAY_UPSTREAM_BATCH,
    batchCallsMax: config.GATEWAY_UPSTREAM_BATCH_CALLS,
    batchHoldMs: config.GATEWAY_UPSTREAM_BATCH_HOLD_MS,
    batchOverlapMin: config.GATEWAY_UPSTREAM_BATCH_OVERLAP,
    batchFillMin: config.GATEWAY_UPSTREAM_BATCH_FILL,
    batchFillMs: config.GATEWAY_UPSTREAM_BATCH_FILL_MS,
    onBatch: (orders) => {
      upstreamBatches.inc();
      upstreamBatchedOrders.inc(orders);
    },
  }),
  executions:
    config.GATEWAY_EXECUTIONS === "read-model" ? pgExecutionSource(pool, REFERENCE_CATALOG) : null,
  rateLimits: rateLimitsFrom(config.GATEWAY_RATE_ORDER_PER_S, config.GATEWAY_RATE_QUERY_PER_S),
  logger,
  metrics,
  bodyLimitBytes: config.GATEWAY_BODY_LIMIT_BYTES,
  // Streams wake on the read model's NOTIFYs; the poll is only a fallback.
  sse: { heartbeatMs: 5_000, pollMs: 1_000, maxPerKey: config.GATEWAY_MAX_STREAMS_PER_KEY },
  readyChecks: [() => pool.query("SELECT 1").then(() => true)],
});

await app.listen({ host: "0.0.0.0", port: config.PORT });
logger.info(
  {
    port: config.PORT,
    commandService: config.COMMAND_SERVICE_URL,
    database: redact(config.DATABASE_URL),
  },
  "gateway listening",
);

stopOnSignals(runtime, async () => {
  await app.close();
  await pool.end();
});
