import type { IncomingMessage, ServerResponse } from "node:http";
import { collectDefaultMetrics, Registry } from "prom-client";

// One Prometheus registry per service, with Node's default process metrics and
// the service/region as default labels. Services register their own counters
// and histograms on it (`new Counter({ ..., registers: [registry] })`).

export { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function createMetricsRegistry(options: {
  service: string;
  region?: string;
  defaultMetrics?: boolean;
  /** More labels on every series (e.g. which of a service's processes answered the scrape). */
  labels?: Readonly<Record<string, string>>;
}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({
    ...options.labels,
    service: options.service,
    region: options.region ?? "local",
  });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** node:http handler for GET /metrics. */
export function metricsHandler(
  registry: Registry,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { "content-type": registry.contentType });
        res.end(body);
      },
      (err: unknown) => {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`metrics unavailable: ${String(err)}`);
      },
    );
  };
}
