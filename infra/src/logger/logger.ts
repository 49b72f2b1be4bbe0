import { trace } from "@opentelemetry/api";
import { pino, type Logger, type LevelWithSilent } from "pino";

// Structured JSON logs (pino) with the service, the region and — when a span
// is active — its trace and span ids, so logs and traces join up.

export type { Logger };

export interface LoggerOptions {
  readonly service: string;
  readonly level?: LevelWithSilent;
  readonly region?: string;
  /** Defaults to stdout. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service, region: options.region ?? "local" },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const { traceId, spanId } = span.spanContext();
        return { trace_id: traceId, span_id: spanId };
      },
      redact: {
        paths: ["password", "*.password", "authorization", "*.authorization"],
        censor: "***",
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
