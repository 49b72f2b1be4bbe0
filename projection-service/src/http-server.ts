// /healthz, /readyz and /metrics on the service port (node:http: nothing else is served).
import { createServer, type Server } from "node:http";
import { metricsHandler, type Registry } from "@fxcore/infra";

export const startOpsServer = (
  port: number,
  registry: Registry,
  ready: () => Promise<{ ok: boolean; detail?: unknown }>,
): Promise<Server> => {
  const metrics = metricsHandler(registry);
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    } else if (path === "/readyz") {
      ready().then(
        (r) =>
          res
            .writeHead(r.ok ? 200 : 503, { "content-type": "application/json" })
            .end(JSON.stringify({ status: r.ok ? "ready" : "not ready", detail: r.detail })),
        (err: unknown) =>
          res
            .writeHead(503, { "content-type": "application/json" })
            .end(JSON.stringify({ status: "not ready", detail: String(err) })),
      );
    } else if (path === "/metrics") {
      metrics(req, res);
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(port, () => resolve(server)));
};
