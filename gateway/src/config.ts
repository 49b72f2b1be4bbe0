// The gateway's environment, through infra's one config loader.

import {
  databaseConfig,
  httpConfig,
  int,
  observabilityConfig,
  oneOf,
  regionConfig,
  str,
  url,
} from "@fxcore/infra";

export const gatewayConfigSpec = {
  ...httpConfig(8080),
  ...databaseConfig,
  ...observabilityConfig,
  ...regionConfig,
  COMMAND_SERVICE_URL: url({ default: "http://127.0.0.1:8081", protocols: ["http"] }),
  /** 32 bytes, base64 or hex: seals API secrets at rest. From a secret store, never the repo. */
  GATEWAY_MASTER_KEY: str(),
  GATEWAY_RATE_ORDER_PER_S: int({ default: 1_000, min: 1 }),
  GATEWAY_RATE_QUERY_PER_S: int({ default: 100, min: 1 }),
  GATEWAY_BODY_LIMIT_BYTES: int({ default: 16 * 1024, min: 256, max: 1024 * 1024 }),
  GATEWAY_UPSTREAM_TIMEOUT_MS: int({ default: 5_000, min: 100 }),
  /** Keep-alive connections to command-service, opened as load needs them. */
  GATEWAY_UPSTREAM_CONNECTIONS: int({ default: 8, min: 1, max: 1024 }),
  /** Requests in flight per upstream connection (HTTP/1.1 pipelining). */
  GATEWAY_UPSTREAM_PIPELINING: int({ default: 16, min: 1, max: 256 }),
  /** New orders per POST /orders/batch (one event-loop turn's worth at most); 0 = one call per order. */
  GATEWAY_UPSTREAM_BATCH: int({ default: 64, min: 0, max: 1_000 }),
  /** Batch calls in flight before new orders wait for one to answer (ADR 118); full calls always go. 0 = no limit. */
  GATEWAY_UPSTREAM_BATCH_CALLS: int({ default: 1, min: 0, max: 1_000 }),
  /** Longest a new order waits for the calls limit before it leaves anyway (ADR 118). */
  GATEWAY_UPSTREAM_BATCH_HOLD_MS: int({ default: 20, min: 0, max: 1_000 }),
  /**
   * Orders that send a call even while the calls limit is reached (ADR 120):
   * a second call then overlaps the first. GATEWAY_UPSTREAM_BATCH or more:
   * only full calls, as ADR 118 had it.
   */
  GATEWAY_UPSTREAM_BATCH_OVERLAP: int({ default: 32, min: 1, max: 1_000 }),
  /**
   * Orders a partial call waits for (ADR 132), at most
   * GATEWAY_UPSTREAM_BATCH_FILL_MS, and only while the last call carried at
   * least half as many (near saturation). 1: no wait, as before.
   */
  GATEWAY_UPSTREAM_BATCH_FILL: int({ default: 32, min: 1, max: 1_000 }),
  GATEWAY_UPSTREAM_BATCH_FILL_MS: int({ default: 2, min: 0, max: 1_000 }),
  GATEWAY_KEY_CACHE_MS: int({ default: 5_000, min: 0 }),
  GATEWAY_MAX_STREAMS_PER_KEY: int({ default: 4, min: 1 }),
  /** Where execution reports are read from: projection-service's read model, or none (503). */
  GATEWAY_EXECUTIONS: oneOf(["read-model", "none"], { default: "read-model" }),
};

export const rateLimitsFrom = (orderPerSec: number, queryPerSec: number) => ({
  perKey: {
    order: { ratePerSec: orderPerSec, burst: 2 * orderPerSec },
    query: { ratePerSec: queryPerSec, burst: 2 * queryPerSec },
  },
  perAccount: {
    order: { ratePerSec: orderPerSec, burst: 2 * orderPerSec },
    query: { ratePerSec: queryPerSec, burst: 2 * queryPerSec },
  },
});
