// What every replay command needs: a Postgres pool on the event store's
// database (give replay a role with SELECT only), the serde, the reference
// instruments.
import { type InstrumentCatalog, REFERENCE_CATALOG } from "@fxcore/domain";
import {
  createPgPool,
  databaseConfig,
  type PgPool,
  requireConfig,
  schemaRegistryConfig,
} from "@fxcore/infra";
import { createSerde, type Serde } from "@fxcore/schemas";
import { type EventDecoder, eventDecoder } from "./log/decoder.ts";

export interface ReplayContext {
  readonly pool: PgPool;
  readonly serde: Serde;
  readonly decode: EventDecoder;
  readonly instruments: InstrumentCatalog;
  close(): Promise<void>;
}

export const replayConfigSpec = { ...databaseConfig, ...schemaRegistryConfig };

export function createReplayContext(
  env: NodeJS.ProcessEnv = process.env,
  instruments: InstrumentCatalog = REFERENCE_CATALOG,
): ReplayContext {
  const config = requireConfig(replayConfigSpec, env);
  const pool = createPgPool({
    connectionString: config.DATABASE_URL,
    applicationName: "fxcore-replay",
    max: 2,
  });
  const serde = createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL });
  return {
    pool,
    serde,
    decode: eventDecoder(serde, { registryUrl: config.SCHEMA_REGISTRY_URL }),
    instruments,
    close: () => pool.end(),
  };
}
