// With no tracer provider (no exporter configured) the gateway makes no span
// per order (ADR 112): what goes upstream must be exactly what the span path
// would send, the W3C propagator's output for an unrecorded root span. No
// provider is registered in this file (trace.test.ts registers one).

import { injectTraceContext, tracerIsReal } from "@fxcore/infra";
import { ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import { afterAll, describe, expect, it } from "vitest";
import { placeOneThrough, recordingUpstream } from "../support/upstream-recorder.ts";

const upstream = await recordingUpstream();
const seen = upstream.calls;
afterAll(() => upstream.close());

describe("order entry without a tracer provider", () => {
  it("the span path's context is one the propagator injects as nothing", () => {
    const tracer = trace.getTracer("@fxcore/gateway");
    expect(tracerIsReal(tracer)()).toBe(false);
    const span = tracer.startSpan("gateway PlaceOrder", { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    expect(injectTraceContext({}, trace.setSpan(ROOT_CONTEXT, span))).toEqual({});
    expect(injectTraceContext({}, ROOT_CONTEXT)).toEqual({});
  });

  it.each([
    ["in a batch", 64],
    ["on its own call", 0],
  ])("sends no trace context upstream (%s), as the span path would", async (_how, batchMax) => {
    seen.length = 0;
    expect(await placeOneThrough(upstream, batchMax, "pt-1")).toBe(503);
    expect(seen).toHaveLength(1);
    const call = seen[0]!;
    expect(call.headers.traceparent).toBeUndefined();
    expect(call.headers.tracestate).toBeUndefined();
    if (batchMax > 0) {
      expect(call.items).toHaveLength(1);
      expect(Object.keys(call.items[0]!).sort()).toEqual(["caller", "command"]);
      expect(call.items[0]!.command).toMatchObject({ kind: "place", clOrdId: "pt-1" });
    }
  });

  it("a provider registered later is seen on the next call", () => {
    const real = tracerIsReal(trace.getTracer("@fxcore/gateway"));
    expect(real()).toBe(false);
    const ctx = { traceId: "a".repeat(32), spanId: "b".repeat(16), traceFlags: 1 };
    const tracer = {
      startSpan: () => trace.wrapSpanContext(ctx),
      startActiveSpan: (() => {
        throw new Error("not used");
      }) as never,
    };
    expect(trace.setGlobalTracerProvider({ getTracer: () => tracer })).toBe(true);
    try {
      expect(real()).toBe(true);
    } finally {
      trace.disable();
    }
  });
});
