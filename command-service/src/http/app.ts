// The internal JSON API the gateway calls. Caller identity comes from the
// gateway in headers; every error body is machine-readable:
// { "error": { "code": "...", "message": "...", "details"?: [...] } }.
import type { TimestampNs } from "@fxcore/domain";
import {
  attachRawFront,
  Counter,
  Histogram,
  type Logger,
  type RawFront,
  type RawFrontAnswer,
  type RawFrontRequest,
  type Registry,
} from "@fxcore/infra";
import { context, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import secureJson from "secure-json-parse";
import { answerJson, jsonText, positionJson, reportJson } from "../commands/answer-json.ts";
import type {
  BatchCommand,
  CommandAnswer,
  CommandHandler,
  RequestContext,
} from "../commands/command-handler.ts";
import {
  type BatchItem,
  batchCommandSchemas,
  batchItemSchema,
  batchSchema,
  type CancelRequest,
  cancelSchema,
  type PlaceRequest,
  placeSchema,
  type ReplaceRequest,
  replaceSchema,
} from "../commands/requests.ts";
import { uuidV7 } from "../commands/time-ordered-id.ts";
import { isUnavailable } from "../write/command-writer.ts";
import { commandTracing, type ItemContext, NOOP_SPAN } from "./item-trace.ts";

/** Accounts the caller may trade for, comma-separated (set by the gateway after authentication). */
export const ACCOUNTS_HEADER = "x-fxcore-accounts";
export const ROLES_HEADER = "x-fxcore-roles";
export const CORRELATION_HEADER = "x-correlation-id";

declare module "fastify" {
  interface FastifyInstance {
    /** The raw HTTP/1.1 front of the hot route (ADR 067, ADR 136), for its stats. */
    rawFront: RawFront;
  }
}

export interface AppOptions {
  readonly handler: CommandHandler;
  readonly metrics: Registry;
  /** Readiness: can we serve commands now? */
  readonly ready: () => Promise<boolean>;
  readonly nowNs: () => TimestampNs;
  /** Largest accepted body, bytes (default 16 KiB). */
  readonly bodyLimit?: number;
  /** Largest accepted POST /orders/batch body, bytes (default 1 MiB). */
  readonly batchBodyLimit?: number;
  /** Where internal errors are logged (none without). */
  readonly logger?: Logger;
}

const errorBody = (code: string, message: string, details?: unknown) => ({
  error: { code, message, ...(details === undefined ? {} : { details }) },
});

const tracer = trace.getTracer("@fxcore/command-service");
const commandTraces = commandTracing(tracer);

// Batch items are validated here, one by one, with the options Fastify's
// validator has for the single endpoints (so an item's 400 says what the
// single endpoint's would).
const ajv = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false });
const validItem = ajv.compile<BatchItem>(batchItemSchema);
const validCommand: Record<BatchCommand["kind"], ValidateFunction> = {
  place: ajv.compile(batchCommandSchemas.place),
  cancel: ajv.compile(batchCommandSchemas.cancel),
  replace: ajv.compile(batchCommandSchemas.replace),
};
/** Fastify's validation message format: "<dataVar><path> <message>, ...". */
const validationMessage = (dataVar: string, errors: readonly ErrorObject[]): string =>
  errors.map((e) => `${dataVar}${e.instancePath} ${e.message ?? "is invalid"}`).join(", ");
/** One answer of a batch: {"status","body"} with the body as the single endpoint sends it. */
const itemAnswer = (status: number, bodyJson: string): string =>
  `{"status":${status},"body":${bodyJson}}`;

const UNAVAILABLE_MESSAGE = "the event store is unavailable; nothing was written, retry later";
const unavailableJson = jsonText(errorBody("STORE_UNAVAILABLE", UNAVAILABLE_MESSAGE));
const internalJson = jsonText(errorBody("INTERNAL", "internal error"));
const validBatch = ajv.compile<{ items: unknown[] }>(batchSchema);
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" } as const;
const RETRY_HEADERS = { ...JSON_HEADERS, "retry-after": "1" } as const;
/** A raw front answer with a JSON body, as Fastify's reply would send it. */
const jsonAnswer = (status: number, body: unknown): RawFrontAnswer => ({
  status,
  headers: JSON_HEADERS,
  body: jsonText(body),
});

