// Every order-entry call is a span whose context reaches command-service as
// traceparent, with the span handed down rather than made active. A minimal
// recording tracer stands in for the SDK (registered through the API, as the
// SDK registers itself); the upstream is the real client on a real socket.

import {
  type Attributes,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { afterAll, describe, expect, it } from "vitest";
import { placeOneThrough, recordingUpstream } from "../support/upstream-recorder.ts";

interface Recorded {
  name: string;
  context: SpanContext;
  attributes: Attributes;
  ended: boolean;
}
const spans: Recorded[] = [];
let n = 0;
const tracer: Tracer = {
  startSpan(name: string, _o?: SpanOptions): Span {
    n++;
    const context: SpanContext = {
      traceId: n.toString(16).padStart(32, "a"),
      spanId: n.toString(16).padStart(16, "b"),
      traceFlags: TraceFlags.SAMPLED,
    };
    const rec: Recorded = { name, context, attributes: {}, ended: false };
    spans.push(rec);
    const span: Span = Object.assign(trace.wrapSpanContext(context), {
      isRecording: () => true,
      setAttribute: (k: string, v: Attributes[string]) => {
        rec.attributes[k] = v;
        return span;
      },
      end: () => {
        rec.ended = true;
      },
    });
    return span;
  },
  startActiveSpan: (() => {
    throw new Error("the gateway hands span contexts down; it does not activate them");
  }) as never,
};
trace.setGlobalTracerProvider({ getTracer: () => tracer });

const upstream = await recordingUpstream();
afterAll(() => upstream.close());
/** The traceparent each order carried upstream: a batch carries it in its item (ADR 066). */
const traceparents = (): Array<string | undefined> =>
  upstream.calls.flatMap((c) =>
    c.url === "/orders/batch"
      ? c.items.map((it) => it.traceparent as string | undefined)
      : [c.headers.traceparent as string | undefined],
  );

describe("tracing of order entry", () => {
  it.each([
    ["in its batch item", 64],
    ["as a header of its own call", 0],
  ])(
    "sends the gateway span's context upstream as traceparent (%s) and records the outcome",
    async (_how, batchMax) => {
      upstream.calls.length = 0;
      expect(await placeOneThrough(upstream, batchMax, "tr-1")).toBe(503);
      const span = spans.findLast((s) => s.name === "gateway PlaceOrder");
      expect(span).toMatchObject({ ended: true, attributes: { "fx.outcome": "unavailable" } });
      expect(traceparents()).toEqual([`00-${span!.context.traceId}-${span!.context.spanId}-01`]);
    },
  );
});
