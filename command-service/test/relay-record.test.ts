import { eventId, type OutboxMessage, streamId } from "@fxcore/event-store";
import { describe, expect, it } from "vitest";
import { EVENT_HEADERS } from "../src/index.ts";
import { toRecord } from "../src/outbox-relay/relay.ts";

const message = (metadata: OutboxMessage["event"]["metadata"]): OutboxMessage => ({
  lane: 3,
  position: 17n,
  transactionId: 900n,
  topic: "fx.orders",
  key: "EURUSD",
  event: {
    eventId: eventId("7d9f2c1e-0000-4000-8000-000000000001"),
    type: "OrderAccepted",
    schemaId: 12,
    schemaVersion: 2,
    payload: Uint8Array.from([0, 0, 0, 0, 12, 1, 2, 3]),
    metadata,
    streamId: streamId("order-1"),
    streamVersion: 0n,
    globalPosition: 17n,
    checkpoint: "900/17" as OutboxMessage["event"]["checkpoint"],
    recordedAt: new Date(0),
  },
});

describe("outbox row → Kafka record", () => {
  it("publishes the stored bytes unchanged, keyed by pair, with the event's identity and trace in headers", () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const r = toRecord(message({ correlationId: "c-1", traceparent, tracestate: "k=v" }));
    expect(r.key).toBe("EURUSD");
    expect(Buffer.from(r.value as Buffer).equals(Buffer.from([0, 0, 0, 0, 12, 1, 2, 3]))).toBe(
      true,
    );
    expect(r.headers).toEqual({
      [EVENT_HEADERS.eventId]: "7d9f2c1e-0000-4000-8000-000000000001",
      [EVENT_HEADERS.eventType]: "OrderAccepted",
      [EVENT_HEADERS.streamId]: "order-1",
      [EVENT_HEADERS.streamVersion]: "0",
      [EVENT_HEADERS.globalPosition]: "17",
      [EVENT_HEADERS.schemaId]: "12",
      [EVENT_HEADERS.correlationId]: "c-1",
      traceparent,
      tracestate: "k=v",
    });
  });
  it("leaves trace headers out when the command had none (the producer then adds its own)", () => {
    const r = toRecord(message({}));
    expect(r.headers).not.toHaveProperty("traceparent");
    expect(r.headers).not.toHaveProperty(EVENT_HEADERS.correlationId);
  });
});
