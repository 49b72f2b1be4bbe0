// Pre-trade risk fed by the read models (ADR 075), end to end on real
// Postgres and the real registry: orders go in through the command-service's
// HTTP API, the stored events run through the domain's matching engine (what
// the matcher does) and projection-service's own projector, and the next
// order is judged against the resulting reference price and open exposure.
import { randomUUID } from "node:crypto";
import {
  createMatchingEngine,
  type DomainEvent,
  type MatcherInput,
  type MatchingEngine,
  type Symbol as PairSymbol,
  REFERENCE_CATALOG,
} from "@fxcore/domain";
import {
  type DecodedEvent,
  matcherEventId,
  migrateProjection,
  pairLookup,
  projectBatch,
} from "@fxcore/projection-service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNTS_HEADER } from "../../src/index.ts";
import { type Harness, startHarness } from "../support/harness.ts";

const PORT = 18430;
const base = `http://127.0.0.1:${PORT}`;
let h: Harness;
const engines = new Map<string, MatchingEngine>();
let projectedUpTo = 0n;

beforeAll(async () => {
  h = await startHarness(`fx.orders.risk-${randomUUID().slice(0, 8)}`, "csrisk");
  await migrateProjection(h.pool);
  await h.pool.query(
    `INSERT INTO cs_accounts (account, enabled, max_order_qty, max_notional, credit_limit)
     VALUES ('ACC-CR', true, 10000000, 20000000, 2000000), ('ACC-GAP', true, 10000000, 20000000, 2000000)`,
  );
  await h.service.risk.refresh();
  await h.service.app.listen({ port: PORT, host: "127.0.0.1" });
});
afterAll(async () => {
  await h?.dispose();
});

const accounts = "ACC-1,ACC-2,ACC-CR,ACC-GAP";
const call = async (path: string, body: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { [ACCOUNTS_HEADER]: accounts, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    report: {
      ordStatus: string;
      execType: string;
      ordRejReason: number | null;
      text: string | null;
    };
  };
};
const place = (o: { account: string; side: "BUY" | "SELL"; price: string; qty?: string }) => {
  const clOrdId = `c-${randomUUID()}`;
  return call("/orders", {
    clOrdId,
    account: o.account,
    symbol: "EURUSD",
    side: o.side,
    ordType: "LIMIT",
    price: o.price,
    orderQty: o.qty ?? "1000000",
    timeInForce: "GTC",
  }).then((a) => ({ ...a, clOrdId }));
};

/** Everything the command side stored since the last call → matching engine → projector. */
const projectNewEvents = async (): Promise<void> => {
  const { rows } = await h.pool.query<{
    event_id: string;
    payload: Buffer;
    global_position: string;
  }>(
    "SELECT event_id::text, payload, global_position::text FROM es_events WHERE global_position > $1 ORDER BY global_position",
    [projectedUpTo.toString()],
  );
  const events: DecodedEvent[] = [];
  for (const r of rows) {
    const d = await h.serde.decode(r.payload);
    if (!d.ok) throw new Error(d.error.message);
    const event = d.value.payload as DomainEvent;
    events.push({
      envelope: { eventId: r.event_id, event, position: BigInt(r.global_position) },
      raw: null,
    });
    projectedUpTo = BigInt(r.global_position);
    if (event.type !== "OrderAccepted" && event.type !== "OrderCancelRequested") continue;
    let engine = engines.get(event.symbol);
    if (!engine) {
      const instrument = REFERENCE_CATALOG.get(event.symbol as PairSymbol);
      if (!instrument) throw new Error(event.symbol);
      engine = createMatchingEngine(instrument);
      engines.set(event.symbol, engine);
    }
    for (const out of engine.apply(event as MatcherInput)) {
      events.push({
        envelope: {
          eventId: matcherEventId(event.symbol, (out as { seq: number }).seq),
          event: out as DomainEvent,
          position: null,
        },
        raw: null,
      });
    }
  }
  await projectBatch(
    h.pool,
    { schema: "rm_v1", pairs: pairLookup(), audit: false },
    {
      source: null,
      events,
    },
  );
  await h.service.risk.refresh();
};

