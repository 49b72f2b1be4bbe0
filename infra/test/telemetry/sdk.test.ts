import { createServer } from "node:net";
import { trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { startTelemetry } from "../../src/telemetry/sdk.ts";

// Without OTEL_EXPORTER_OTLP_ENDPOINT nothing is exported: no connection to
// the OTLP default (localhost:4318) is ever made, and shutdown succeeds.

describe("startTelemetry without an endpoint", () => {
  const saved = process.env.OTEL_TRACES_EXPORTER;
  afterEach(() => {
    if (saved === undefined) delete process.env.OTEL_TRACES_EXPORTER;
    else process.env.OTEL_TRACES_EXPORTER = saved;
  });

  it("exports nothing and shuts down cleanly", async () => {
    delete process.env.OTEL_TRACES_EXPORTER;
    let connections = 0;
    // Listen where the OTLP default would send; a connection would mean an export attempt.
    const otlp = createServer(() => connections++);
    const listening = await new Promise<boolean>((resolve) => {
      otlp.once("error", () => resolve(false));
      otlp.listen(4318, "127.0.0.1", () => resolve(true));
    });
    const telemetry = startTelemetry({ serviceName: "sdk-test" });
    trace.getTracer("sdk-test").startSpan("work").end();
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
    expect(process.env.OTEL_TRACES_EXPORTER).toBe("none");
    if (listening) {
      expect(connections).toBe(0);
      await new Promise((r) => otlp.close(r));
    }
  });
});
