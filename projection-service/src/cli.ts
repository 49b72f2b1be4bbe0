#!/usr/bin/env node
// projection CLI:
//   node projection-service/src/cli.ts rebuild [all|<model>]   build a new read-model version from the event store, switch when caught up
//   node projection-service/src/cli.ts verify-audit            re-hash every audit chain and digest
//   node projection-service/src/cli.ts digest                  record a Merkle digest now
import { PostgresEventStore } from "@fxcore/event-store";
import { createPgPool, databaseConfig, requireConfig, schemaRegistryConfig } from "@fxcore/infra";
import { createSerde } from "@fxcore/schemas";
import { recordDigest, verifyAuditTrail } from "./audit/audit-store.ts";
import { rebuildReadModels } from "./rebuild/rebuild.ts";
import { pairLookup } from "./reference-pairs.ts";
import { READ_MODEL_TABLES } from "./store/ddl.ts";

const [command, arg] = process.argv.slice(2);
const usage = "usage: projection rebuild [all|<model>] | verify-audit | digest";

const main = async (): Promise<number> => {
  if (command === "rebuild") {
    const models = [
      "all",
      ...READ_MODEL_TABLES.filter((t) => t !== "processed_events" && t !== "consumer_offsets"),
    ];
    if (arg !== undefined && !models.includes(arg)) {
      console.error(`unknown model ${arg}; one of: ${models.join(", ")}`);
      return 2;
    }
    const config = requireConfig({ ...databaseConfig, ...schemaRegistryConfig });
    const pool = createPgPool({
      connectionString: config.DATABASE_URL,
      applicationName: "projection-rebuild",
    });
    try {
      // Models share one version (their offsets and processed events are common): any model rebuilds the version.
      if (arg && arg !== "all")
        console.error(`rebuilding ${arg} rebuilds every model of the version with it`);
      const started = Date.now();
      const r = await rebuildReadModels({
        pool,
        eventStore: new PostgresEventStore(pool),
        serde: createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL }),
        pairs: pairLookup(),
        onProgress: (p) => {
          const pct = p.total ? Math.min(100, (100 * p.applied) / p.total).toFixed(1) : "100";
          process.stderr.write(
            `\r${p.phase.padEnd(9)} ${p.schema}: ${p.applied}/${p.total} events (${pct}%)  ${((Date.now() - started) / 1000).toFixed(1)} s`,
          );
        },
      });
      process.stderr.write("\n");
      console.log(JSON.stringify(r));
      return 0;
    } finally {
      await pool.end();
    }
  }
  if (command === "verify-audit" || command === "digest") {
    const config = requireConfig({ ...databaseConfig });
    const pool = createPgPool({
      connectionString: config.DATABASE_URL,
      applicationName: "projection-audit",
    });
    try {
      if (command === "digest") {
        const d = await recordDigest(pool);
        console.log(
          JSON.stringify({
            id: d.id,
            merkleRoot: d.merkleRoot.toString("hex"),
            chains: d.heads.length,
          }),
        );
        return 0;
      }
      const r = await verifyAuditTrail(pool);
      console.log(JSON.stringify(r));
      return r.ok ? 0 : 1;
    } finally {
      await pool.end();
    }
  }
  console.error(usage);
  return 2;
};

process.exitCode = await main();
