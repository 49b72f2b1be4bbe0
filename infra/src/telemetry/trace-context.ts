import {
  type Context,
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { IHeaders } from "kafkajs";

// W3C trace context (traceparent/tracestate) in Kafka record headers. Uses the
// W3C propagator directly, so it works whether or not the SDK was started.

const propagator = new W3CTraceContextPropagator();

export type KafkaHeaders = IHeaders;

function headerText(value: IHeaders[string]): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  return typeof v === "string" ? v : v.toString("utf8");
}

const getter: TextMapGetter<IHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => headerText(carrier[key]),
};
const setter: TextMapSetter<IHeaders> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** Writes the trace context of `ctx` (default: the active one) into `headers`. */
export function injectTraceContext(headers: IHeaders, ctx: Context = context.active()): IHeaders {
  propagator.inject(ctx, headers, setter);
  return headers;
}

/** The context carried by `headers` (or `base` unchanged when there is none or it is malformed). */
export function extractTraceContext(
  headers: IHeaders | undefined,
  base: Context = ROOT_CONTEXT,
): Context {
  return headers ? propagator.extract(base, headers, getter) : base;
}

/** The trace id in `headers`, if any — handy for logs and tests. */
export function traceIdOf(headers: IHeaders | undefined): string | undefined {
  const span = trace.getSpanContext(extractTraceContext(headers));
  return span?.traceId;
}

/**
 * Whether a tracer's spans are real, asked once per call (ADR 049, 112).
 * Without a tracer provider (no exporter configured) a root span has an
 * invalid context, which the W3C propagator injects as nothing, so a hot path
 * may skip the span and pass its caller's context on. A provider, once seen,
 * stays: the probe span of that one call is left unended (never exported).
 */
export function tracerIsReal(tracer: Tracer): () => boolean {
  let real = false;
  return () => {
    if (!real) real = isSpanContextValid(tracer.startSpan("probe", { root: true }).spanContext());
    return real;
  };
}
