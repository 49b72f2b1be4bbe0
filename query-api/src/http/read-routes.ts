// REST endpoints over the read models. Every list is cursor-paginated with a capped limit.
import type { FastifyInstance, FastifyReply } from "fastify";
import { mayRead, visibleAccounts } from "../auth/caller.ts";
import {
  balanceJson,
  candleJson,
  executionJson,
  levelJson,
  orderJson,
  positionJson,
  priceScaleOf,
  tradeJson,
} from "../read/present.ts";
import type { ReadModels } from "../read/read-models.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { badRequest } from "./problems.ts";
import {
  accountParam,
  cursorParam,
  errorResponses,
  limitParam,
  minPositionParam,
  page,
  ref,
  symbolParam,
} from "./schemas.ts";

const qs = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: "object",
  additionalProperties: false,
  required,
  properties: { ...properties, minPosition: minPositionParam },
});
const params = (properties: Record<string, unknown>) => ({
  type: "object",
  required: Object.keys(properties),
  properties,
});

const forbidden = (reply: FastifyReply, account: string) =>
  reply.code(403).send({ error: "FORBIDDEN", message: `not authorised for account ${account}` });
const notFound = (reply: FastifyReply, what: string) =>
  reply.code(404).send({ error: "NOT_FOUND", message: `${what} not found` });
const unknownSymbol = (reply: FastifyReply, symbol: string) =>
  reply.code(404).send({ error: "UNKNOWN_SYMBOL", message: `no instrument ${symbol}` });

const toNs = (iso: string | undefined): bigint | undefined =>
  iso === undefined ? undefined : BigInt(Date.parse(iso)) * 1_000_000n;

const ORD_STATUSES = ["0", "1", "2", "4", "8", "C"];
const INTERVALS = ["1s", "1m", "1h"];

