// The EventStore contract: every adapter runs this suite against a real
// server. Streams get fresh random ids, so a shared database is fine.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type EventStore,
  eventId,
  type LogCheckpoint,
  logStart,
  type NewEvent,
  type RecordedEvent,
  type StreamId,
  streamId,
} from "../port/event-store.ts";

export interface ContractHarness {
  readonly store: EventStore;
  readonly dispose?: () => Promise<void>;
}

const freshStream = (): StreamId => streamId(`contract-${randomUUID()}`);

export const newEvent = (n: number, type = "TestEvent"): NewEvent => ({
  eventId: eventId(randomUUID()),
  type,
  schemaId: 7,
  schemaVersion: 1,
  payload: Uint8Array.from([0, 1, 2, 254, 255, n & 0xff, (n >> 8) & 0xff]),
  metadata: {
    correlationId: randomUUID(),
    clOrdId: `c-${n}`,
    receivedAtNs: `${1_700_000_000_000_000_000n + BigInt(n)}`,
  },
});

/** Waits until `pred` holds over what a subscription delivered. */
const until = async (pred: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error("timed out waiting for events");
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Reads the whole global log from the start (test databases are small). */
const readAllFromStart = async (store: EventStore): Promise<RecordedEvent[]> => {
  const out: RecordedEvent[] = [];
  let at: LogCheckpoint = logStart;
  for (;;) {
    const batch = await store.readAll(at, 1000);
    if (batch.length === 0) return out;
    out.push(...batch);
    at = batch[batch.length - 1]?.checkpoint ?? at;
  }
};

export function eventStoreContract(
  name: string,
  makeHarness: () => Promise<ContractHarness>,
): void {
  describe(`EventStore contract: ${name}`, () => {
    let h: ContractHarness;
    beforeAll(async () => {
      h = await makeHarness();
    });
    afterAll(async () => {
      await h?.dispose?.();
    });

    it("appends to a new stream and reads it back byte for byte", async () => {
      const s = freshStream();
      const events = [newEvent(1), newEvent(2), newEvent(3)];
      const r = await h.store.append(s, "no-stream", events);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value.nextExpectedVersion).toBe(2n);
      expect(r.value.globalPositions).toHaveLength(3);
      const read = await h.store.readStream(s);
      expect(read.map((e) => e.streamVersion)).toEqual([0n, 1n, 2n]);
      read.forEach((e, i) => {
        const sent = events[i];
        expect(e.eventId).toBe(sent?.eventId);
        expect(e.type).toBe(sent?.type);
        expect(e.schemaId).toBe(sent?.schemaId);
        expect(e.schemaVersion).toBe(sent?.schemaVersion);
        expect(Buffer.from(e.payload).equals(Buffer.from(sent?.payload ?? []))).toBe(true);
        expect(e.metadata).toMatchObject(sent?.metadata ?? {});
        expect(e.streamId).toBe(s);
        expect(e.globalPosition).toBe(r.value.globalPositions[i]);
      });
    });

    it("reads a stream from a revision, with a limit", async () => {
      const s = freshStream();
      await h.store.append(
        s,
        "no-stream",
        [1, 2, 3, 4].map((n) => newEvent(n)),
      );
      const read = await h.store.readStream(s, { fromVersion: 1n, limit: 2 });
      expect(read.map((e) => e.streamVersion)).toEqual([1n, 2n]);
      expect(await h.store.readStream(freshStream())).toEqual([]);
    });

    it("refuses no-stream on an existing stream with a typed conflict and stores nothing", async () => {
      const s = freshStream();
      await h.store.append(s, "no-stream", [newEvent(1)]);
      const r = await h.store.append(s, "no-stream", [newEvent(2), newEvent(3)]);
      expect(r).toMatchObject({
        ok: false,
        error: { type: "WrongExpectedVersion", streamId: s, expected: "no-stream", actual: 0n },
      });
      expect(await h.store.readStream(s)).toHaveLength(1);
    });

    it("checks an exact expected revision (stale and ahead both conflict)", async () => {
      const s = freshStream();
      await h.store.append(s, "no-stream", [newEvent(1), newEvent(2)]);
      const stale = await h.store.append(s, 0n, [newEvent(3)]);
      expect(stale).toMatchObject({ ok: false, error: { actual: 1n } });
      const ahead = await h.store.append(s, 5n, [newEvent(3)]);
      expect(ahead).toMatchObject({ ok: false, error: { actual: 1n } });
      const right = await h.store.append(s, 1n, [newEvent(3)]);
      expect(right).toMatchObject({ ok: true, value: { nextExpectedVersion: 2n } });
      const missing = await h.store.append(freshStream(), 0n, [newEvent(1)]);
      expect(missing).toMatchObject({ ok: false, error: { actual: -1n } });
    });

    it("appends with expected any", async () => {
      const s = freshStream();
      expect((await h.store.append(s, "any", [newEvent(1)])).ok).toBe(true);
      const r = await h.store.append(s, "any", [newEvent(2)]);
      expect(r).toMatchObject({ ok: true, value: { nextExpectedVersion: 1n } });
    });

    it("parallel appends to one stream: exactly one wins, the rest get the conflict", async () => {
      const s = freshStream();
      await h.store.append(s, "no-stream", [newEvent(0)]);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          h.store.append(s, 0n, [newEvent(100 + i), newEvent(200 + i)]),
        ),
      );
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      for (const r of results.filter((x) => !x.ok))
        expect(r).toMatchObject({ ok: false, error: { type: "WrongExpectedVersion", actual: 2n } });
      const read = await h.store.readStream(s);
      expect(read.map((e) => e.streamVersion)).toEqual([0n, 1n, 2n]);
    });

    it("parallel single-event appends: exactly one wins, for no-stream and for a revision", async () => {
      const s = freshStream();
      const first = await Promise.all(
        Array.from({ length: 10 }, (_, i) => h.store.append(s, "no-stream", [newEvent(i)])),
      );
      expect(first.filter((r) => r.ok)).toHaveLength(1);
      const next = await Promise.all(
        Array.from({ length: 10 }, (_, i) => h.store.append(s, 0n, [newEvent(10 + i)])),
      );
      expect(next.filter((r) => r.ok)).toHaveLength(1);
      for (const r of next.filter((x) => !x.ok))
        expect(r).toMatchObject({ ok: false, error: { type: "WrongExpectedVersion", actual: 1n } });
      expect((await h.store.readStream(s)).map((e) => e.streamVersion)).toEqual([0n, 1n]);
    });

    it("reads the global log in order and resumes after a checkpoint", async () => {
      const a = freshStream();
      const b = freshStream();
      await h.store.append(a, "no-stream", [newEvent(1), newEvent(2)]);
      await h.store.append(b, "no-stream", [newEvent(3)]);
      await h.store.append(a, 1n, [newEvent(4)]);
      // The log may trail by whatever transactions are still open (the watermark): wait for ours.
      let ours: RecordedEvent[] = [];
      await until(async () => {
        const all = await readAllFromStart(h.store);
        ours = all.filter((e) => e.streamId === a || e.streamId === b);
        return ours.length >= 4;
      });
      expect(ours.map((e) => [e.streamId, e.streamVersion])).toEqual([
        [a, 0n],
        [a, 1n],
        [b, 0n],
        [a, 2n],
      ]);
      const first = ours[0];
      if (first === undefined) throw new Error("no events");
      const rest = await h.store.readAll(first.checkpoint, 3);
      expect(rest[0]?.eventId).toBe(ours[1]?.eventId);
    });

    it("subscribes: catches up, then delivers live appends in order", async () => {
      const s = freshStream();
      await h.store.append(s, "no-stream", [newEvent(1)]);
      const seen: RecordedEvent[] = [];
      const sub = h.store.subscribeToAll(logStart, (e) => {
        if (e.streamId === s) seen.push(e);
      });
      await until(() => seen.length === 1);
      await h.store.append(s, 0n, [newEvent(2), newEvent(3)]);
      await h.store.append(s, 2n, [newEvent(4)]);
      await until(() => seen.length === 4);
      expect(seen.map((e) => e.streamVersion)).toEqual([0n, 1n, 2n, 3n]);
      await sub.close();
      await sub.done;
    });

    it("a subscription from a checkpoint starts right after it", async () => {
      const s = freshStream();
      await h.store.append(s, "no-stream", [newEvent(1), newEvent(2)]);
      const [first] = await h.store.readStream(s);
      if (first === undefined) throw new Error("no event");
      const seen: RecordedEvent[] = [];
      const sub = h.store.subscribeToAll(first.checkpoint, (e) => {
        if (e.streamId === s) seen.push(e);
      });
      await h.store.append(s, 1n, [newEvent(3)]);
      await until(() => seen.length === 2);
      expect(seen.map((e) => e.streamVersion)).toEqual([1n, 2n]);
      await sub.close();
    });

    it("a handler that throws stops the subscription and rejects done", async () => {
      const s = freshStream();
      await h.store.append(s, "no-stream", [newEvent(1)]);
      const sub = h.store.subscribeToAll(logStart, (e) => {
        if (e.streamId === s) throw new Error("boom");
      });
      await expect(sub.done).rejects.toThrow("boom");
    });
  });
}
