// The trace context a command carries on (a batch item's or a single
// request's): a SERVER span continuing the caller's traceparent, injected back
// as the event's context; or, when no spans are recorded, the caller's context
// passed on as is (ADR 049).
import {
  type Context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { tracerIsReal } from "@fxcore/infra";

export interface ItemTrace {
  readonly span: Span;
  /** The span's context, to run the command under (log lines carry its ids); ROOT_CONTEXT when passed on. */
  readonly context: Context;
  readonly traceparent: string | null;
  readonly tracestate: string | null;
}

/** What the W3C propagator injects unchanged after extracting it: version 00, valid ids, no extra fields. */
const PLAIN_TRACEPARENT = /^00-(?!0{32})[\da-f]{32}-(?!0{16})[\da-f]{16}-0[\da-f]$/;
/** The span of a call whose spans are not real. */
export const NOOP_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * The context a span-less call carries on, when the propagator would inject
 * it unchanged (no tracestate, no or a plain traceparent); undefined otherwise.
 */
export const passedOn = (
  traceparent: unknown,
  tracestate: unknown,
): { readonly traceparent: string | null; readonly tracestate: null } | undefined =>
  tracestate === undefined &&
  (traceparent === undefined ||
    (typeof traceparent === "string" && PLAIN_TRACEPARENT.test(traceparent)))
    ? { traceparent: (traceparent as string | undefined) ?? null, tracestate: null }
    : undefined;

/** A header's text: repeated headers give their first value, as the W3C propagator reads them. */
const headerText = (v: string | readonly string[] | undefined): string | null =>
  typeof v === "string" ? v : (v?.[0] ?? null);

/**
 * Called once per call (a batch, or one single-command request): how its
 * commands' traces are made (a SERVER span per command, or its context passed
 * on when spans are not real: about 5% of the batch path's CPU, more in
 * collector time).
 */
export function commandTracing(
  tracer: Tracer,
): () => (kind: string, item: ItemContext) => ItemTrace {
  const real = tracerIsReal(tracer);
  const traced = (kind: string, item: ItemContext): ItemTrace => {
    const parent = propagation.extract(ROOT_CONTEXT, item);
    const span = tracer.startSpan(`command ${kind}`, { kind: SpanKind.SERVER }, parent);
    const context = trace.setSpan(parent, span);
    const carrier: Record<string, string> = {};
    propagation.inject(context, carrier);
    return {
      span,
      context,
      traceparent: carrier.traceparent ?? headerText(item.traceparent),
      tracestate: carrier.tracestate ?? headerText(item.tracestate),
    };
  };
  const untraced = (kind: string, item: ItemContext): ItemTrace => {
    const p = passedOn(item.traceparent, item.tracestate);
    return p === undefined ? traced(kind, item) : { span: NOOP_SPAN, context: ROOT_CONTEXT, ...p };
  };
  return () => (real() ? traced : untraced);
}

/** A batch item's fields, or a request's headers (which may repeat). */
export interface ItemContext {
  readonly traceparent?: string | readonly string[];
  readonly tracestate?: string | readonly string[];
}
