// A command-service on a fresh database, talking to the real schema registry.
import { createPgPool, type PgPool } from "@fxcore/infra";
import { createTestDatabase, infraSettings, type TestDatabase } from "@fxcore/infra/testing";
import { createSerde, type Serde } from "@fxcore/schemas";
import { type CommandService, createCommandService } from "../../src/index.ts";

export interface Harness {
  readonly db: TestDatabase;
  readonly pool: PgPool;
  readonly serde: Serde;
  readonly service: CommandService;
  dispose(): Promise<void>;
}

export async function startHarness(topic: string, prefix = "cs"): Promise<Harness> {
  const db = await createTestDatabase(prefix);
  const pool = createPgPool({
    connectionString: db.url,
    applicationName: "command-service-test",
    max: 12,
  });
  const serde = createSerde({ registryUrl: infraSettings().SCHEMA_REGISTRY_URL });
  const service = await createCommandService({ pool, codec: serde, topic });
  await pool.query(
    `INSERT INTO cs_accounts (account, enabled, max_order_qty, max_notional, credit_limit)
     VALUES ('ACC-1', true, 10000000, 20000000, 1000000000), ('ACC-2', true, 10000000, 20000000, 1000000000),
            ('ACC-OFF', false, 1000000, 1000000, 1000000)`,
  );
  await service.risk.refresh();
  return {
    db,
    pool,
    serde,
    service,
    dispose: async () => {
      await service.close();
      await pool.end();
      await db.drop();
    },
  };
}
