// Wiring of the command side, shared by main.ts, the tests and the benchmark.
import { type InstrumentCatalog, REFERENCE_CATALOG } from "@fxcore/domain";
import { PostgresEventStore } from "@fxcore/event-store";
import { createMetricsRegistry, type Logger, type PgPool, type Registry } from "@fxcore/infra";
import type { FastifyInstance } from "fastify";
import { nowNs } from "./clock.ts";
import { CommandHandler } from "./commands/command-handler.ts";
import { uuidV7 } from "./commands/time-ordered-id.ts";
import type { EventCodec } from "./commands/event-codec.ts";
import { buildApp } from "./http/app.ts";
import { migrateCommandService } from "./migrate.ts";
import { loadRiskInputs, type RiskInputs } from "./risk/risk-inputs.ts";
import { CommandWriter, type CommandWriterOptions } from "./write/command-writer.ts";

export interface CommandServiceOptions {
  readonly pool: PgPool;
  readonly codec: EventCodec;
  /** Topic the outbox publishes command-side events to (fx.orders). */
  readonly topic?: string;
  readonly instruments?: InstrumentCatalog;
  readonly metrics?: Registry;
  readonly writer?: CommandWriterOptions;
  /** Where internal errors are logged (none without). */
  readonly logger?: Logger;
}

export interface CommandService {
  readonly app: FastifyInstance;
  readonly handler: CommandHandler;
  readonly store: PostgresEventStore;
  readonly risk: RiskInputs;
  readonly metrics: Registry;
  close(): Promise<void>;
}

export async function createCommandService(o: CommandServiceOptions): Promise<CommandService> {
  await migrateCommandService(o.pool);
  const metrics = o.metrics ?? createMetricsRegistry({ service: "command-service" });
  const store = new PostgresEventStore(o.pool);
  const writer = new CommandWriter(o.pool, store, o.writer);
  const risk = await loadRiskInputs(o.pool);
  const handler = new CommandHandler({
    writer,
    store,
    codec: o.codec,
    risk,
    instruments: o.instruments ?? REFERENCE_CATALOG,
    topic: o.topic ?? "fx.orders",
    newId: () => uuidV7(),
    nowNs,
  });
  let closing = false;
  const app = buildApp({
    handler,
    metrics,
    nowNs,
    ...(o.logger ? { logger: o.logger } : {}),
    ready: async () => {
      if (closing) return false;
      await o.pool.query("SELECT 1");
      return true;
    },
  });
  return {
    app,
    handler,
    store,
    risk,
    metrics,
    close: async () => {
      closing = true;
      await app.close();
      risk.close();
      await store.close();
    },
  };
}
