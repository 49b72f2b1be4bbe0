import {
  type Context,
  context,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
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
