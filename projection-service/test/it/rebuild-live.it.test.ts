// Rebuild without downtime: the real service keeps projecting while a rebuild
// builds rm_v2 from the event store and switches the readers; the service
// follows the switch and goes on projecting into rm_v2.
import type { ChildProcess } from "node:child_process";
import { eventId, PostgresEventStore, streamId } from "@fxcore/event-store";
import type { FxProducer, PgPool } from "@fxcore/infra";
import { testGroupId } from "@fxcore/infra/testing";
import type { Serde } from "@fxcore/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditTrail } from "../../src/audit/audit-store.ts";
import type { EventEnvelope } from "../../src/models/envelope.ts";
import { MemoryReadModels } from "../../src/models/memory.ts";
import { rebuildReadModels } from "../../src/rebuild/rebuild.ts";
import { pairLookup } from "../../src/reference-pairs.ts";
import { activeSchema } from "../../src/store/active.ts";
import { readModelSnapshot } from "../../src/store/snapshot.ts";
import {
  encodeEvent,
  isMatcherEvent,
  type ProjectionKafka,
  processedCount,
  projectionKafka,
  spawnProjectionService,
  waitFor,
} from "../harness.ts";
import { scriptedSession } from "../session.ts";

let fixture: ProjectionKafka | undefined;
let pool: PgPool;
let topics: ProjectionKafka["topics"];
let producer: FxProducer;
let serde: Serde;
let service: ChildProcess | undefined;

beforeAll(async () => {
  // The service migrates on start.
  fixture = await projectionKafka("rebuildlive", "rebuild-live-it", { migrate: false });
  ({ topics, producer, serde } = fixture);
  ({ pool } = fixture.database);
}, 60_000);
afterAll(async () => {
  if (service && service.exitCode === null) service.kill("SIGKILL");
  await fixture?.close();
});

const count = (schema: string) => processedCount(pool, schema);

/** What command-service + its outbox relay and the matcher would do: events into the store (commands) and onto the topics. */
const publish = async (events: readonly EventEnvelope[]) => {
  const store = new PostgresEventStore(pool);
  const names = { orders: topics.names["fx.orders"], executions: topics.names["fx.executions"] };
  for (const e of events) {
    const { topic, key, value } = await encodeEvent(serde, names, e);
    if (!isMatcherEvent(e)) {
      const r = await store.append(streamId(`cmd-${e.eventId}`), "no-stream", [
        {
          eventId: eventId(e.eventId),
          type: e.event.type,
          schemaId: value.readInt32BE(1),
          schemaVersion: 1,
          payload: value,
          metadata: {},
        },
      ]);
      if (!r.ok) throw new Error("append failed");
    }
    await producer.send(topic, [{ key, value }]);
  }
};

describe("rebuild while the service runs", () => {
  it("builds rm_v2 beside rm_v1, switches readers, and the running service continues into rm_v2 with nothing lost", async () => {
    const session = scriptedSession(240, 41);
    const a = session.slice(0, 200);
    const b = session.slice(200);
    // migrations run in the service
    service = spawnProjectionService(fixture!, {
      port: 18192,
      groupId: testGroupId("rebuildlive"),
      logLevel: "info",
      stdout: "pipe",
    });
    const log: string[] = [];
    service.stdout?.on("data", (d: Buffer) => log.push(d.toString()));
    await waitFor(
      async () => (await fetch("http://127.0.0.1:18192/readyz").catch(() => null))?.status === 200,
    );
    await publish(a);
    await waitFor(async () => (await count("rm_v1")) === a.length);

    const r = await rebuildReadModels({
      pool,
      eventStore: new PostgresEventStore(pool),
      serde,
      pairs: pairLookup(),
    });
    expect(r).toMatchObject({ from: "rm_v1", to: "rm_v2", switched: true });
    expect(await activeSchema(pool)).toBe("rm_v2");

    // the service notices the switch (within 5 s) and projects the rest into rm_v2
    await publish(b);
    await waitFor(async () => (await count("rm_v2")) === session.length, 60_000).catch(
      (e: unknown) => {
        console.log(log.join("").slice(-3000));
        throw e;
      },
    );
    const v2 = await readModelSnapshot(pool, "rm_v2");
    const expected = new MemoryReadModels(pairLookup());
    for (const e of session) expected.apply(e);
    expect(v2.orders.length).toBe(expected.orders.size);
    for (const o of v2.orders) {
      const x = expected.order(o.orderId);
      expect({ s: o.ordStatus, c: o.cumQty, l: o.leavesQty, n: o.notional }).toEqual({
        s: x?.ordStatus,
        c: x?.cumQty,
        l: x?.leavesQty,
        n: x?.notional,
      });
    }
    expect(v2.trades.length).toBe([...expected.trades.values()].flat().length);
    for (const p of v2.positions) expect(p).toEqual(expected.position(p.account, p.symbol));
    expect(v2.executions.length).toBe([...expected.reports.values()].flat().length);
    // the audit trail spans the switch: every event chained exactly once
    expect(await verifyAuditTrail(pool)).toMatchObject({ ok: true, records: session.length });
    const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM rm.orders");
    expect(Number(rows[0]?.n)).toBe(v2.orders.length);
    const ready = (await (await fetch("http://127.0.0.1:18192/readyz")).json()) as {
      detail: { schema: string };
    };
    expect(ready.detail.schema).toBe("rm_v2");
    service.kill("SIGTERM");
    await new Promise((res) => service?.once("exit", res));
  }, 180_000);
});
