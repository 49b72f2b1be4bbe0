import { inject } from "vitest";
import type { InfraSettings } from "../local/local-infra.ts";
import "./provided-context.ts";

export type { InfraSettings };

/** Connection settings provided by the global setup (falls back to process.env). */
export function infraSettings(): InfraSettings {
  const get = (key: keyof InfraSettings): string => {
    const value = safeInject(key) ?? process.env[key];
    if (!value) {
      throw new Error(
        `${key} is not provided: add "../infra/src/testing/global-setup.ts" to this workspace's vitest globalSetup`,
      );
    }
    return value;
  };
  return {
    KAFKA_BROKERS: get("KAFKA_BROKERS"),
    SCHEMA_REGISTRY_URL: get("SCHEMA_REGISTRY_URL"),
    DATABASE_URL: get("DATABASE_URL"),
  };
}

function safeInject(key: keyof InfraSettings): string | undefined {
  try {
    return inject(key);
  } catch {
    return undefined;
  }
}

/** A short unique suffix for per-suite names (topics, groups, databases). */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
