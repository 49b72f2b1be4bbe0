// Two group-commit transactions in flight at once (concurrency 2, each sent
// in pipeline mode): the ClOrdID claim and the stream's expected version stay
// exact across them. Real Postgres; the writer is driven directly so both
// groups are certainly in flight together.
import { randomUUID } from "node:crypto";
import { eventId, streamId } from "@fxcore/event-store";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CommandWriter } from "../src/index.ts";
import type { WriteOutcome, WriteRequest } from "../src/write/command-writer.ts";
import { type Harness, startHarness } from "./support/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness(`fx.orders.csw-${randomUUID().slice(0, 8)}`, "csw");
});
afterAll(async () => {
  await h?.dispose();
});

const request = (clOrdId: string, hash: string, stream = `order-${randomUUID()}`): WriteRequest => {
  const id = randomUUID();
  return {
    claim: {
      account: "ACC-1",
      clOrdId,
      requestHash: hash,
      kind: "PLACE",
      orderId: stream,
      eventId: id,
      reportJson: `{"clOrdId":"${clOrdId}","hash":"${hash}"}`,
    },
    append: {
      stream: streamId(stream),
      expected: "no-stream",
      events: [
        {
          eventId: eventId(id),
          type: "OrderAccepted",
          schemaId: 1,
          schemaVersion: 1,
          payload: Buffer.from(`payload of ${clOrdId}`),
          metadata: { clOrdId, account: "ACC-1" },
        },
      ],
    },
  };
};

/** Both groups queued in one tick: maxBatch 2 puts them in two transactions, both started at once. */
const overlapped = async (a: WriteRequest[], b: WriteRequest[]) => {
  const spans: { start: number; end: number }[] = [];
  const writer = new CommandWriter(h.pool, h.service.store, {
    maxBatch: 2,
    minBusyBatch: 1,
    concurrency: 2,
    onBatch: (_, ms) => spans.push({ start: performance.now() - ms, end: performance.now() }),
  });
  const [ra, rb] = await Promise.all([writer.writeAll(a), writer.writeAll(b)]);
  // onBatch runs once a transaction's flush is done, a few ticks after its answers.
  await vi.waitFor(() => expect(spans).toHaveLength(2));
  const [first, second] = spans as [{ start: number; end: number }, { start: number; end: number }];
  // In flight together: the one that ended last had started before the other ended.
  expect(second.start).toBeLessThan(first.end);
  return [...ra, ...rb];
};

const claimsOf = async (clOrdId: string) =>
  (
    await h.pool.query<{ event_id: string; request_hash: string }>(
      "SELECT event_id::text, request_hash FROM cs_client_order_ids WHERE account = 'ACC-1' AND cl_ord_id = $1",
      [clOrdId],
    )
  ).rows;
const eventsOf = async (clOrdId: string) =>
  (
    await h.pool.query<{ event_id: string }>(
      "SELECT event_id::text FROM es_events WHERE metadata->>'clOrdId' = $1",
      [clOrdId],
    )
  ).rows;

describe("two group commits in flight", () => {
  it.each([
    ["the same request (a resend)", "h-same", "h-same"],
    ["another request (a duplicate)", "h-one", "h-other"],
  ])("one ClOrdID in both: one written, the other sees its claim — %s", async (_, ha, hb) => {
    const dup = `dup-${randomUUID()}`;
    const a = [request(`a-${randomUUID()}`, "h"), request(dup, ha)];
    const b = [request(dup, hb), request(`b-${randomUUID()}`, "h")];
    const outcomes = await overlapped(a, b);
    // The others of both groups are written.
    expect(outcomes[0]?.type).toBe("Written");
    expect(outcomes[3]?.type).toBe("Written");
    const pair = [outcomes[1], outcomes[2]] as WriteOutcome[];
    const written = pair.filter((o) => o.type === "Written");
    const taken = pair.flatMap((o) => (o.type === "ClOrdIdTaken" ? [o] : []));
    expect(written).toHaveLength(1);
    expect(taken).toHaveLength(1);
    const winner = (pair[0]?.type === "Written" ? a[1] : b[0]) as WriteRequest;
    // The loser is answered from the winner's stored claim, and only the winner is stored.
    expect(taken[0]?.existing.eventId).toBe(winner.claim.eventId);
    expect(taken[0]?.existing.requestHash).toBe(winner.claim.requestHash);
    expect(taken[0]?.existing.globalPosition).not.toBeNull();
    expect(await claimsOf(dup)).toEqual([
      { event_id: winner.claim.eventId, request_hash: winner.claim.requestHash },
    ]);
    expect(await eventsOf(dup)).toEqual([{ event_id: winner.claim.eventId }]);
  });

  it("one new stream in both: one written, the other conflicts and its ClOrdID is free again", async () => {
    const stream = `order-${randomUUID()}`;
    const x = `x-${randomUUID()}`;
    const y = `y-${randomUUID()}`;
    const a = [request(`a-${randomUUID()}`, "h"), request(x, "h", stream)];
    const b = [request(y, "h", stream), request(`b-${randomUUID()}`, "h")];
    const outcomes = await overlapped(a, b);
    expect(outcomes[0]?.type).toBe("Written");
    expect(outcomes[3]?.type).toBe("Written");
    const types = [outcomes[1]?.type, outcomes[2]?.type].sort();
    expect(types).toEqual(["StreamConflict", "Written"]);
    const [winner, loser] = outcomes[1]?.type === "Written" ? [x, y] : [y, x];
    expect(await claimsOf(winner)).toHaveLength(1);
    expect(await eventsOf(winner)).toHaveLength(1);
    expect(await claimsOf(loser)).toEqual([]);
    expect(await eventsOf(loser)).toEqual([]);
  });
});
