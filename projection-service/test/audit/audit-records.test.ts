import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type AuditJob,
  auditCopyRows,
  chainEvents,
  runAuditJob,
} from "../../src/audit/audit-records.ts";
import { canonicalBytes, chainHash, GENESIS_HASH } from "../../src/audit/chain.ts";
import { pairOf } from "../../src/models/envelope.ts";
import { scriptedSession } from "../session.ts";

const job = (): AuditJob => {
  const events = scriptedSession(300, 11).map((e) => ({ eventId: e.eventId, event: e.event }));
  const pair = pairOf(events[0]!.event);
  // One pair continues from a head, the others start their chains.
  return { heads: [{ pair, chainSeq: 41, hash: randomBytes(32) }], events };
};

describe("audit job (ADR 072, 124)", () => {
  it("given a batch's events and heads, then its COPY stream and heads are those of the records chainEvents builds", () => {
    const j = job();
    const records = chainEvents(
      new Map(j.heads.map((h) => [h.pair, h])),
      j.events.map((e) => ({
        pair: pairOf(e.event),
        eventId: e.eventId,
        eventType: e.event.type,
        canonical: canonicalBytes({ eventId: e.eventId, event: e.event }),
      })),
    );
    const r = runAuditJob(j);
    expect(r.rows.equals(auditCopyRows(records))).toBe(true);
    expect(r.records).toBe(j.events.length);
    const last = new Map(
      records.map((x) => [x.pair, [x.pair, x.chainSeq, x.hash.toString("hex")]]),
    );
    expect(r.heads.map((h) => [h.pair, h.chainSeq, h.hash.toString("hex")])).toEqual([
      ...last.values(),
    ]);
    // The continued pair starts after its head, on its hash.
    const continued = records.find((x) => x.pair === j.heads[0]!.pair);
    expect(continued?.chainSeq).toBe(42);
    expect(continued?.prevHash.equals(j.heads[0]!.hash)).toBe(true);
  });

  it("given the first events of a pair, then its head hash is the chain over their canonical bytes from the genesis", () => {
    const events = scriptedSession(20, 3).map((e) => ({ eventId: e.eventId, event: e.event }));
    const pair = pairOf(events[0]!.event);
    let prev = GENESIS_HASH;
    let n = 0;
    for (const e of events)
      if (pairOf(e.event) === pair) {
        prev = chainHash(prev, canonicalBytes(e));
        n++;
      }
    const head = runAuditJob({ heads: [], events }).heads.find((h) => h.pair === pair);
    expect(head?.chainSeq).toBe(n);
    expect(head?.hash.equals(prev)).toBe(true);
  });

  it("given no events, then no rows and no heads", () => {
    const r = runAuditJob({ heads: [], events: [] });
    expect(r.rows.length).toBe(0);
    expect(r.records).toBe(0);
    expect(r.heads).toEqual([]);
  });
});
