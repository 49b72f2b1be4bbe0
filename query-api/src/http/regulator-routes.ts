// Regulator endpoints (role `regulator` only): the event log's view from
// @fxcore/replay — order lifecycle, book as of an instant, re-execution,
// integrity of the log, exports — plus the audit trail's verification.
import type { PgPool } from "@fxcore/infra";
import { verifyAuditTrail } from "@fxcore/projection-service";
import type { ApiAnswer, RegulatorApi } from "@fxcore/replay";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { symbolParam } from "./schemas.ts";

const str = { type: "string", maxLength: 100 } as const;
const qs = (properties: Record<string, unknown>) => ({
  type: "object",
  additionalProperties: false,
  properties,
});
const tags = ["regulator"];

const send = (reply: FastifyReply, a: ApiAnswer) =>
  reply
    .code(a.status)
    .send(a.status === 400 ? { ...(a.body as object), error: "BAD_REQUEST" } : a.body);

const regulatorOnly = async (req: FastifyRequest, reply: FastifyReply) => {
  if (!req.caller.roles.includes("regulator")) {
    return reply.code(403).send({ error: "FORBIDDEN", message: "regulator role required" });
  }
};

export function registerRegulatorRoutes(
  app: FastifyInstance,
  api: RegulatorApi,
  pool: PgPool,
): void {
  const opts = (summary: string, schema: Record<string, unknown>) => ({
    preHandler: regulatorOnly,
    schema: { summary, tags, ...schema },
  });

  app.get<{ Params: { orderId: string } }>(
    "/v1/regulator/orders/:orderId/lifecycle",
    opts("Every event of an order's life, from the event store", {
      params: {
        type: "object",
        required: ["orderId"],
        properties: { orderId: { type: "string", minLength: 1, maxLength: 64 } },
      },
    }),
    async (req, reply) => send(reply, await api.lifecycle({ orderId: req.params.orderId })),
  );
  app.get<{ Querystring: { account: string; clOrdId: string } }>(
    "/v1/regulator/lifecycle",
    opts("An order's life by (account, ClOrdID)", {
      querystring: { ...qs({ account: str, clOrdId: str }), required: ["account", "clOrdId"] },
    }),
    async (req, reply) =>
      send(reply, await api.lifecycle({ account: req.query.account, clOrdId: req.query.clOrdId })),
  );
  app.get<{ Params: { pair: string }; Querystring: Record<string, string | undefined> }>(
    "/v1/regulator/books/:pair",
    opts(
      "The order book of a pair as of an instant (at), a pair sequence (seq) or now (latest=true), rebuilt by the matcher's code",
      {
        params: { type: "object", required: ["pair"], properties: { pair: symbolParam } },
        querystring: qs({ at: str, seq: str, latest: { type: "string", enum: ["true", "false"] } }),
      },
    ),
    async (req, reply) => send(reply, await api.book({ pair: req.params.pair, ...req.query })),
  );
  app.get<{ Params: { pair: string }; Querystring: Record<string, string | undefined> }>(
    "/v1/regulator/pairs/:pair/reexecution",
    opts(
      "Re-run the pair's inputs through the deterministic matcher and compare with what it recorded",
      {
        params: { type: "object", required: ["pair"], properties: { pair: symbolParam } },
        querystring: qs({ fromSeq: str, toSeq: str }),
      },
    ),
    async (req, reply) => send(reply, await api.reexecute({ pair: req.params.pair, ...req.query })),
  );
  app.get<{ Querystring: { pair?: string } }>(
    "/v1/regulator/integrity",
    opts("Integrity of the event log (gapless pair sequences, unique ids)", {
      querystring: qs({ pair: str }),
    }),
    async (req, reply) => send(reply, await api.integrity(req.query)),
  );
  app.get<{ Querystring: { pair?: string } }>(
    "/v1/regulator/audit",
    opts("Re-hash the audit trail's chains and digests; the first broken link if any", {
      querystring: qs({ pair: { type: "string", pattern: "^[A-Z]{6}(,[A-Z]{6})*$" } }),
    }),
    async (req) =>
      verifyAuditTrail(pool, req.query.pair ? { pairs: req.query.pair.split(",") } : {}),
  );
  app.get<{ Querystring: Record<string, string | undefined> }>(
    "/v1/regulator/exports",
    opts("Export the event log (jsonl, csv or Avro OCF), streamed", {
      querystring: {
        ...qs({ format: str, pair: str, account: str, from: str, to: str }),
        required: ["format"],
      },
      produces: ["application/x-ndjson", "text/csv", "application/octet-stream"],
    }),
    async (req, reply) => {
      const format = req.query.format;
      const type =
        format === "csv"
          ? "text/csv"
          : format === "jsonl"
            ? "application/x-ndjson"
            : "application/octet-stream";
      let started = false;
      const res = reply.raw;
      const answer = await api.export(req.query, async (chunk) => {
        if (!started) {
          started = true;
          reply.hijack();
          res.writeHead(200, { "content-type": type });
        }
        if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
      });
      if (started) {
        res.end();
        return reply;
      }
      if (answer.status === 200) return reply.code(200).header("content-type", type).send("");
      return send(reply, answer);
    },
  );
}
