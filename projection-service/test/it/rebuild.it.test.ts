import { eventId, PostgresEventStore, streamId } from "@fxcore/event-store";
import type { PgPool } from "@fxcore/infra";
import { infraSettings } from "@fxcore/infra/testing";
import { createSerde, type Serde } from "@fxcore/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../src/models/envelope.ts";
import { type DecodedEvent, projectBatch } from "../../src/projector/project-batch.ts";
import { type RebuildProgress, rebuildReadModels } from "../../src/rebuild/rebuild.ts";
import { activeSchema } from "../../src/store/active.ts";
import { readModelSnapshot } from "../../src/store/snapshot.ts";
import { pairs } from "../fixtures.ts";
import { encodeEvent, type ProjectionDatabase, projectionDatabase } from "../harness.ts";
import { scriptedSession } from "../session.ts";

let database: ProjectionDatabase;
let pool: PgPool;
let serde: Serde;

beforeAll(async () => {
  database = await projectionDatabase("rebuild");
  pool = database.pool;
  serde = createSerde({ registryUrl: infraSettings().SCHEMA_REGISTRY_URL });
}, 60_000);
afterAll(async () => {
  await database?.close();
});

const encode = async (e: EventEnvelope): Promise<DecodedEvent> => {
  const { value } = await encodeEvent(
    serde,
    { orders: "fx.orders", executions: "fx.executions" },
    e,
  );
  return { envelope: e, raw: { value, schemaId: value.readInt32BE(1), schemaVersion: 1 } };
};

describe("rebuild", () => {
  it("given a live version fed like production, when rebuilt from the event store, then the new version equals the live one and readers switch to it", async () => {
    const session = scriptedSession(300, 5);
    const decoded = await Promise.all(session.map(encode));
    const store = new PostgresEventStore(pool);
    // command-service's part: command-side events are in the event store before they reach Kafka
    for (const d of decoded.filter((x) => x.envelope.position !== null)) {
      const r = await store.append(streamId(`cmd-${d.envelope.eventId}`), "no-stream", [
        {
          eventId: eventId(d.envelope.eventId),
          type: d.envelope.event.type,
          schemaId: d.raw!.schemaId,
          schemaVersion: 1,
          payload: d.raw!.value,
          metadata: {},
        },
      ]);
      expect(r.ok).toBe(true);
    }
    // the live projection, with the sink writing the matcher outputs
    for (let i = 0; i < decoded.length; i += 50) {
      await projectBatch(
        pool,
        { schema: "rm_v1", pairs, eventStore: store, audit: true },
        {
          source: { topic: "fx.orders", partition: 0, nextOffset: BigInt(i + 50) },
          events: decoded.slice(i, i + 50),
        },
      );
    }

    const progress: RebuildProgress[] = [];
    const r = await rebuildReadModels({
      pool,
      eventStore: store,
      serde,
      pairs,
      batchSize: 97,
      onProgress: (p) => progress.push(p),
    });
    expect(r).toMatchObject({
      from: "rm_v1",
      to: "rm_v2",
      applied: session.length,
      switched: true,
    });
    expect(progress.at(-1)?.phase).toBe("switched");
    expect(progress.filter((p) => p.phase === "replay").map((p) => p.applied)).toEqual(
      [...progress.filter((p) => p.phase === "replay").map((p) => p.applied)].sort((a, b) => a - b),
    );
    expect(await activeSchema(pool)).toBe("rm_v2");

    const live = await readModelSnapshot(pool, "rm_v1");
    const rebuilt = await readModelSnapshot(pool, "rm_v2");
    expect(rebuilt.orders).toEqual(live.orders);
    expect(rebuilt.trades).toEqual(live.trades);
    expect(rebuilt.positions).toEqual(live.positions);
    expect(rebuilt.balances).toEqual(live.balances);
    expect(rebuilt.depth).toEqual(live.depth);
    expect(rebuilt.candles).toEqual(live.candles);
    expect(rebuilt.referencePrices).toEqual(live.referencePrices);
    expect(rebuilt.referencePrices.length).toBeGreaterThan(0);
    expect(rebuilt.exposure).toEqual(live.exposure);
    // The per-account sequence follows consumption order; the reports themselves are the same.
    const byAccount = (s: typeof live) => {
      const m = new Map<string, string[]>();
      for (const e of s.executions) m.set(e.account, [...(m.get(e.account) ?? []), e.execId]);
      return new Map([...m].map(([k, v]) => [k, v.sort()]));
    };
    expect(byAccount(rebuilt)).toEqual(byAccount(live));
    const { rows: offsets } = await pool.query(
      "SELECT topic, partition, next_offset FROM rm.consumer_offsets",
    );
    expect(offsets).toEqual([
      {
        topic: "fx.orders",
        partition: 0,
        next_offset: String(Math.ceil(decoded.length / 50) * 50),
      },
    ]);
    const { rows: viaView } = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM rm.orders",
    );
    expect(Number(viaView[0]?.n)).toBe(rebuilt.orders.length);
  }, 120_000);
});