describe("pre-trade risk from the read models, through the HTTP API", () => {
  it("after a trade on EURUSD, a limit order far outside the price collar is rejected (OrdRejReason 3) and one inside is accepted", async () => {
    expect(h.service.risk.status().readSide).toBe(true);
    expect(h.service.risk.context("ACC-1", "EURUSD").referencePrice).toBeNull();
    const sell = await place({ account: "ACC-1", side: "SELL", price: "1.10000" });
    const buy = await place({ account: "ACC-2", side: "BUY", price: "1.10000" });
    expect([sell.report.ordStatus, buy.report.ordStatus]).toEqual(["0", "0"]);
    await projectNewEvents();
    const { rows } = await h.pool.query(
      "SELECT symbol, price::text, seq::text FROM rm.reference_prices",
    );
    expect(rows).toEqual([{ symbol: "EURUSD", price: "110000", seq: "1" }]);

    const far = await place({ account: "ACC-1", side: "BUY", price: "1.20000" });
    expect(far.report).toMatchObject({ execType: "8", ordStatus: "8", ordRejReason: 3 });
    expect(far.report.text).toMatch(
      /price 1\.20000 is more than 0\.05000 from the reference price 1\.10000/,
    );
    const near = await place({ account: "ACC-1", side: "SELL", price: "1.14000" });
    expect(near.report).toMatchObject({ execType: "0", ordStatus: "0" });
  });

  it("an account whose resting orders use up its credit limit is rejected (OrdRejReason 3), and accepted again once the resting order is cancelled", async () => {
    const first = await place({ account: "ACC-CR", side: "BUY", price: "1.09000" });
    expect(first.report.ordStatus).toBe("0");
    await projectNewEvents();
    expect(h.service.risk.status().unprojectedOrders).toBe(0);
    const { rows } = await h.pool.query(
      "SELECT notional::text, orders FROM rm.open_exposure WHERE account = 'ACC-CR' AND symbol = 'EURUSD'",
    );
    expect(rows).toEqual([{ notional: (1_000_000n * 109_000n).toString(), orders: 1 }]);

    // 1,090,000 USD resting + 1,090,000 USD > 2,000,000 USD
    const second = await place({ account: "ACC-CR", side: "BUY", price: "1.09000" });
    expect(second.report).toMatchObject({ execType: "8", ordStatus: "8", ordRejReason: 3 });
    expect(second.report.text).toMatch(
      /open exposure 2180000\.00000 USD .*credit limit 2000000 USD/,
    );
    const small = await place({ account: "ACC-CR", side: "BUY", price: "1.09000", qty: "800000" });
    expect(small.report.ordStatus).toBe("0");

    await call("/orders/cancel", {
      clOrdId: `x-${randomUUID()}`,
      origClOrdId: first.clOrdId,
      account: "ACC-CR",
      symbol: "EURUSD",
      side: "BUY",
    });
    await projectNewEvents();
    expect(h.service.risk.context("ACC-CR", "EURUSD").openExposure).toBe(800_000n * 109_000n);
    const again = await place({ account: "ACC-CR", side: "BUY", price: "1.09000" });
    expect(again.report.ordStatus).toBe("0");
  });

  it("orders accepted but not yet projected count too, exactly once before and after the projection catches up", async () => {
    await projectNewEvents();
    expect(h.service.risk.status().unprojectedOrders).toBe(0);
    const first = await place({ account: "ACC-GAP", side: "BUY", price: "1.09000" });
    expect(first.report.ordStatus).toBe("0");
    await h.service.risk.refresh();
    expect(h.service.risk.status().unprojectedOrders).toBe(1);
    expect(h.service.risk.context("ACC-GAP", "EURUSD").openExposure).toBe(1_000_000n * 109_000n);
    const second = await place({ account: "ACC-GAP", side: "BUY", price: "1.09000" });
    expect(second.report).toMatchObject({ ordStatus: "8", ordRejReason: 3 });
    expect(second.report.text).toMatch(/credit limit/);

    await projectNewEvents();
    expect(h.service.risk.status().unprojectedOrders).toBe(0);
    expect(h.service.risk.context("ACC-GAP", "EURUSD").openExposure).toBe(1_000_000n * 109_000n);
  });
});
