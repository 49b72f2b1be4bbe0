import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type AuditJob, runAuditJob } from "../../src/audit/audit-records.ts";
import { startAuditThread } from "../../src/audit/audit-thread.ts";
import { canonicalBytes, chainHash, GENESIS_HASH } from "../../src/audit/chain.ts";
import { pairOf } from "../../src/models/envelope.ts";
import { scriptedSession } from "../session.ts";

const job = (): AuditJob => {
  const events = scriptedSession(300, 11).map((e) => ({ eventId: e.eventId, event: e.event }));
  const pair = pairOf(events[0]!.event);
  // One pair continues from a head, the others start their chains.
  return { heads: [{ pair, chainSeq: 41, hash: randomBytes(32) }], events };
};

describe("audit thread (ADR 079)", () => {
  it("given a batch's events and heads, then the thread's COPY stream and heads equal the in-thread job's", async () => {
    const j = job();
    const thread = startAuditThread();
    try {
      const [a, b] = await Promise.all([thread.run(j), thread.run(j)]);
      const local = runAuditJob(j);
      for (const r of [a, b]) {
        expect(r.rows.equals(local.rows)).toBe(true);
        expect(r.records).toBe(j.events.length);
        expect(r.heads.map((h) => [h.pair, h.chainSeq, h.hash.toString("hex")])).toEqual(
          local.heads.map((h) => [h.pair, h.chainSeq, h.hash.toString("hex")]),
        );
        expect(Buffer.isBuffer(r.heads[0]?.hash)).toBe(true);
      }
    } finally {
      await thread.close();
    }
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

  it("given a job the thread cannot take, then that job fails and the next one is answered", async () => {
    const thread = startAuditThread();
    try {
      const bad = { heads: [], events: [{ eventId: "x", event: { type: "f", f: () => 1 } }] };
      await expect(thread.run(bad as unknown as AuditJob)).rejects.toThrow();
      const j = job();
      expect((await thread.run(j)).rows.equals(runAuditJob(j).rows)).toBe(true);
    } finally {
      await thread.close();
    }
  });

  it("given a closed thread, then a job still waiting fails instead of hanging", async () => {
    const thread = startAuditThread();
    const failed = expect(thread.run(job())).rejects.toThrow(/closed/);
    await thread.close();
    await failed;
  });
});
