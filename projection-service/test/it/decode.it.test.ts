// The consumer's decode: the compiled fast path (writer schema = current
// reader schema, checked against the registry) gives what the serde gives,
// record for record, and leaves whatever it declines to the serde.
import type { ConsumedRecord } from "@fxcore/infra";
import { infraSettings } from "@fxcore/infra/testing";
import { createSerde } from "@fxcore/schemas";
import { describe, expect, it } from "vitest";
import { decodeWith } from "../../src/consumer/decode.ts";
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
      expect(a).toEqual(b);
      expect(a.ok && a.value.envelope.event).toEqual(e.event);
      types.add(e.event.type);
    }
    expect(types.size).toBeGreaterThanOrEqual(4);
    expect(fast.counts).toEqual({ compiled: events.length, serde: 0 });
    expect(slow.counts).toEqual({ compiled: 0, serde: events.length });
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
