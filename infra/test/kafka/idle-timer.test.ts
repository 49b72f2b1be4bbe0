import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { createKafka } from "../../src/kafka/client.ts";

// kafkajs re-armed a 1 ms timer per connection forever, busy or idle; with
// the wrapper's fix an empty, unthrottled queue arms nothing, and a queue
// with waiting requests (or a throttle in force) still checks again.
const require = createRequire(import.meta.url);
const RequestQueue = require("kafkajs/src/network/requestQueue/index.js") as new (
  options: Record<string, unknown>,
) => {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
};

const newQueue = () => {
  createKafka({ brokers: "127.0.0.1:1", clientId: "idle-timer-test" });
  const noop = () => {};
  return new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 1000,
    enforceRequestTimeout: false,
    clientId: "idle-timer-test",
    broker: "127.0.0.1:1",
    logger: { debug: noop, info: noop, warn: noop, error: noop },
  });
};

describe("kafkajs request queue timers after createKafka", () => {
  it("arms no timer when nothing waits and no throttle is in force", () => {
    const q = newQueue();
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it("still checks again while requests wait", () => {
    const q = newQueue();
    q.pending.push({});
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(q.throttleCheckTimeoutId!);
  });

  it("still checks again when a throttle ends", () => {
    const q = newQueue();
    q.throttledUntil = Date.now() + 50;
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(q.throttleCheckTimeoutId!);
  });
});