export function registerReadRoutes(app: FastifyInstance, models: ReadModels): void {
  app.get<{
    Querystring: {
      account?: string;
      symbol?: string;
      status?: string;
      from?: string;
      to?: string;
      limit: number;
      cursor?: string;
    };
  }>(
    "/v1/orders",
    {
      schema: {
        summary: "Orders, newest first",
        tags: ["orders"],
        querystring: qs({
          account: accountParam,
          symbol: symbolParam,
          status: { type: "string", enum: ORD_STATUSES, description: "FIX OrdStatus" },
          from: { type: "string", format: "date-time", description: "Last update at or after" },
          to: { type: "string", format: "date-time", description: "Last update before" },
          limit: limitParam,
          cursor: cursorParam,
        }),
        response: { 200: page("Order"), ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const cur = decodeCursor(q.cursor, ["number"]);
      if (!cur.ok)
        return reply
          .code(400)
          .send(badRequest("querystring.cursor", "not a cursor this endpoint issued"));
      if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to)) {
        return reply.code(400).send(badRequest("querystring.from", "must be before `to`"));
      }
      let accounts = visibleAccounts(req.caller);
      if (q.account !== undefined) {
        if (!mayRead(req.caller, q.account)) return forbidden(reply, q.account);
        accounts = [q.account];
      }
      const rows = await models.orders({
        accounts,
        ...(q.symbol ? { symbol: q.symbol } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.from ? { fromNs: toNs(q.from) as bigint } : {}),
        ...(q.to ? { toNs: toNs(q.to) as bigint } : {}),
        ...(cur.key ? { beforeRowId: cur.key[0] as number } : {}),
        limit: q.limit,
      });
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      return {
        items: items.map(orderJson),
        nextCursor: rows.length > q.limit && last ? encodeCursor([Number(last.row_id)]) : null,
      };
    },
  );

  const orderWithHistory = {
    type: "object",
    properties: { order: ref("Order"), executions: { type: "array", items: ref("Execution") } },
  };
  app.get<{ Params: { orderId: string } }>(
    "/v1/orders/:orderId",
    {
      schema: {
        summary: "One order with its execution history, by OrderID",
        tags: ["orders"],
        params: params({ orderId: { type: "string", minLength: 1, maxLength: 64 } }),
        querystring: qs({}),
        response: { 200: orderWithHistory, ...errorResponses },
      },
    },
    async (req, reply) => {
      const o = await models.order(req.params.orderId);
      // Someone else's order is reported as absent: existence is not disclosed.
      if (!o || !mayRead(req.caller, o.account as string))
        return notFound(reply, `order ${req.params.orderId}`);
      return {
        order: orderJson(o),
        executions: (await models.orderExecutions(req.params.orderId)).map(executionJson),
      };
    },
  );

  app.get<{ Params: { account: string; clOrdId: string } }>(
    "/v1/accounts/:account/orders/by-clordid/:clOrdId",
    {
      schema: {
        summary:
          "One order with its execution history, by (account, ClOrdID) — any ClOrdID the order has had",
        tags: ["orders"],
        params: params({
          account: accountParam,
          clOrdId: { type: "string", minLength: 1, maxLength: 64 },
        }),
        querystring: qs({}),
        response: { 200: orderWithHistory, ...errorResponses },
      },
    },
    async (req, reply) => {
      if (!mayRead(req.caller, req.params.account)) return forbidden(reply, req.params.account);
      const o = await models.orderByClOrdId(req.params.account, req.params.clOrdId);
      if (!o) return notFound(reply, `ClOrdID ${req.params.clOrdId}`);
      return {
        order: orderJson(o),
        executions: (await models.orderExecutions(o.order_id as string)).map(executionJson),
      };
    },
  );

  app.get<{ Params: { account: string }; Querystring: { sinceSeq: number; limit: number } }>(
    "/v1/accounts/:account/executions",
    {
      schema: {
        summary: "Execution reports of an account after a sequence number (oldest first)",
        tags: ["executions"],
        params: params({ account: accountParam }),
        querystring: qs({
          sinceSeq: { type: "integer", minimum: 0, default: 0 },
          limit: limitParam,
        }),
        response: {
          200: {
            type: "object",
            properties: {
              items: { type: "array", items: ref("Execution") },
              nextSinceSeq: { type: "integer" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      if (!mayRead(req.caller, req.params.account)) return forbidden(reply, req.params.account);
      const rows = await models.executionsSince(
        req.params.account,
        req.query.sinceSeq,
        req.query.limit,
      );
      const items = rows.map(executionJson);
      return { items, nextSinceSeq: items.at(-1)?.seq ?? req.query.sinceSeq };
    },
  );

  app.get<{ Params: { symbol: string }; Querystring: { limit: number; cursor?: string } }>(
    "/v1/trades/:symbol",
    {
      schema: {
        summary: "Public trade tape of a pair, newest first",
        tags: ["market data"],
        params: params({ symbol: symbolParam }),
        querystring: qs({ limit: limitParam, cursor: cursorParam }),
        response: { 200: page("Trade"), ...errorResponses },
      },
    },
    async (req, reply) => {
      if (priceScaleOf(req.params.symbol) === undefined)
        return unknownSymbol(reply, req.params.symbol);
      const cur = decodeCursor(req.query.cursor, ["number"]);
      if (!cur.ok)
        return reply
          .code(400)
          .send(badRequest("querystring.cursor", "not a cursor this endpoint issued"));
      const rows = await models.trades(req.params.symbol, {
        ...(cur.key ? { beforeSeq: cur.key[0] as number } : {}),
        limit: req.query.limit + 1,
      });
      const items = rows.slice(0, req.query.limit).map(tradeJson);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > req.query.limit && last ? encodeCursor([last.seq]) : null,
      };
    },
  );

  app.get<{ Params: { account: string } }>(
    "/v1/accounts/:account/positions",
    {
      schema: {
        summary: "Positions per pair (net, average price, realised P&L) and balances per currency",
        tags: ["positions"],
        params: params({ account: accountParam }),
        querystring: qs({}),
        response: {
          200: {
            type: "object",
            properties: {
              positions: { type: "array", items: ref("Position") },
              balances: { type: "array", items: ref("Balance") },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      if (!mayRead(req.caller, req.params.account)) return forbidden(reply, req.params.account);
      const r = await models.positions(req.params.account);
      return { positions: r.positions.map(positionJson), balances: r.balances.map(balanceJson) };
    },
  );

  app.get<{ Params: { symbol: string }; Querystring: { levels: number } }>(
    "/v1/depth/:symbol",
    {
      schema: {
        summary: "L2 book: aggregated price levels, best first",
        tags: ["market data"],
        params: params({ symbol: symbolParam }),
        querystring: qs({ levels: { type: "integer", minimum: 1, maximum: 50, default: 10 } }),
        response: {
          200: {
            type: "object",
            properties: {
              symbol: { type: "string" },
              bids: { type: "array", items: ref("Level") },
              asks: { type: "array", items: ref("Level") },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      if (priceScaleOf(req.params.symbol) === undefined)
        return unknownSymbol(reply, req.params.symbol);
      const d = await models.depth(req.params.symbol, req.query.levels);
      return {
        symbol: req.params.symbol,
        bids: d.bids.map(levelJson),
        asks: d.asks.map(levelJson),
      };
    },
  );

  app.get<{
    Params: { symbol: string };
    Querystring: { interval: string; from: string; to?: string; limit: number; cursor?: string };
  }>(
    "/v1/candles/:symbol",
    {
      schema: {
        summary: "OHLCV candles of a pair, oldest first",
        tags: ["market data"],
        params: params({ symbol: symbolParam }),
        querystring: qs(
          {
            interval: { type: "string", enum: INTERVALS },
            from: { type: "string", format: "date-time" },
            to: { type: "string", format: "date-time" },
            limit: limitParam,
            cursor: cursorParam,
          },
          ["interval", "from"],
        ),
        response: { 200: page("Candle"), ...errorResponses },
      },
    },
    async (req, reply) => {
      if (priceScaleOf(req.params.symbol) === undefined)
        return unknownSymbol(reply, req.params.symbol);
      const cur = decodeCursor(req.query.cursor, ["string"]);
      if (!cur.ok || (cur.key && !/^[0-9]+$/.test(cur.key[0] as string))) {
        return reply
          .code(400)
          .send(badRequest("querystring.cursor", "not a cursor this endpoint issued"));
      }
      const from = cur.key ? BigInt(cur.key[0] as string) + 1n : (toNs(req.query.from) as bigint);
      const to = toNs(req.query.to) ?? 2n ** 62n;
      if (from >= to && !cur.key)
        return reply.code(400).send(badRequest("querystring.from", "must be before `to`"));
      const rows = await models.candles(
        req.params.symbol,
        req.query.interval,
        from,
        to,
        req.query.limit + 1,
      );
      const items = rows.slice(0, req.query.limit);
      const last = items.at(-1);
      return {
        items: items.map(candleJson),
        nextCursor:
          rows.length > req.query.limit && last ? encodeCursor([String(last.start_ns)]) : null,
      };
    },
  );
}
