import { hostPortList, oneOf, optional, port, str, url } from "./load-config.ts";

// The agreed variables, as field specs services compose into their own spec:
//   const config = requireConfig({ ...kafkaConfig, ...databaseConfig, PORT: port({ default: 8081 }) });

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const kafkaConfig = { KAFKA_BROKERS: hostPortList() };
export const schemaRegistryConfig = { SCHEMA_REGISTRY_URL: url({ protocols: ["http", "https"] }) };
export const databaseConfig = { DATABASE_URL: url({ protocols: ["postgres", "postgresql"] }) };
export const observabilityConfig = {
  LOG_LEVEL: oneOf(LOG_LEVELS, { default: "info" }),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(url({ protocols: ["http", "https"] })),
};
export const regionConfig = { FXCORE_REGION: str({ default: "local" }) };
export const httpConfig = (defaultPort: number) => ({ PORT: port({ default: defaultPort }) });