export function buildApp(o: AppOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: o.bodyLimit ?? 16 * 1024,
    ...(o.logger ? { loggerInstance: o.logger as FastifyBaseLogger } : { logger: false }),
    // Two info lines per request would dominate at command rates; metrics count them instead.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (pino serializes its bindings each time):
    // nothing logs through req.log here; errors go to app.log.
    childLoggerFactory: (logger) => logger,
    // Validation problems are reported all at once.
    ajv: { customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false } },
  });

  const commands = new Counter({
    name: "command_service_commands_total",
    help: "Commands answered, by kind and outcome",
    labelNames: ["kind", "outcome"],
    registers: [o.metrics],
  });
  const latency = new Histogram({
    name: "command_service_command_seconds",
    help: "Time from request to answer",
    labelNames: ["kind"],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [o.metrics],
  });

  // Label children resolved once: a labelled inc/observe hashes its labels on every call.
  const counters = new Map<string, Map<string, { inc(n?: number): void }>>();
  const count = (kind: string, outcome: string, n = 1) => {
    let byOutcome = counters.get(kind);
    if (byOutcome === undefined) {
      byOutcome = new Map();
      counters.set(kind, byOutcome);
    }
    let counter = byOutcome.get(outcome);
    if (counter === undefined) {
      counter = commands.labels({ kind, outcome });
      byOutcome.set(outcome, counter);
    }
    counter.inc(n);
  };
  /** A batch's answers counted in runs of one kind and outcome (one increment per run, not per item). */
  const tally = () => {
    let kind = "";
    let outcome = "";
    let n = 0;
    return {
      add(k: string, o: string) {
        if (k === kind && o === outcome) {
          n++;
          return;
        }
        if (n > 0) count(kind, outcome, n);
        kind = k;
        outcome = o;
        n = 1;
      },
      flush() {
        if (n > 0) count(kind, outcome, n);
        n = 0;
      },
    };
  };
  const timers = {
    place: latency.labels({ kind: "place" }),
    cancel: latency.labels({ kind: "cancel" }),
    replace: latency.labels({ kind: "replace" }),
  };

  app.setErrorHandler(
    (err: Error & { code?: string; statusCode?: number; validation?: unknown }, _req, reply) => {
      if (isUnavailable(err)) {
        return reply
          .code(503)
          .header("retry-after", "1")
          .send(errorBody("STORE_UNAVAILABLE", UNAVAILABLE_MESSAGE));
      }
      if (err.validation !== undefined)
        return reply.code(400).send(errorBody("INVALID_REQUEST", err.message, err.validation));
      switch (err.code) {
        case "FST_ERR_CTP_BODY_TOO_LARGE":
          return reply.code(413).send(errorBody("PAYLOAD_TOO_LARGE", err.message));
        case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
          return reply.code(415).send(errorBody("UNSUPPORTED_MEDIA_TYPE", err.message));
        case "FST_ERR_CTP_EMPTY_JSON_BODY":
        case "FST_ERR_CTP_INVALID_JSON_BODY":
          return reply.code(400).send(errorBody("MALFORMED_JSON", err.message));
      }
      if (err instanceof SyntaxError || err.statusCode === 400)
        return reply.code(400).send(errorBody("MALFORMED_JSON", err.message));
      if (err.statusCode !== undefined && err.statusCode < 500)
        return reply.code(err.statusCode).send(errorBody("BAD_REQUEST", err.message));
      app.log.error({ err }, "command failed");
      return reply.code(500).send(errorBody("INTERNAL", "internal error"));
    },
  );
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody("NOT_FOUND", `no route ${req.method} ${req.url}`)),
  );

  /** The caller's accounts, or the reply already sent (401/403). */
  const authorise = (req: FastifyRequest, reply: FastifyReply, account: string): boolean => {
    const raw = req.headers[ACCOUNTS_HEADER];
    const header = Array.isArray(raw) ? raw.join(",") : raw;
    if (header === undefined || header.trim() === "") {
      void reply.code(401).send(errorBody("UNAUTHENTICATED", `missing ${ACCOUNTS_HEADER} header`));
      return false;
    }
    // The gateway's usual header names exactly one account.
    if (header !== account && !header.split(",").some((a) => a.trim() === account)) {
      void reply
        .code(403)
        .send(errorBody("ACCOUNT_NOT_AUTHORISED", `caller may not act for account ${account}`));
      return false;
    }
    return true;
  };

  /** A batch item's 401/403 answer, or null when the caller may act for the account. */
  const refusalOf = (accounts: readonly string[], account: string): string | null => {
    if (accounts.length === 0)
      return itemAnswer(
        401,
        jsonText(errorBody("UNAUTHENTICATED", "the item's caller names no account")),
      );
    if (!accounts.includes(account))
      return itemAnswer(
        403,
        jsonText(errorBody("ACCOUNT_NOT_AUTHORISED", `caller may not act for account ${account}`)),
      );
    return null;
  };

  /** Runs a command inside a SERVER span continuing the gateway's trace; its context rides on the event. */
  const run = async (
    kind: "place" | "cancel" | "replace",
    req: FastifyRequest,
    reply: FastifyReply,
    account: string,
    exec: (ctx: RequestContext) => Promise<CommandAnswer>,
  ) => {
    const receivedAtNs = o.nowNs();
    if (!authorise(req, reply, account)) {
      count(kind, "refused");
      return reply;
    }
    const started = performance.now();
    const corr = req.headers[CORRELATION_HEADER];
    // The same trace rule as a batch item's; a real span is active while the command runs.
    const t = commandTraces()(kind, req.headers as ItemContext);
    const answered = async () => {
      try {
        const answer = await exec({
          correlationId: typeof corr === "string" && corr !== "" ? corr : uuidV7(),
          traceparent: t.traceparent,
          tracestate: t.tracestate,
          receivedAtNs,
        });
        const rejected =
          answer.report !== null &&
          (answer.report.msgType === "9" || answer.report.ordStatus === "8");
        count(kind, answer.resent ? "resent" : rejected ? "rejected" : "accepted");
        return reply.code(200).type("application/json").send(answerJson(answer));
      } catch (e) {
        count(kind, isUnavailable(e) ? "unavailable" : "error");
        t.span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
        throw e;
      } finally {
        timers[kind].observe((performance.now() - started) / 1000);
        t.span.end();
      }
    };
    return t.span === NOOP_SPAN ? answered() : context.with(t.context, answered);
  };

  app.post<{ Body: PlaceRequest }>("/orders", { schema: { body: placeSchema } }, (req, reply) =>
    run("place", req, reply, req.body.account, (ctx) => o.handler.place(req.body, ctx)),
  );
  app.post<{ Body: CancelRequest }>(
    "/orders/cancel",
    { schema: { body: cancelSchema } },
    (req, reply) =>
      run("cancel", req, reply, req.body.account, (ctx) => o.handler.cancel(req.body, ctx)),
  );
  app.post<{ Body: ReplaceRequest }>(
    "/orders/replace",
    { schema: { body: replaceSchema } },
    (req, reply) =>
      run("replace", req, reply, req.body.account, (ctx) => o.handler.replace(req.body, ctx)),
  );
  // Several commands in one call (ADR 066): each item authorised, validated
  // and decided on its own, answered exactly as its single endpoint would;
  // all of them written in one group-commit transaction.
  /**
   * A valid batch's answer text, {"answers":[...]}. Throws when the group
   * write failed: nothing of the batch was written, and the whole call answers.
   */
  const answerBatch = async (items: readonly unknown[]): Promise<string> => {
    const receivedAtNs = o.nowNs();
    const started = performance.now();
    const answers = new Array<string>(items.length);
    const runs: { index: number; command: BatchCommand; ctx: RequestContext; span: Span }[] = [];
    const traceOf = commandTraces();
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (!validItem(item)) {
        const errors = validItem.errors ?? [];
        answers[i] = itemAnswer(
          400,
          jsonText(errorBody("INVALID_REQUEST", validationMessage("item", errors), errors)),
        );
        continue;
      }
      const validate = validCommand[item.command.kind];
      if (!validate(item.command)) {
        const errors = validate.errors ?? [];
        answers[i] = itemAnswer(
          400,
          jsonText(errorBody("INVALID_REQUEST", validationMessage("body", errors), errors)),
        );
        continue;
      }
      const { kind, ...body } = item.command;
      const refusal = refusalOf(item.caller.accounts, body.account);
      if (refusal !== null) {
        count(kind, "refused");
        answers[i] = refusal;
        continue;
      }
      const t = traceOf(kind, item);
      runs.push({
        index: i,
        command: { kind, body } as BatchCommand,
        span: t.span,
        ctx: {
          correlationId: item.correlationId ?? uuidV7(),
          traceparent: t.traceparent,
          tracestate: t.tracestate,
          receivedAtNs,
        },
      });
    }
    let settled: PromiseSettledResult<CommandAnswer>[];
    try {
      settled = runs.length === 0 ? [] : await o.handler.batch(runs);
    } catch (e) {
      // The group write failed: nothing of this batch was written; the whole call answers.
      for (const r of runs) {
        count(r.command.kind, isUnavailable(e) ? "unavailable" : "error");
        r.span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
        r.span.end();
      }
      throw e;
    }
    const seconds = (performance.now() - started) / 1000;
    const counted = tally();
    settled.forEach((s, n) => {
      const r = runs[n] as (typeof runs)[number];
      const kind = r.command.kind;
      if (s.status === "fulfilled") {
        const answer = s.value;
        const rejected =
          answer.report !== null &&
          (answer.report.msgType === "9" || answer.report.ordStatus === "8");
        counted.add(kind, answer.resent ? "resent" : rejected ? "rejected" : "accepted");
        answers[r.index] = itemAnswer(200, answerJson(answer));
      } else {
        const e = s.reason as Error;
        counted.add(kind, isUnavailable(e) ? "unavailable" : "error");
        r.span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
        if (isUnavailable(e)) answers[r.index] = itemAnswer(503, unavailableJson);
        else {
          app.log.error({ err: e }, "batch command failed");
          answers[r.index] = itemAnswer(500, internalJson);
        }
      }
      timers[kind].observe(seconds);
      r.span.end();
    });
    counted.flush();
    // The brackets go inside the join, so its flat result is encoded as is
    // (a concatenation around it would be flattened into another copy first).
    const last = answers.length - 1;
    answers[0] = `{"answers":[${answers[0]}`;
    answers[last] = `${answers[last]}]}`;
    return answers.join(",");
  };
  const batchBodyLimit = o.batchBodyLimit ?? 1024 * 1024;
  app.post<{ Body: { items: unknown[] } }>(
    "/orders/batch",
    { schema: { body: batchSchema }, bodyLimit: batchBodyLimit },
    async (req, reply) =>
      // Encoded once here: a string reply is measured, then encoded, by the reply.
      reply
        .code(200)
        .type("application/json")
        .send(Buffer.from(await answerBatch(req.body.items))),
  );

  // The batch route's ordinary requests skip Fastify (ADR 136): the raw front
  // answers them as the route above would; anything unusual in the head (other
  // content types, a body over the limit, chunked…) is handed to Fastify.
  const rawBatch = async (r: RawFrontRequest): Promise<RawFrontAnswer> => {
    let body: unknown;
    try {
      // Fastify's JSON parser, with its settings: a prototype key is refused.
      body = secureJson.parse(r.body, undefined, {
        protoAction: "error",
        constructorAction: "error",
      });
    } catch (e) {
      return jsonAnswer(400, errorBody("MALFORMED_JSON", (e as Error).message));
    }
    if (!validBatch(body)) {
      const errors = validBatch.errors ?? [];
      return jsonAnswer(
        400,
        errorBody("INVALID_REQUEST", validationMessage("body", errors), errors),
      );
    }
    try {
      return { status: 200, headers: JSON_HEADERS, body: await answerBatch(body.items) };
    } catch (e) {
      // The error handler's answers, as texts made once.
      if (isUnavailable(e)) return { status: 503, headers: RETRY_HEADERS, body: unavailableJson };
      app.log.error({ err: e }, "command failed");
      return { status: 500, headers: JSON_HEADERS, body: internalJson };
    }
  };
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
    front.close();
  });
  const front = attachRawFront(app.server, {
    route: "POST /orders/batch",
    accepts: (h, length) =>
      length > 0 && length <= batchBodyLimit && h["content-type"] === "application/json",
    handle: rawBatch,
    closing: () => closing,
    // A batch still arriving after this long is not a gateway's call: 408.
    requestTimeoutMs: 30_000,
    keepAliveMs: app.initialConfig.keepAliveTimeout ?? 72_000,
  });
  app.decorate("rawFront", front);

  app.get<{ Params: { account: string; clOrdId: string } }>(
    "/orders/:account/:clOrdId",
    async (req, reply) => {
      const { account, clOrdId } = req.params;
      if (!authorise(req, reply, account)) return reply;
      const answer = await o.handler.status(account, clOrdId);
      if (!answer.found)
        return reply
          .code(404)
          .send(errorBody("UNKNOWN_ORDER", `no order ${clOrdId} for ${account}`));
      return reply
        .code(200)
        .type("application/json")
        .send(
          `{"report":${reportJson(answer.report)},"position":${positionJson(answer.position)}}`,
        );
    },
  );

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) =>
    (await o.ready().catch(() => false))
      ? reply.send({ status: "ready" })
      : reply.code(503).header("retry-after", "1").send(errorBody("NOT_READY", "not ready")),
  );
  app.get("/metrics", async (_req, reply) =>
    reply.header("content-type", o.metrics.contentType).send(await o.metrics.metrics()),
  );
  return app;
}
