// Server-Sent Events: executions per account (resumable with Last-Event-ID),
// trades and depth per pair; heartbeats keep proxies from closing idle streams.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { mayRead } from "../auth/caller.ts";
import type { NotificationHub } from "../live/hub.ts";
import { executionJson, levelJson, priceScaleOf, tradeJson } from "../read/present.ts";
import type { ReadModels } from "../read/read-models.ts";
import { badRequest } from "./problems.ts";
import { accountParam, symbolParam } from "./schemas.ts";

interface SseEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: unknown;
}

const frame = (e: SseEvent): string =>
  `${e.id !== undefined ? `id: ${e.id}\n` : ""}event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;

/** Runs one SSE stream: `next()` returns what is new since the last call; it runs on each change signal and heartbeat. */
const stream = (
  req: FastifyRequest,
  reply: FastifyReply,
  heartbeatMs: number,
  subscribe: (signal: () => void) => () => void,
  next: () => Promise<SseEvent[]>,
): void => {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.write("retry: 2000\n\n");
  let running = false;
  let again = false;
  let open = true;
  const pump = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const events = await next();
        if (!open) return;
        if (events.length) res.write(events.map(frame).join(""));
      } while (again && open);
    } catch (err) {
      req.log.warn({ err }, "SSE read failed; closing the stream");
      res.end();
    } finally {
      running = false;
    }
  };
  const unsubscribe = subscribe(() => void pump());
  const beat = setInterval(() => {
    res.write(`: heartbeat ${new Date().toISOString()}\n\n`);
    void pump(); // also covers a missed notification
  }, heartbeatMs);
  req.raw.on("close", () => {
    open = false;
    clearInterval(beat);
    unsubscribe();
  });
  void pump();
};

const lastEventId = (req: FastifyRequest): string | undefined => {
  const h = req.headers["last-event-id"];
  return typeof h === "string" ? h : (req.query as { lastEventId?: string }).lastEventId;
};

/** The sequence a stream resumes after; null when Last-Event-ID is malformed (the answer is sent). */
const resumeAfter = (
  req: FastifyRequest,
  reply: FastifyReply,
  what: string,
): { from: number | undefined } | null => {
  const from = lastEventId(req);
  if (from === undefined) return { from: undefined };
  if (/^[0-9]{1,15}$/.test(from)) return { from: Number(from) };
  void reply.code(400).send(badRequest("Last-Event-ID", `must be ${what}`));
  return null;
};

/** False (and a 404 sent) when the pair is not an instrument. */
const knownPair = (symbol: string, reply: FastifyReply): boolean => {
  if (priceScaleOf(symbol) !== undefined) return true;
  void reply.code(404).send({ error: "UNKNOWN_SYMBOL", message: `no instrument ${symbol}` });
  return false;
};

const sseRoute = (summary: string, params: object, querystring: object) => ({
  schema: {
    summary,
    tags: ["streams"],
    params: { type: "object", required: Object.keys(params), properties: params },
    querystring,
    produces: ["text/event-stream"],
  },
});

export function registerStreamRoutes(
  app: FastifyInstance,
  models: ReadModels,
  hub: NotificationHub,
  heartbeatMs: number,
): void {
  const resumable = {
    type: "object",
    additionalProperties: false,
    properties: {
      lastEventId: {
        type: "string",
        pattern: "^[0-9]{1,15}$",
        description: "Same as the Last-Event-ID header",
      },
    },
  };

  app.get<{ Params: { account: string } }>(
    "/v1/stream/accounts/:account/executions",
    sseRoute(
      "SSE: execution reports of an account; resume with Last-Event-ID (the account sequence)",
      { account: accountParam },
      resumable,
    ),
    async (req, reply) => {
      const account = req.params.account;
      if (!mayRead(req.caller, account))
        return reply
          .code(403)
          .send({ error: "FORBIDDEN", message: `not authorised for account ${account}` });
      const resume = resumeAfter(req, reply, "an execution sequence number");
      if (!resume) return reply;
      let cursor = resume.from ?? 0;
      stream(
        req,
        reply,
        heartbeatMs,
        (s) => hub.onAccount(account, s),
        async () => {
          const rows = await models.executionsSince(account, cursor, 500);
          const out = rows.map((r) => {
            const e = executionJson(r);
            return { id: String(e.seq), event: "execution", data: e };
          });
          if (rows.length) cursor = Number(rows.at(-1)?.account_seq);
          return out;
        },
      );
    },
  );

  app.get<{ Params: { symbol: string } }>(
    "/v1/stream/trades/:symbol",
    sseRoute(
      "SSE: the trade tape of a pair; resume with Last-Event-ID (the pair sequence), else from now",
      { symbol: symbolParam },
      resumable,
    ),
    async (req, reply) => {
      const symbol = req.params.symbol;
      if (!knownPair(symbol, reply)) return reply;
      const resume = resumeAfter(req, reply, "a trade sequence number");
      if (!resume) return reply;
      let cursor = resume.from ?? Number((await models.trades(symbol, { limit: 1 }))[0]?.seq ?? 0);
      stream(
        req,
        reply,
        heartbeatMs,
        (s) => hub.onSymbol(symbol, s),
        async () => {
          const rows = await models.trades(symbol, { sinceSeq: cursor, limit: 500 });
          if (rows.length) cursor = Number(rows.at(-1)?.seq);
          return rows.map((r) => ({ id: String(r.seq), event: "trade", data: tradeJson(r) }));
        },
      );
    },
  );

  app.get<{ Params: { symbol: string }; Querystring: { levels: number } }>(
    "/v1/stream/depth/:symbol",
    sseRoute(
      "SSE: L2 snapshots of a pair whenever its book changes",
      { symbol: symbolParam },
      {
        type: "object",
        additionalProperties: false,
        properties: { levels: { type: "integer", minimum: 1, maximum: 50, default: 10 } },
      },
    ),
    async (req, reply) => {
      const symbol = req.params.symbol;
      if (!knownPair(symbol, reply)) return reply;
      let last = "";
      let n = 0;
      stream(
        req,
        reply,
        heartbeatMs,
        (s) => hub.onSymbol(symbol, s),
        async () => {
          const d = await models.depth(symbol, req.query.levels);
          const data = { symbol, bids: d.bids.map(levelJson), asks: d.asks.map(levelJson) };
          const text = JSON.stringify(data);
          if (text === last) return [];
          last = text;
          return [{ id: String(++n), event: "depth", data }];
        },
      );
    },
  );
}
