import { Writable } from "node:stream";
import { trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { createLogger, startTelemetry } from "../../src/index.ts";

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join("")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
  };
}

describe("logger", () => {
  it("writes JSON with service and region, redacts passwords, honours the level", () => {
    const out = capture();
    const log = createLogger({
      service: "gateway",
      region: "eu",
      level: "info",
      destination: out.stream,
    });
    log.debug("hidden");
    log.info({ password: "hunter2", orderId: "o1" }, "accepted");
    const [line] = out.lines();
    expect(out.lines()).toHaveLength(1);
    expect(line).toMatchObject({
      service: "gateway",
      region: "eu",
      msg: "accepted",
      orderId: "o1",
      password: "***",
    });
  });

  it("adds the active span's trace and span id, and none outside a span", () => {
    const telemetry = startTelemetry({ serviceName: "logger-test" });
    try {
      const out = capture();
      const log = createLogger({ service: "gateway", destination: out.stream });
      let ids: { traceId: string; spanId: string } | undefined;
      trace.getTracer("t").startActiveSpan("work", (span) => {
        ids = span.spanContext();
        log.info("in span");
        span.end();
      });
      log.info("outside");
      const [inside, outside] = out.lines();
      expect(inside).toMatchObject({ trace_id: ids!.traceId, span_id: ids!.spanId });
      expect(ids!.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(outside!.trace_id).toBeUndefined();
    } finally {
      void telemetry.shutdown();
    }
  });
});
