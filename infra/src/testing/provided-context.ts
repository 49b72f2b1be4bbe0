// The names the global setup provides to tests (vitest provide/inject).
// Imported by global-setup.ts and settings.ts, so any workspace importing
// "@fxcore/infra/testing" gets typed inject("KAFKA_BROKERS") etc.

declare module "vitest" {
  export interface ProvidedContext {
    KAFKA_BROKERS: string;
    SCHEMA_REGISTRY_URL: string;
    DATABASE_URL: string;
    /** env | testcontainers | local */
    FXCORE_INFRA_SOURCE: string;
  }
}

export {};
