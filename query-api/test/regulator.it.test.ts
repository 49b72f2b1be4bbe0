import { REFERENCE_CATALOG } from "@fxcore/domain";
import { eventId, PostgresEventStore, streamId } from "@fxcore/event-store";
import type { PgPool } from "@fxcore/infra";
import { infraSettings } from "@fxcore/infra/testing";
import {
  type DecodedEvent,
  type EventEnvelope,
  pairLookup,
  projectBatch,
} from "@fxcore/projection-service";
import { eventDecoder, regulatorApi } from "@fxcore/replay";
import { createSerde, type Serde } from "@fxcore/schemas";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type QueryApiUnderTest, startQueryApi } from "./harness.ts";
import { accept, cancel, engineSession } from "./session.ts";

let api: QueryApiUnderTest;
let pool: PgPool;
let app: FastifyInstance;
let serde: Serde;

const regulator = {
  "x-fxcore-key-id": "reg",
  "x-fxcore-roles": "regulator",
  "x-fxcore-accounts": "*",
};
const dashboard = {
  "x-fxcore-key-id": "d",
  "x-fxcore-roles": "dashboard",
  "x-fxcore-accounts": "A1",
};
const get = (url: string, headers: Record<string, string> = regulator) =>
  app.inject({ method: "GET", url, headers });

/** As in production: command events in the store first (command-service), matcher outputs through the projection's sink. */
const feed = async (events: readonly EventEnvelope[]) => {
  const store = new PostgresEventStore(pool);
  const decoded: DecodedEvent[] = [];
  for (const e of events) {
    const matcher = "seq" in e.event && typeof e.event.seq === "number";
    const value = await serde.encode(matcher ? "fx.executions" : "fx.orders", {
      meta: {
        eventId: e.eventId,
        occurredAt: (e.event as { transactTime: bigint }).transactTime as never,
        correlationId: e.eventId,
        causationId: null,
        traceparent: null,
        tracestate: null,
        pairSeq: matcher ? ((e.event as { seq: number }).seq as never) : null,
        writerEpoch: null,
      },
      payload: e.event,
    });
    const raw = { value, schemaId: value.readInt32BE(1), schemaVersion: 1 };
    if (!matcher) {
      const orderId = (e.event as { orderId: string }).orderId;
      await store.append(streamId(`order-${orderId}`), "any", [
        {
          eventId: eventId(e.eventId),
          type: e.event.type,
          schemaId: raw.schemaId,
          schemaVersion: 1,
          payload: value,
          metadata: {},
          publish: { topic: "fx.orders", key: (e.event as { symbol: string }).symbol },
        },
      ]);
    }
    decoded.push({ envelope: e, raw });
  }
  await projectBatch(
    pool,
    { schema: "rm_v1", pairs: pairLookup(), eventStore: store, audit: true },
    { source: null, events: decoded },
  );
};

beforeAll(async () => {
  serde = createSerde({ registryUrl: infraSettings().SCHEMA_REGISTRY_URL });
  api = await startQueryApi("queryreg", (pool) => ({
    regulator: regulatorApi({
      pool,
      serde,
      decode: eventDecoder(serde),
      instruments: REFERENCE_CATALOG,
    }),
  }));
  ({ pool, app } = api);
  const run = engineSession();
  await feed(
    run([
      accept("r1", "A1", "BUY", 110000, 1_000_000, 0),
      accept("r2", "A2", "SELL", 110000, 400_000, 100),
      cancel("r1", "A1", "BUY", 200),
    ]),
  );
}, 60_000);
afterAll(async () => {
  await api?.close();
});

describe("regulator endpoints", () => {
  it("are for the regulator role only", async () => {
    expect((await get("/v1/regulator/integrity", dashboard)).statusCode).toBe(403);
    expect((await get("/v1/regulator/audit", dashboard)).statusCode).toBe(403);
  });
  it("show an order's whole life from the event store", async () => {
    const r = await get("/v1/regulator/orders/r1/lifecycle");
    expect(r.statusCode, r.body).toBe(200);
    expect(JSON.stringify(r.json())).toMatch(
      /OrderAccepted[\s\S]*TradeExecuted[\s\S]*OrderCancelled/,
    );
  });
  it("rebuild the book as of now, and refuse a malformed instant with 400", async () => {
    const r = await get("/v1/regulator/books/EURUSD?latest=true");
    expect(r.statusCode, r.body).toBe(200);
    const bad = await get("/v1/regulator/books/EURUSD?at=yesterday-ish");
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: "BAD_REQUEST" });
  });
  it("check the log's integrity and the audit trail", async () => {
    const i = await get("/v1/regulator/integrity");
    expect(i.statusCode, i.body).toBe(200);
    expect((await get("/v1/regulator/audit")).json()).toMatchObject({ ok: true, records: 5 });
    expect((await get("/v1/regulator/audit?pair=eurusd")).statusCode).toBe(400);
  });
  it("export the log as JSON lines", async () => {
    const r = await get("/v1/regulator/exports?format=jsonl&pair=EURUSD");
    expect(r.statusCode, r.body).toBe(200);
    const lines = r.body.trim().split("\n");
    expect(lines.length).toBe(5);
    expect((await get("/v1/regulator/exports?format=xml")).statusCode).toBe(400);
  });
});
