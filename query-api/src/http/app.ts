// The query API: read endpoints over the read models, SSE, OpenAPI + Swagger UI.
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import {
  createMetricsRegistry,
  Histogram,
  type Logger,
  type PgPool,
  type Registry,
} from "@fxcore/infra";
import type { RegulatorApi } from "@fxcore/replay";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from "fastify";
import { type Caller, callerFrom } from "../auth/caller.ts";
import type { NotificationHub } from "../live/hub.ts";
import { ReadModels } from "../read/read-models.ts";
import { badRequest, type Problem, problemSchema } from "./problems.ts";
import { registerReadRoutes } from "./read-routes.ts";
import { registerRegulatorRoutes } from "./regulator-routes.ts";
import { balance, candle, execution, level, order, position, trade } from "./schemas.ts";
import { registerStreamRoutes } from "./stream-routes.ts";

declare module "fastify" {
  interface FastifyRequest {
    caller: Caller;
  }
}

export const MIN_POSITION_HEADER = "x-fxcore-min-position";

export interface AppOptions {
  readonly pool: PgPool;
  readonly hub: NotificationHub;
  readonly logger?: Logger;
  /** Longest a read-your-writes request waits for the projection (default 2000 ms). */
  readonly readYourWritesTimeoutMs?: number;
  /** SSE heartbeat period (default 15000 ms). */
  readonly heartbeatMs?: number;
  /** Prometheus registry for /metrics (default: a new one for "query-api"). */
  readonly metrics?: Registry;
  /** The regulator endpoints (from @fxcore/replay); absent: not mounted. */
  readonly regulator?: RegulatorApi;
}

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger as FastifyBaseLogger | undefined,
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: true } },
  });
  const models = new ReadModels(o.pool);
  const rywTimeout = o.readYourWritesTimeoutMs ?? 2_000;

  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "fxcore query API",
        version: "1.0.0",
        description: "Read models of the fxcore trading core, for dashboards and regulators.",
      },
      components: {
        securitySchemes: {
          gateway: {
            type: "apiKey",
            in: "header",
            name: "x-fxcore-key-id",
            description:
              "Identity headers set by the gateway (x-fxcore-key-id, x-fxcore-roles, x-fxcore-accounts)",
          },
        },
      },
      security: [{ gateway: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  for (const s of [problemSchema, order, execution, trade, level, candle, position, balance])
    app.addSchema(s);

  app.setErrorHandler(
    (
      err: {
        validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[];
        validationContext?: string;
        statusCode?: number;
        message: string;
      },
      _req,
      reply,
    ) => {
      if (err.validation) {
        const details = err.validation.map((v) => {
          const missing = v.params?.missingProperty;
          const field = `${err.validationContext ?? "request"}${v.instancePath.replaceAll("/", ".")}${missing ? `.${String(missing)}` : ""}`;
          return { field, problem: v.message ?? "invalid" };
        });
        const body: Problem = {
          error: "BAD_REQUEST",
          message: details.map((d) => `${d.field} ${d.problem}`).join("; "),
          details,
        };
        return reply.code(400).send(body);
      }
      const status =
        err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      return reply.code(status).send({
        error: status === 500 ? "INTERNAL" : "BAD_REQUEST",
        message: status === 500 ? "internal error" : err.message,
      });
    },
  );
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ error: "NOT_FOUND", message: `no route ${req.method} ${req.url.split("?")[0]}` }),
  );

  const registry =
    o.metrics ?? createMetricsRegistry({ service: "query-api", defaultMetrics: false });
  const durations = new Histogram({
    name: "fx_query_request_seconds",
    help: "Request duration by route and status (SSE streams: until the headers)",
    labelNames: ["route", "status"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook("onResponse", async (req, reply) => {
    durations.observe(
      { route: req.routeOptions.url ?? "unknown", status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) =>
    reply.header("content-type", registry.contentType).send(await registry.metrics()),
  );
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { hide: true } }, async (_req, reply) => {
    try {
      await o.pool.query("SELECT 1 FROM rm.active_version");
      return { status: "ready" };
    } catch (e) {
      return reply.code(503).send({ status: "not ready", detail: String(e) });
    }
  });

  app.decorateRequest("caller", null as unknown as Caller);
  app.addHook("onRequest", async (req, reply) => {
    if (!req.url.startsWith("/v1/")) return;
    const c = callerFrom(req.headers);
    if (!c.ok)
      return reply
        .code(c.problem.status)
        .send({ error: c.problem.error, message: c.problem.message });
    req.caller = c.caller;
  });
  // Read-your-writes, after validation: wait until the projection has applied the caller's event.
  app.addHook("preHandler", async (req: FastifyRequest, reply) => {
    if (!req.url.startsWith("/v1/")) return;
    const raw =
      (req.query as { minPosition?: string } | undefined)?.minPosition ??
      req.headers[MIN_POSITION_HEADER];
    if (raw === undefined) return;
    if (typeof raw !== "string" || !/^[0-9]{1,18}$/.test(raw)) {
      return reply
        .code(400)
        .send(badRequest("minPosition", "must be an event-store position (decimal digits)"));
    }
    const position = BigInt(raw);
    const deadline = Date.now() + rywTimeout;
    for (;;) {
      if (await models.reached(position)) return;
      if (Date.now() >= deadline) {
        return reply
          .code(503)
          .header("retry-after", "1")
          .send({
            error: "NOT_YET_VISIBLE",
            message: `projection has not reached position ${raw} within ${rywTimeout} ms`,
          });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  registerReadRoutes(app, models);
  registerStreamRoutes(app, models, o.hub, o.heartbeatMs ?? 15_000);
  if (o.regulator) registerRegulatorRoutes(app, o.regulator, o.pool);
  await app.ready();
  return app;
}
