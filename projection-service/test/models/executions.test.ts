import { describe, expect, it } from "vitest";
import { MemoryReadModels } from "../../src/models/memory.ts";
import { accepted, cancelRejected, env, pairs, replaced, trade } from "../fixtures.ts";

describe("executions view", () => {
  it("given a trade between two accounts, then each gets one report with its own ExecID and next sequence", () => {
    const m = new MemoryReadModels(pairs);
    m.apply(env(accepted({ id: "m", side: "SELL", account: "A" as never })));
    m.apply(env(accepted({ id: "t", side: "BUY", account: "B" as never })));
    m.apply(env(trade({ seq: 1, maker: "m", taker: "t", aggressorSide: "BUY" })));
    const a = m.reports.get("A") ?? [];
    const b = m.reports.get("B") ?? [];
    expect(a.map((r) => [r.accountSeq, r.execType])).toEqual([
      [1, "0"],
      [2, "F"],
    ]);
    expect(b.map((r) => [r.accountSeq, r.execType])).toEqual([
      [1, "0"],
      [2, "F"],
    ]);
    expect(a[1]?.execId).toBe("x1-M");
    expect(b[1]?.execId).toBe("x1-T");
    expect(a[1]).toMatchObject({
      lastQty: 1_000_000,
      lastPx: 110000,
      ordStatus: "2",
      side: "SELL",
    });
  });

  it("given many events for one account, then its sequence is gapless and ExecIDs unique", () => {
    const m = new MemoryReadModels(pairs);
    for (let i = 0; i < 20; i++) m.apply(env(accepted({ id: `o${i}` })));
    for (let i = 0; i < 10; i++) m.apply(env(replaced({ seq: i + 1, id: `o${i}` })));
    const a = m.reports.get("A") ?? [];
    expect(a.map((r) => r.accountSeq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(new Set(a.map((r) => r.execId)).size).toBe(30);
  });

  it("given a cancel reject for an unknown order, then the account gets an OrderCancelReject (35=9) answering a cancel (434=1)", () => {
    const m = new MemoryReadModels(pairs);
    m.apply(env(cancelRejected({})));
    expect(m.reports.get("A")?.[0]).toMatchObject({
      msgType: "9",
      execType: null,
      cxlRejResponseTo: 1,
      rejectReason: 1,
    });
  });

  it("given a late OrderAccepted after a fill, then its New report still shows the order as accepted", () => {
    const m = new MemoryReadModels(pairs);
    m.apply(
      env(
        trade({
          seq: 1,
          maker: "m",
          taker: "t",
          makerCumQty: 400_000 as never,
          makerLeavesQty: 600_000 as never,
          qty: 400_000 as never,
        }),
      ),
    );
    m.apply(env(accepted({ id: "m", side: "SELL" })));
    const last = m.reports.get("A")?.at(-1);
    expect(last).toMatchObject({ execType: "0", ordStatus: "0", cumQty: 0, leavesQty: 1_000_000 });
  });
});
