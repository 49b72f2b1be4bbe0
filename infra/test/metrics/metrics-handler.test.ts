import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { Counter, createMetricsRegistry, metricsHandler } from "../../src/index.ts";

describe("metrics", () => {
  it("serves the registry in Prometheus text format with service labels", async () => {
    const registry = createMetricsRegistry({ service: "matcher", region: "eu" });
    const counter = new Counter({
      name: "fx_test_orders_total",
      help: "orders",
      registers: [registry],
    });
    counter.inc(3);
    const server = createServer(metricsHandler(registry));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain");
      const body = await res.text();
      expect(body).toContain('fx_test_orders_total{service="matcher",region="eu"} 3');
      expect(body).toContain("process_cpu_user_seconds_total");
    } finally {
      server.close();
    }
  });
});
