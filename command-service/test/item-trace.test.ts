import { extractTraceContext, injectTraceContext } from "@fxcore/infra";
import {
  type Context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandTracing, type ItemContext, passedOn } from "../src/http/item-trace.ts";

// The service's global propagator is W3C (the SDK sets it); the same one, through infra's wrapper.
beforeAll(() => {
  propagation.setGlobalPropagator({
    inject: (ctx, carrier) => {
      injectTraceContext(carrier as Record<string, string>, ctx);
    },
    extract: (ctx, carrier) => extractTraceContext(carrier as Record<string, string>, ctx),
    fields: () => ["traceparent", "tracestate"],
  });
});
afterAll(() => propagation.disable());

/** What the batch route did for every item before the pass-through (extract, span, inject). */
const reference = (tracer: Tracer, item: ItemContext) => {
  const parent = propagation.extract(ROOT_CONTEXT, item);
  const span = tracer.startSpan("command place", { kind: SpanKind.SERVER }, parent);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  return {
    traceparent: carrier.traceparent ?? (item.traceparent as string | undefined) ?? null,
    tracestate: carrier.tracestate ?? (item.tracestate as string | undefined) ?? null,
  };
};

const T = "0af7651916cd43dd8448eb211c80319c";
const S = "b7ad6b7169203331";
const items: ItemContext[] = [
  {},
  { traceparent: `00-${T}-${S}-01` },
  { traceparent: `00-${T}-${S}-00` },
  { traceparent: `00-${T}-${S}-0a` },
  { traceparent: `00-${T}-${S}-03` },
  { traceparent: `00-${T}-${S}-11` },
  { traceparent: `00-${T.toUpperCase()}-${S}-01` },
  { traceparent: `01-${T}-${S}-01` },
  { traceparent: `01-${T}-${S}-01-extra` },
  { traceparent: `00-${T}-${S}-01-extra` },
  { traceparent: `ff-${T}-${S}-01` },
  { traceparent: `00-${"0".repeat(32)}-${S}-01` },
  { traceparent: `00-${T}-${"0".repeat(16)}-01` },
  { traceparent: ` 00-${T}-${S}-01` },
  { traceparent: `00-${T}-${S}-01 ` },
  { traceparent: "not a traceparent" },
  { traceparent: "" },
  { traceparent: `00-${T}-${S}-01`, tracestate: "vendor=a,other=b" },
  { traceparent: `00-${T}-${S}-01`, tracestate: "" },
  { tracestate: "vendor=a" },
];

describe("batch item trace context", () => {
  it("without a tracer provider, gives every item the context the span-and-inject path gives", () => {
    const tracer = trace.getTracer("item-trace-test");
    const traceOf = commandTracing(tracer)();
    for (const item of items) {
      const t = traceOf("place", item);
      expect(
        { traceparent: t.traceparent, tracestate: t.tracestate },
        JSON.stringify(item),
      ).toEqual(reference(tracer, item));
      expect(t.span.isRecording()).toBe(false);
      if (passedOn(item.traceparent, item.tracestate) !== undefined) {
        expect(t.context).toBe(ROOT_CONTEXT);
      }
    }
  });

  it("passes on only what the propagator would inject unchanged (headers may repeat)", () => {
    const tp = `00-${T}-${S}-01`;
    expect(passedOn(tp, undefined)).toEqual({ traceparent: tp, tracestate: null });
    expect(passedOn(undefined, undefined)).toEqual({ traceparent: null, tracestate: null });
    expect(passedOn([tp, tp], undefined)).toBeUndefined();
    expect(passedOn(`${tp}, ${tp}`, undefined)).toBeUndefined();
    expect(passedOn(tp, "vendor=a")).toBeUndefined();
  });

  it("with a real tracer, starts each item's span as a child of its traceparent", () => {
    let started = 0;
    let ids = 0;
    const spanOf = (sc: SpanContext): Span => trace.wrapSpanContext(sc);
    // A tracer that, like the SDK's, gives every span a fresh valid span id.
    const tracer: Tracer = {
      startSpan(_name, options, ctx?: Context) {
        started++;
        const parent = options?.root ? undefined : trace.getSpanContext(ctx ?? ROOT_CONTEXT);
        return spanOf({
          traceId: parent?.traceId ?? "1".repeat(32),
          spanId: (++ids).toString(16).padStart(16, "0"),
          traceFlags: 1,
        });
      },
      startActiveSpan: (() => {
        throw new Error("not used");
      }) as Tracer["startActiveSpan"],
    };
    const tracing = commandTracing(tracer);
    const first = tracing()("place", { traceparent: `00-${T}-${S}-01` });
    expect(first.traceparent).toMatch(new RegExp(`^00-${T}-[0-9a-f]{16}-01$`));
    expect(first.traceparent).not.toBe(`00-${T}-${S}-01`);
    // The command runs under its span (log lines carry its ids).
    expect(trace.getSpan(first.context)).toBe(first.span);
    // Once a provider is seen, later batches do not probe again.
    const before = started;
    const traceOf = tracing();
    traceOf("place", { traceparent: `00-${T}-${S}-01` });
    traceOf("place", {});
    expect(started - before).toBe(2);
  });
});
