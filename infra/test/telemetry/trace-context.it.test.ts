import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKafka,
  createProducer,
  extractTraceContext,
  injectTraceContext,
  type Kafka,
  runConsumer,
  startTelemetry,
  type Telemetry,
  traceIdOf,
} from "../../src/index.ts";
import { createTestTopics, infraSettings, testGroupId } from "../../src/testing/index.ts";

// W3C trace context travels producer -> Kafka headers -> consumer span.

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
let kafka: Kafka;

beforeAll(() => {
  telemetry = startTelemetry({
    serviceName: "infra-test",
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  kafka = createKafka({ brokers: infraSettings().KAFKA_BROKERS, clientId: "infra-trace-test" });
});
afterAll(async () => {
  await telemetry.shutdown();
});

describe("trace context in Kafka headers", () => {
  it("round-trips a traceparent and ignores a malformed one", () => {
    const span = trace.getTracer("t").startSpan("root");
    const headers = injectTraceContext({}, trace.setSpan(context.active(), span));
    span.end();
    expect(String(headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceIdOf(headers)).toBe(span.spanContext().traceId);
    expect(traceIdOf({ traceparent: Buffer.from("00-zzz-bad-01") })).toBeUndefined();
    expect(trace.getSpanContext(extractTraceContext(undefined))).toBeUndefined();
  });

  it("continues the producer's trace in the consumer's handler", async () => {
    const topics = await createTestTopics({ "trace.in": {} });
    const topic = topics.names["trace.in"];
    const producer = await createProducer(kafka);
    const root = trace.getTracer("t").startSpan("http POST /orders");
    await context.with(trace.setSpan(context.active(), root), () =>
      producer.send(topic, [{ key: "EURUSD", value: "x" }]),
    );
    root.end();
    await producer.disconnect();

    let handlerTraceId: string | undefined;
    let activeTraceId: string | undefined;
    const running = await runConsumer(kafka, {
      groupId: testGroupId("trace"),
      topics: [topic],
      decode: (r) => ({ ok: true, value: r }),
      handle: async ({ traceContext }) => {
        handlerTraceId = trace.getSpanContext(traceContext)?.traceId;
        activeTraceId = trace.getActiveSpan()?.spanContext().traceId;
      },
    });
    const deadline = Date.now() + 20_000;
    while (handlerTraceId === undefined && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await running.stop();
    await topics.delete();

    const traceId = root.spanContext().traceId;
    expect(handlerTraceId).toBe(traceId);
    expect(activeTraceId).toBe(traceId);
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const names = spans.map((s) => s.name).sort();
    expect(names).toEqual(["http POST /orders", `${topic} process`, `${topic} publish`].sort());
    const publish = spans.find((s) => s.name === `${topic} publish`)!;
    const processSpan = spans.find((s) => s.name === `${topic} process`)!;
    expect(processSpan.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
  });
});
