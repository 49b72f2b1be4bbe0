// Migration 1710000000002 on a version built before reference_prices and
// open_exposure existed: it adds them, backfills them from that version's
// orders and trades, and the rm views read them.
import type { PgPool } from "@fxcore/infra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryReadModels } from "../../src/models/memory.ts";
import { projectBatch } from "../../src/projector/project-batch.ts";
import { migrateProjection } from "../../src/store/migrate.ts";
import { readModelSnapshot } from "../../src/store/snapshot.ts";
import { pairs } from "../fixtures.ts";
import { type ProjectionDatabase, projectionDatabase } from "../harness.ts";
import { scriptedSession } from "../session.ts";

let database: ProjectionDatabase | undefined;
let pool: PgPool;

beforeAll(async () => {
  database = await projectionDatabase("riskmig");
  pool = database.pool;
});
afterAll(() => database?.close());

describe("risk-inputs migration", () => {
  it("given a populated version without the risk tables, when migrated, then they are backfilled to what the projector would hold", async () => {
    const session = scriptedSession(300, 11);
    await projectBatch(
      pool,
      { schema: "rm_v1", pairs, audit: false },
      { source: null, events: session.map((envelope) => ({ envelope, raw: null })) },
    );
    const expected = new MemoryReadModels(pairs);
    for (const e of session) expected.apply(e);
    const before = await readModelSnapshot(pool, "rm_v1");
    expect(before.exposure.length).toBeGreaterThan(2);

    // the state of a database migrated before this migration (and the ones after it) existed
    await pool.query(
      `DROP VIEW rm.reference_prices, rm.open_exposure;
       DROP TABLE rm_v1.reference_prices, rm_v1.open_exposure;
       DELETE FROM pgmigrations_projection WHERE name >= '1710000000002'`,
    );
    await migrateProjection(pool);

    const after = await readModelSnapshot(pool, "rm_v1");
    expect(after.exposure).toEqual(before.exposure);
    expect(after.referencePrices).toEqual(before.referencePrices);
    expect(after.exposure).toEqual(
      [...expected.exposure.values()].sort((a, b) =>
        `${a.account}|${a.symbol}` < `${b.account}|${b.symbol}` ? -1 : 1,
      ),
    );
    const { rows } = await pool.query<{ n: string }>(
      "SELECT (SELECT count(*) FROM rm.open_exposure) + (SELECT count(*) FROM rm.reference_prices) AS n",
    );
    expect(Number(rows[0]?.n)).toBe(after.exposure.length + after.referencePrices.length);
  });
});
