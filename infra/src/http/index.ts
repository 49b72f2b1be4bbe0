// infra's HTTP/1.1 pieces for hot internal paths, apart from the package's
// index (which loads Kafka, Postgres and OpenTelemetry too).
export * from "./http1-client.ts";
export * from "./raw-front.ts";
