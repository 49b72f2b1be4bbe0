import { existsSync } from "node:fs";
import { type InfraSettings, releaseLease, upLocal } from "./local-infra.ts";

// The one place that decides where infrastructure comes from:
//   1. KAFKA_BROKERS, SCHEMA_REGISTRY_URL and DATABASE_URL all set -> use them;
//   2. else a Docker daemon reachable -> testcontainers (see ./containers.ts);
//   3. else local processes (Kafka and Apicurio from Maven Central jars,
//      Debian's PostgreSQL 15), shared between runs on this machine.

export type InfraSource = "env" | "testcontainers" | "local";

export interface InfraHandle {
  readonly source: InfraSource;
  readonly settings: InfraSettings;
  /** What was started for this handle (empty when reused or given). */
  readonly started: readonly string[];
  /** Gives the infra back; stops it when this was its last user (unless keep). */
  release(options?: { keep?: boolean }): Promise<void>;
}

const KEYS = ["KAFKA_BROKERS", "SCHEMA_REGISTRY_URL", "DATABASE_URL"] as const;

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): InfraSettings | undefined {
  const given = KEYS.filter((k) => env[k] !== undefined && env[k] !== "");
  if (given.length === 0) return undefined;
  if (given.length < KEYS.length) {
    const missing = KEYS.filter((k) => !given.includes(k));
    throw new Error(
      `infrastructure env vars are half set: ${given.join(", ")} given, ${missing.join(", ")} missing; set all three or none`,
    );
  }
  return {
    KAFKA_BROKERS: env.KAFKA_BROKERS!,
    SCHEMA_REGISTRY_URL: env.SCHEMA_REGISTRY_URL!,
    DATABASE_URL: env.DATABASE_URL!,
  };
}

export function chooseSource(env: NodeJS.ProcessEnv = process.env): InfraSource {
  if (settingsFromEnv(env)) return "env";
  if (env.FXCORE_INFRA === "local") return "local";
  if (env.FXCORE_INFRA === "testcontainers" || dockerAvailable(env)) return "testcontainers";
  return "local";
}

function dockerAvailable(env: NodeJS.ProcessEnv): boolean {
  if (env.DOCKER_HOST) return true;
  return existsSync("/var/run/docker.sock");
}

export async function acquireInfra(env: NodeJS.ProcessEnv = process.env): Promise<InfraHandle> {
  const source = chooseSource(env);
  if (source === "env") {
    return { source, settings: settingsFromEnv(env)!, started: [], release: async () => {} };
  }
  if (source === "testcontainers") {
    const { startContainers } = await import("./containers.ts");
    const c = await startContainers();
    return {
      source,
      settings: c.settings,
      started: ["kafka", "registry", "postgres"],
      release: async (o) => {
        if (!o?.keep) await c.stop();
      },
    };
  }
  const up = await upLocal("harness", { lease: true });
  return {
    source,
    settings: up.settings,
    started: up.started,
    release: async (o) => {
      if (up.lease) await releaseLease(up.lease, { keep: o?.keep ?? false });
    },
  };
}
