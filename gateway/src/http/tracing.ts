// Whether the gateway's spans are real (the rule of command-service's
// item-trace.ts, ADR 049, kept here as the gateway's own: ADR 112).
import { isSpanContextValid, type Tracer } from "@opentelemetry/api";

/**
 * Asked once per call. Without a tracer provider (no exporter configured) a
 * root span has an invalid context, which the W3C propagator injects as
 * nothing, so such a call can skip the span. A provider, once seen, stays:
 * the probe span of that one call is left unended (so it is never exported).
 */
export function tracerIsReal(tracer: Tracer): () => boolean {
  let real = false;
  return () => {
    if (!real) real = isSpanContextValid(tracer.startSpan("probe", { root: true }).spanContext());
    return real;
  };
}
