// Worker thread of bench:projection's live phase: publishes pre-encoded inputs
// (each input's events together) at a fixed rate in 20 ms ticks, on its own
// event loop so the projection in the main thread cannot delay the pacing.
// Reports, per tick, the wall-clock time just before the send and the ids of
// the OrderAccepted events in it.
import { readlinkSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { createKafka, createProducer } from "@fxcore/infra";

export interface LiveProducerInput {
  readonly brokers: string;
  /** Sent first in each tick (inputs before the matcher's outputs, as in production). */
  readonly topics: readonly string[];
  readonly rate: number;
  readonly tickMs: number;
  /** Per input: its records (topic, key, value) and the OrderAccepted event id among them, if any. */
  readonly inputs: readonly {
    readonly records: readonly { topic: string; key: string; value: Uint8Array }[];
    readonly acceptedId: string | null;
  }[];
}

export type LiveProducerMessage =
  | {
      readonly type: "sent";
      readonly tick: number;
      readonly at: number;
      readonly ids: readonly string[];
    }
  /** The tick's sends were acknowledged (acks=all): its records are in the log. */
  | { readonly type: "acked"; readonly tick: number; readonly at: number }
  | {
      readonly type: "done";
      readonly seconds: number;
      readonly lateTicks: number;
      /** This thread's Linux thread id (the bench leaves it out of the projection's per-thread CPU); null where unknown. */
      readonly tid: string | null;
    };

const input = workerData as LiveProducerInput;
const now = () => performance.timeOrigin + performance.now();
const kafka = createKafka({ brokers: input.brokers, clientId: "bench-projection-live" });
const producer = await createProducer(kafka);
const perTick = Math.max(1, Math.round((input.rate * input.tickMs) / 1000));
const start = performance.now();
let late = 0;
for (let i = 0, tick = 0; i < input.inputs.length; i += perTick, tick++) {
  const wait = start + tick * input.tickMs - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  else late++;
  const chunk = input.inputs.slice(i, i + perTick);
  const byTopic = new Map<string, { key: string; value: Buffer }[]>();
  const ids: string[] = [];
  for (const c of chunk) {
    if (c.acceptedId) ids.push(c.acceptedId);
    for (const r of c.records) {
      const list = byTopic.get(r.topic) ?? [];
      list.push({ key: r.key, value: Buffer.from(r.value) });
      byTopic.set(r.topic, list);
    }
  }
  parentPort?.postMessage({ type: "sent", tick, at: now(), ids } satisfies LiveProducerMessage);
  for (const topic of input.topics) {
    const records = byTopic.get(topic);
    if (records) await producer.send(topic, records);
  }
  parentPort?.postMessage({ type: "acked", tick, at: now() } satisfies LiveProducerMessage);
}
const seconds = (performance.now() - start) / 1000;
await producer.disconnect();
const tid = (() => {
  try {
    return readlinkSync("/proc/thread-self").split("/").pop() ?? null;
  } catch {
    return null;
  }
})();
parentPort?.postMessage({
  type: "done",
  seconds,
  lateTicks: late,
  tid,
} satisfies LiveProducerMessage);
// Stay alive until the main thread has read this thread's CPU (worker.cpuUsage()).
await new Promise((r) => parentPort?.once("message", r));
