import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

// The one OpenTelemetry setup. Start it first thing in a service's main. With
// OTEL_EXPORTER_OTLP_ENDPOINT set, spans go there over OTLP/HTTP; without it
// the SDK still runs so trace context propagates (and ids appear in logs).

export interface TelemetryOptions {
  readonly serviceName: string;
  readonly otlpEndpoint?: string | undefined;
  /** Extra span processors (tests use an in-memory exporter). */
  readonly spanProcessors?: ConstructorParameters<typeof NodeSDK>[0] extends infer O
    ? O extends { spanProcessors?: infer P }
      ? P
      : never
    : never;
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

export function startTelemetry(options: TelemetryOptions): Telemetry {
  // Without an endpoint the SDK would fall back to OTLP on localhost:4318 and
  // fail on every export (and on shutdown): export nothing unless told to.
  if (!options.otlpEndpoint) process.env.OTEL_TRACES_EXPORTER ??= "none";
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [],
    ...(options.otlpEndpoint
      ? {
          traceExporter: new OTLPTraceExporter({
            url: `${options.otlpEndpoint.replace(/\/$/, "")}/v1/traces`,
          }),
        }
      : {}),
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
