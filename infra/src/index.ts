// @fxcore/infra — the shared infrastructure code every service uses: one of each.
// (The local-process launcher in ./local and the test harness in ./testing are
// not exported here; tests import "@fxcore/infra/testing".)

export * from "./config/common-config.ts";
export * from "./config/load-config.ts";
export * from "./http/index.ts";
export * from "./kafka/client.ts";
export * from "./kafka/consumer.ts";
export * from "./kafka/dead-letter.ts";
export * from "./kafka/producer.ts";
export * from "./kafka/records.ts";
export * from "./kafka/topics.ts";
export * from "./kafka/transactions.ts";
export * from "./logger/logger.ts";
export * from "./metrics/registry.ts";
export * from "./postgres/pool.ts";
export * from "./postgres/scratch-database.ts";
export * from "./service/service-runtime.ts";
export * from "./telemetry/sdk.ts";
export * from "./telemetry/trace-context.ts";
