// The consumer's decode: the compiled fast path (writer schema = current
// reader schema, checked against the registry) gives what the serde gives,
// record for record, and leaves whatever it declines to the serde.
import { randomBytes } from "node:crypto";
import type { DomainEvent } from "@fxcore/domain";
import type { ConsumedRecord } from "@fxcore/infra";
import { infraSettings } from "@fxcore/infra/testing";
import { createSerde } from "@fxcore/schemas";
import { describe, expect, it } from "vitest";
import { runAuditJob } from "../../src/audit/audit-records.ts";
import { startAuditThread } from "../../src/audit/audit-thread.ts";
import { decodeWith } from "../../src/consumer/decode.ts";
import { pairOf } from "../../src/models/envelope.ts";
import { encodeEvent } from "../harness.ts";
import { scriptedSession } from "../session.ts";

const registryUrl = infraSettings().SCHEMA_REGISTRY_URL;
const suffix = Date.now().toString(36);
const topics = { orders: `decode-it-orders-${suffix}`, executions: `decode-it-exec-${suffix}` };
const record = (topic: string, value: Buffer | null): ConsumedRecord =>
  ({
    topic,
    partition: 0,
    offset: "0",
    key: null,
    value,
    headers: {},
  }) as unknown as ConsumedRecord;

describe("projection decode", () => {
  it("given every event of a session, when read by the compiled path, then each result equals the serde's", async () => {
    const serde = createSerde({ registryUrl });
    const fast = decodeWith(serde, { registryUrl });
    const slow = decodeWith(serde);
    const events = scriptedSession(400, 5);
    const types = new Set<string>();
    for (const e of events) {
      const enc = await encodeEvent(serde, topics, e);
      const r = record(enc.topic, enc.value);
      const [a, b] = [await fast(r), await slow(r)];
      // Same result; only the fast one is marked as read by the compiled reader.
      expect(a.ok && a.value.raw?.compiled).toBe(true);
      expect(b.ok && b.value.raw?.compiled).toBe(false);
      expect(a.ok && { ...a.value, raw: { ...a.value.raw, compiled: false } }).toEqual(
        b.ok && b.value,
      );
      expect(a.ok && a.value.envelope.event).toEqual(e.event);
      types.add(e.event.type);
    }
    expect(types.size).toBeGreaterThanOrEqual(4);
    expect(fast.counts).toEqual({ compiled: events.length, serde: 0 });
    expect(slow.counts).toEqual({ compiled: 0, serde: events.length });
  }, 60_000);

  it("given the compiled path's records, when the audit thread reads them again, then its COPY stream equals the in-thread job's over the decoded events", async () => {
    const serde = createSerde({ registryUrl });
    const fast = decodeWith(serde, { registryUrl });
    const events: { eventId: string; event: DomainEvent; record?: Buffer }[] = [];
    for (const [i, e] of scriptedSession(300, 7).entries()) {
      const enc = await encodeEvent(serde, topics, e);
      const d = await fast(record(enc.topic, enc.value));
      if (!d.ok || !d.value.raw?.compiled) throw new Error("not read by the compiled path");
      const { eventId, event } = d.value.envelope;
      // Every third event cloned: the thread puts both kinds back in order.
      events.push(i % 3 === 0 ? { eventId, event } : { eventId, event, record: d.value.raw.value });
    }
    const heads = [{ pair: pairOf(events[0]!.event), chainSeq: 9, hash: randomBytes(32) }];
    const thread = startAuditThread();
    try {
      const viaThread = await thread.run({ heads, events });
      const local = runAuditJob({
        heads,
        events: events.map(({ eventId, event }) => ({ eventId, event })),
      });
      expect(viaThread.records).toBe(events.length);
      expect(viaThread.rows.equals(local.rows)).toBe(true);
      // A record that does not read again fails the job (the batch resyncs), not the thread.
      const bad = { ...events[1]!, record: Buffer.from([0, 0, 0, 0, 1, 0xff]) };
      await expect(thread.run({ heads, events: [bad] })).rejects.toThrow(/did not read again/);
      expect((await thread.run({ heads, events })).rows.equals(local.rows)).toBe(true);
    } finally {
      await thread.close();
    }
  }, 60_000);

  it("given malformed bytes, then the fast path leaves them to the serde and both reject alike", async () => {
    const serde = createSerde({ registryUrl });
    const fast = decodeWith(serde, { registryUrl });
    const slow = decodeWith(serde);
    const enc = await encodeEvent(serde, topics, scriptedSession(1, 5)[0]!);
    const bad = [
      enc.value.subarray(0, enc.value.length - 3), // truncated
      Buffer.concat([enc.value, Buffer.from([1, 2])]), // trailing bytes
      Buffer.from([1, ...enc.value.subarray(1)]), // bad magic byte
      enc.value.subarray(0, 4), // shorter than the header
      Buffer.alloc(0),
    ];
    for (const value of bad) {
      const [a, b] = [await fast(record(enc.topic, value)), await slow(record(enc.topic, value))];
      expect(a.ok).toBe(false);
      expect(a).toEqual(b);
    }
    expect(fast.counts.compiled).toBe(0);
  }, 60_000);
});
