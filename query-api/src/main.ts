// query-api: read endpoints, SSE and OpenAPI on PORT (default 8082).

import { REFERENCE_CATALOG } from "@fxcore/domain";
import {
  createMetricsRegistry,
  createPgPool,
  databaseConfig,
  httpConfig,
  int,
  observabilityConfig,
  optional,
  regionConfig,
  requireConfig,
  startServiceRuntime,
  stopOnSignals,
  url,
} from "@fxcore/infra";
import { eventDecoder, regulatorApi } from "@fxcore/replay";
import { createSerde } from "@fxcore/schemas";
import { buildApp } from "./http/app.ts";
import { startNotificationHub } from "./live/hub.ts";

const config = requireConfig({
  ...databaseConfig,
  ...observabilityConfig,
  ...regionConfig,
  ...httpConfig(8082),
  READ_YOUR_WRITES_TIMEOUT_MS: int({ default: 2_000, min: 0, max: 30_000 }),
  SSE_HEARTBEAT_MS: int({ default: 15_000, min: 100 }),
  // The regulator endpoints decode the event log: they need the registry.
  SCHEMA_REGISTRY_URL: optional(url({ protocols: ["http", "https"] })),
});
const runtime = startServiceRuntime("query-api", config);
const { logger } = runtime;
const pool = createPgPool({
  connectionString: config.DATABASE_URL,
  applicationName: "query-api",
  max: 10,
});
const hub = await startNotificationHub(config.DATABASE_URL, logger);
const app = await buildApp({
  pool,
  hub,
  logger,
  readYourWritesTimeoutMs: config.READ_YOUR_WRITES_TIMEOUT_MS,
  heartbeatMs: config.SSE_HEARTBEAT_MS,
  metrics: createMetricsRegistry({ service: "query-api", region: config.FXCORE_REGION }),
  ...(config.SCHEMA_REGISTRY_URL
    ? (() => {
        const serde = createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL });
        return {
          regulator: regulatorApi({
            pool,
            serde,
            decode: eventDecoder(serde, { registryUrl: config.SCHEMA_REGISTRY_URL }),
            instruments: REFERENCE_CATALOG,
          }),
        };
      })()
    : {}),
});
await app.listen({ port: config.PORT, host: "0.0.0.0" });
logger.info({ port: config.PORT }, "query-api listening");

stopOnSignals(runtime, async () => {
  await app.close().catch(() => {});
  await hub.close();
  await pool.end().catch(() => {});
});
