// The gateway's HTTP shell: Fastify routes around the pure pieces (codecs,
// dictionary, signing, account policy, buckets). Every answer goes through
// `send`, which renders one Answer as FIX (tag=value or FIX JSON) or as the
// error body, so the HTTP status, the error code and the FIX reject agree.

import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { Logger, Registry } from "@fxcore/infra";
import { accountId } from "@fxcore/domain";
import { type Context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  attachRawFront,
  Counter,
  Histogram,
  type RawFront,
  type RawFrontRequest,
  tracerIsReal,
} from "@fxcore/infra";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import {
  type AuthError,
  type AuthResult,
  authenticateNow,
  type KeyLookup,
  type SignedRequest,
} from "../auth/authenticate.ts";
import { type Principal, readableAccounts, resolveAccount } from "../auth/principal.ts";
import { createReplayCache, type ReplayCache } from "../auth/replay-cache.ts";
import { SIGNATURE_WINDOW_MS } from "../auth/signing.ts";
import type { ExecutionSource } from "../executions/source.ts";
import { Tag } from "../fix/fields.ts";
import { decodeFixJson, encodeFixJson, toFixJson } from "../fix/json.ts";
import { type FixMessage, fixMessage, getField } from "../fix/message.ts";
import { BusinessRejectReason as B, businessReject, type FixReject } from "../fix/rejects.ts";
import {
  type Delimiter,
  decodeTagValue,
  detectDelimiter,
  encodeTagValue,
} from "../fix/tag-value.ts";
import { formatUtcTimestamp } from "../fix/timestamp.ts";
import { validate } from "../fix/validate.ts";
import { bucketOf, type GatewayRequest } from "../orders/requests.ts";
import { accountOf, toRequest } from "../orders/translate.ts";
import {
  type BucketClass,
  createRateLimiter,
  type RateDecision,
  type RateLimitConfig,
} from "../rate-limit/limiter.ts";
import type { OrderEntry, UpstreamOutcome } from "../upstream/order-entry.ts";
import { type Answer, plainError, rejectAnswer, reportAnswer } from "./answers.ts";
import { openApiDocument } from "./openapi.ts";
import { streamExecutions } from "./sse.ts";

export interface GatewayOptions {
  readonly keys: KeyLookup;
  readonly orderEntry: OrderEntry;
  /** The read side; null answers the execution endpoints with 503. */
  readonly executions: ExecutionSource | null;
  readonly rateLimits: RateLimitConfig;
  readonly replay?: ReplayCache;
  readonly now?: () => number;
  readonly logger?: Logger;
  readonly metrics?: Registry;
  readonly bodyLimitBytes?: number;
  readonly requestTimeoutMs?: number;
  readonly sse?: {
    readonly heartbeatMs: number;
    readonly pollMs: number;
    readonly maxPerKey?: number;
  };
  readonly readyChecks?: ReadonlyArray<() => Promise<boolean>>;
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** The raw HTTP/1.1 front of order entry (ADR 067), for its stats. */
    rawFront: RawFront;
  }
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  perKey: { order: { ratePerSec: 1_000, burst: 2_000 }, query: { ratePerSec: 100, burst: 200 } },
  perAccount: {
    order: { ratePerSec: 1_000, burst: 2_000 },
    query: { ratePerSec: 100, burst: 200 },
  },
};

/** An order-entry message that passed every check: its call, and what its answer carries. */
interface Dispatch {
  readonly request: GatewayRequest;
  readonly msgType: string;
  readonly refId: string | undefined;
  /** The rate-limit headers. */
  readonly limited: Record<string, string>;
}
const isDispatch = (x: Answer | Dispatch): x is Dispatch => "request" in x;

/** Order-entry answers of one status and code not yet added to the counter. */
interface FixCount {
  readonly counter: { inc(n?: number): void };
  n: number;
}

type Format = { readonly kind: "json" } | { readonly kind: "fix"; readonly delimiter: Delimiter };

const AUTH_STATUS: Readonly<Record<AuthError["code"], number>> = {
  MISSING_CREDENTIALS: 401,
  CLOCK_SKEW: 401,
  UNKNOWN_KEY: 401,
  BAD_SIGNATURE: 401,
  REPLAYED_SIGNATURE: 401,
  REPLAY_CACHE_FULL: 503,
};

const isFixType = (ct: string | undefined) =>
  ct !== undefined &&
  ct !== "application/json" &&
  (ct.split(";")[0] ?? "").trim().toLowerCase() === "application/fix";

const JSON_FORMAT: Format = { kind: "json" };

/** A POST answers in the encoding it was sent in. */
const postFormat = (contentType: string | undefined, body: string): Format =>
  isFixType(contentType) ? { kind: "fix", delimiter: detectDelimiter(body) } : JSON_FORMAT;

const formatOf = (req: FastifyRequest): Format => {
  if (req.method === "POST")
    return postFormat(req.headers["content-type"], typeof req.body === "string" ? req.body : "");
  return (req.headers.accept ?? "").includes("application/fix")
    ? { kind: "fix", delimiter: "|" }
    : JSON_FORMAT;
};

/** One Answer as HTTP: the same bytes whichever server path writes it. */
interface Rendered {
  readonly status: number;
  readonly type: "application/json" | "application/fix";
  readonly body: string;
}

const render = (a: Answer, format: Format): Rendered => {
  if (a.fix && format.kind === "fix")
    return {
      status: a.status,
      type: "application/fix",
      body: encodeTagValue(a.fix, format.delimiter),
    };
  if (!a.code && a.fix)
    return { status: a.status, type: "application/json", body: encodeFixJson(a.fix) };
  const error = {
    code: a.code ?? "ERROR",
    message: a.message ?? "",
    ...(a.details ?? {}),
    ...(a.fix ? { fix: toFixJson(a.fix) } : {}),
  };
  return { status: a.status, type: "application/json", body: JSON.stringify({ error }) };
};

const send = (reply: FastifyReply, a: Answer, format: Format): FastifyReply => {
  const r = render(a, format);
  reply.code(r.status);
  if (a.headers) for (const k in a.headers) reply.header(k, a.headers[k]);
  if (a.code) reply.header("fx-error-code", a.code);
  return reply.type(r.type).send(r.body);
};

/** An answer as the fast shells write it (content-length is theirs to add). */
interface WireAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What Fastify sends as content-type for each type we set. */
const CONTENT_TYPE: Readonly<Record<Rendered["type"], string>> = {
  "application/json": "application/json; charset=utf-8",
  "application/fix": "application/fix",
};

/** The answer with `extra` headers underneath its own (which win). */
const withHeaders = (a: Answer, extra: Record<string, string>): Answer => {
  if (a.headers) for (const k in a.headers) extra[k] = a.headers[k]!;
  return { ...a, headers: extra };
};

const rateHeaders = (d: RateDecision): Record<string, string> => {
  const h: Record<string, string> = {
    "ratelimit-limit": String(d.limit),
    "ratelimit-remaining": String(d.remaining),
    "ratelimit-reset": String(d.resetSec),
  };
  if (!d.allowed) h["retry-after"] = String(d.retryAfterSec);
  return h;
};

export const buildApp = async (o: GatewayOptions): Promise<FastifyInstance> => {
  const now = o.now ?? Date.now;
  const replay =
    o.replay ?? createReplayCache({ retentionMs: 2 * SIGNATURE_WINDOW_MS, maxEntries: 1_000_000 });
  const limiter = createRateLimiter(o.rateLimits);
  const bodyLimit = o.bodyLimitBytes ?? 16 * 1024;
  // Order entry's hot route is answered straight from node:http (fastOrderEntry,
  // ADR 067); every other request, and every unusual one, goes to Fastify.
  let fastOrderEntry: ((req: IncomingMessage, res: ServerResponse) => boolean) | null = null;
  let rawOrderEntry: ((r: RawFrontRequest) => WireAnswer | Promise<WireAnswer>) | null = null;
  let closing = false;
  let front: RawFront | null = null;
  const requestTimeoutMs = o.requestTimeoutMs ?? 10_000;
  const app = Fastify({
    serverFactory: (handler) => {
      const server = http.createServer((req, res) => {
        if (fastOrderEntry === null || !fastOrderEntry(req, res)) handler(req, res);
      });
      // What Fastify sets on a server it creates itself.
      server.keepAliveTimeout = 72_000;
      server.requestTimeout = requestTimeoutMs;
      server.setTimeout(30_000);
      front = attachRawFront(server, {
        route: "POST /v1/fix",
        headers: ["fx-key", "fx-timestamp", "fx-signature"],
        accepts: (h, length) =>
          length > 0 &&
          length <= bodyLimit &&
          (h["content-type"] === "application/json" || isFixType(h["content-type"])),
        handle: (r) => rawOrderEntry!(r),
        closing: () => closing,
        requestTimeoutMs,
        keepAliveMs: 72_000,
      });
      return server;
    },
    ...(o.logger ? { loggerInstance: o.logger as FastifyBaseLogger } : { logger: false }),
    bodyLimit,
    requestTimeout: requestTimeoutMs,
    connectionTimeout: 30_000,
    keepAliveTimeout: 72_000,
    // Two info lines per request would dominate at order-entry rates; metrics count them instead.
    logController: new LogController({ disableRequestLogging: true }),
    // A pino child per request costs more than the rest of the routing; the
    // few per-request log lines (errors) carry the request id themselves.
    childLoggerFactory: (logger) => logger,
    return503OnClosing: true,
  });

  // Order entry's counts by status, then code, as plain numbers: prom-client
  // builds a label-hash string per inc(), so they reach the counter when it is
  // read (collect), not per order.
  const fixCounts = new Map<number, Map<string, FixCount>>();
  const flushFixCounts = () => {
    for (const byCode of fixCounts.values())
      for (const c of byCode.values())
        if (c.n > 0) {
          c.counter.inc(c.n);
          c.n = 0;
        }
  };
  const requests = o.metrics
    ? new Counter({
        name: "gateway_requests_total",
        help: "HTTP requests by route, status and error code",
        labelNames: ["route", "status", "code"],
        registers: [o.metrics],
        collect: flushFixCounts,
      })
    : null;
  const latency = o.metrics
    ? new Histogram({
        name: "gateway_request_duration_seconds",
        help: "HTTP request latency by route",
        labelNames: ["route"],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
        registers: [o.metrics],
      })
    : null;
  // Label sets are few (route × status × code): bind each once, not per request.
  const requestCounters = new Map<string, { inc(): void }>();
  const routeLatency = new Map<string, { observe(v: number): void }>();
  const countRequest = (route: string, status: number, code: string, elapsedMs: number) => {
    if (!requests || !latency) return;
    const id = `${route} ${status} ${code}`;
    let counter = requestCounters.get(id);
    if (counter === undefined) {
      counter = requests.labels({ route, status, code });
      if (requestCounters.size < 1_000) requestCounters.set(id, counter);
    }
    counter.inc();
    let observe = routeLatency.get(route);
    if (observe === undefined) {
      observe = latency.labels({ route });
      if (routeLatency.size < 100) routeLatency.set(route, observe);
    }
    observe.observe(elapsedMs / 1000);
  };
  const fixLatency = latency?.labels({ route: "/v1/fix" }) ?? null;
  const countFix = (status: number, code: string, elapsedMs: number) => {
    if (!requests || !fixLatency) return;
    let byCode = fixCounts.get(status);
    if (byCode === undefined) {
      byCode = new Map();
      fixCounts.set(status, byCode);
    }
    const count = byCode.get(code);
    if (count === undefined) {
      const counter = requests.labels({ route: "/v1/fix", status, code });
      // Codes are a fixed set; past 100 for one status, count straight into prom-client.
      if (byCode.size >= 100) counter.inc();
      else byCode.set(code, { counter, n: 1 });
    } else count.n++;
    fixLatency.observe(elapsedMs / 1000);
  };
  if (requests && latency)
    app.addHook("onResponse", (req, reply, done) => {
      countRequest(
        req.routeOptions.url ?? "unmatched",
        reply.statusCode,
        String(reply.getHeader("fx-error-code") ?? ""),
        reply.elapsedTime,
      );
      done();
    });

  // Raw bodies: the signature covers the exact bytes, and FIX JSON needs a
  // parser that sees repeated keys.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ["application/json", "application/fix"],
    { parseAs: "string" },
    (_req, body, done) => done(null, body),
  );
  app.decorateRequest("principal", null);
  // Streams are hijacked replies: end them first, or close() waits for every client.
  const streams = new AbortController();
  setMaxListeners(100_000, streams.signal); // one listener per open stream
  const openStreams = new Map<string, number>();
  const maxStreams = o.sse?.maxPerKey ?? 4;
  app.addHook("preClose", async () => {
    // From here on Fastify answers every request (503 while closing).
    closing = true;
    front?.close();
    streams.abort();
  });
  app.addHook("onClose", async () => {
    await o.orderEntry.close?.();
  });

  app.setErrorHandler((e: Error & { code?: string; statusCode?: number }, req, reply) => {
    const fmt: Format = { kind: "json" };
    // Body parsing runs before routing: a body on a method no route takes is a routing answer.
    if (!req.routeOptions.url) return unrouted(req, reply);
    if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE")
      return send(
        reply,
        plainError(413, "PAYLOAD_TOO_LARGE", `body exceeds ${o.bodyLimitBytes ?? 16 * 1024} bytes`),
        fmt,
      );
    if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
      return send(
        reply,
        plainError(
          415,
          "UNSUPPORTED_MEDIA_TYPE",
          "send application/json (FIX JSON) or application/fix (tag=value)",
        ),
        fmt,
      );
    if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)
      return send(reply, plainError(e.statusCode, "BAD_REQUEST", e.message), fmt);
    req.log.error({ err: e, reqId: req.id }, "unhandled gateway error");
    return send(reply, plainError(500, "INTERNAL", "internal error"), fmt);
  });
  const unrouted = (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split("?")[0] ?? "";
    const allow = allowedMethods(path);
    const json: Format = { kind: "json" };
    return allow
      ? send(
          reply,
          {
            ...plainError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${path}`),
            headers: { allow },
          },
          json,
        )
      : send(reply, plainError(404, "NOT_FOUND", `no route ${req.method} ${path}`), json);
  };
  app.setNotFoundHandler((req, reply) => unrouted(req, reply));

  /** The verified caller, or the answer refusing the request (always JSON). */
  const authAnswer = (result: AuthResult): Principal | Answer => {
    if (result.ok) return result.principal;
    const e = result.error;
    const details = e.code === "CLOCK_SKEW" ? { serverTime: e.serverTime } : undefined;
    const answer = plainError(AUTH_STATUS[e.code], e.code, e.message, details);
    return e.code === "REPLAY_CACHE_FULL" ? { ...answer, headers: { "retry-after": "1" } } : answer;
  };
  const authUnavailable = (e: unknown, reqId: string): Answer => {
    app.log.warn({ err: e, reqId }, "key store unavailable");
    return {
      ...plainError(
        503,
        "AUTH_UNAVAILABLE",
        "the key store is unavailable; nothing was done, retry shortly",
      ),
      headers: { "retry-after": "1" },
    };
  };
  /** A request's id for the log; the fast shells number theirs (`f<n>`, made only when logged). */
  const reqIdText = (reqId: string | number): string =>
    typeof reqId === "number" ? `f${reqId}` : reqId;
  /** At once when the key is cached (no turn waited), else a promise. */
  const verifyNow = (
    r: SignedRequest,
    reqId: string | number,
  ): Principal | Answer | Promise<Principal | Answer> => {
    let result: AuthResult | Promise<AuthResult>;
    try {
      result = authenticateNow(r, o.keys, replay, now());
    } catch (e) {
      return authUnavailable(e, reqIdText(reqId));
    }
    return result instanceof Promise
      ? result.then(authAnswer, (e: unknown) => authUnavailable(e, reqIdText(reqId)))
      : authAnswer(result);
  };
  const verify = async (r: SignedRequest, reqId: string): Promise<Principal | Answer> =>
    verifyNow(r, reqId);
  const isPrincipal = (v: Principal | Answer): v is Principal => "keyId" in v;

  const requireSignature = async (req: FastifyRequest, reply: FastifyReply) => {
    const v = await verify(
      {
        headers: req.headers,
        method: req.method,
        url: req.url,
        body: typeof req.body === "string" ? req.body : "",
      },
      req.id,
    );
    if (!isPrincipal(v)) return send(reply, v, JSON_FORMAT);
    req.principal = v;
  };

  const limit = (
    cls: BucketClass,
    p: Principal,
    accounts: readonly string[],
    refMsgType: string,
    refId?: string,
  ): Answer | Record<string, string> => {
    const d = limiter.take(cls, p.keyId, accounts, now());
    const headers = rateHeaders(d);
    if (d.allowed) return headers;
    return rejectAnswer(
      businessReject(
        B.ThrottleLimitExceeded,
        refMsgType,
        `${cls} rate limit exceeded for this ${d.scope}; retry after ${d.retryAfterSec} s`,
        refId,
      ),
      { headers, details: { retryAfter: d.retryAfterSec } },
    );
  };
  const isAnswer = (x: Answer | Record<string, string>): x is Answer =>
    typeof (x as Answer).status === "number";

  const outcomeAnswer = (
    out: UpstreamOutcome,
    refMsgType: string,
    refId: string,
    statusReqId?: string | null,
  ): Answer => {
    switch (out.kind) {
      case "answer": {
        const report =
          refMsgType === "H" && getField(out.answer.report, Tag.MsgType) === "8"
            ? asStatusReport(out.answer.report, statusReqId ?? null)
            : out.answer.report;
        return reportAnswer(report, out.answer.position);
      }
      case "not-found":
        return rejectAnswer(
          businessReject(B.UnknownId, refMsgType, `unknown ClOrdID ${refId}`, refId),
        );
      case "unavailable":
        return rejectAnswer(
          businessReject(
            B.ApplicationNotAvailable,
            refMsgType,
            `order entry unavailable: ${out.reason}`,
            refId,
          ),
          {
            headers: { "retry-after": "1" },
          },
        );
      case "invalid":
        return rejectAnswer(
          businessReject(B.Other, refMsgType, `refused by order entry: ${out.reason}`, refId),
        );
      case "unknown":
        return plainError(
          504,
          "OUTCOME_UNKNOWN",
          `no answer from order entry (${out.reason}); the request may have been applied: resend the same ClOrdID or GET /v1/orders/${encodeURIComponent(refId)}`,
        );
    }
  };

  // One span per order-entry call; the command-service client injects its
  // context as traceparent, so the trace runs on into the event store. The
  // context is handed down, not made active: no async-context switch per
  // request, and no span work beyond start/end when the sampler drops it.
  // Without a tracer provider (no exporter) the span would be a root with an
  // invalid context, which the propagator injects as nothing: the call then
  // goes with ROOT_CONTEXT (same output, no span, context or closure per
  // order; ADR 112, as command-service does, ADR 049).
  const tracer = trace.getTracer("@fxcore/gateway");
  const spansReal = tracerIsReal(tracer);
  const SPAN_NAMES: Readonly<Record<GatewayRequest["type"], string>> = {
    PlaceOrder: "gateway PlaceOrder",
    CancelOrder: "gateway CancelOrder",
    ReplaceOrder: "gateway ReplaceOrder",
    OrderStatus: "gateway OrderStatus",
  };
  const spanOptions = { kind: SpanKind.SERVER };
  // A throw after the request left (say, an unreadable answer) is not a
  // definite failure: the order may exist. Never a 500 for it.
  const unknownOf = (e: unknown): UpstreamOutcome => ({
    kind: "unknown",
    reason: e instanceof Error ? e.message : String(e),
  });
  /**
   * A request's upstream call, its outcome (an error is an unknown outcome)
   * handed to `then`. Without a span that is the call's only promise.
   */
  const dispatchTo = <T>(
    r: GatewayRequest,
    p: Principal,
    then: (out: UpstreamOutcome) => T,
  ): Promise<T> => {
    if (!spansReal()) {
      try {
        return call(r, p, ROOT_CONTEXT).then(then, (e: unknown) => then(unknownOf(e)));
      } catch (e) {
        return Promise.resolve(then(unknownOf(e)));
      }
    }
    const span = tracer.startSpan(SPAN_NAMES[r.type], spanOptions, ROOT_CONTEXT);
    const done = (out: UpstreamOutcome): T => {
      if (span.isRecording()) {
        span.setAttribute("fx.outcome", out.kind);
        if (out.kind === "unknown")
          span.setStatus({ code: SpanStatusCode.ERROR, message: out.reason });
      }
      span.end();
      return then(out);
    };
    const unknown = (e: unknown): T => done(unknownOf(e));
    try {
      return call(r, p, trace.setSpan(ROOT_CONTEXT, span)).then(done, unknown);
    } catch (e) {
      return Promise.resolve(unknown(e));
    }
  };
  const dispatch = (r: GatewayRequest, p: Principal): Promise<UpstreamOutcome> =>
    dispatchTo(r, p, (out) => out);
  const call = (r: GatewayRequest, p: Principal, ctx: Context): Promise<UpstreamOutcome> => {
    switch (r.type) {
      case "PlaceOrder":
        return o.orderEntry.place(r, p, ctx);
      case "CancelOrder":
        return o.orderEntry.cancel(r, p, ctx);
      case "ReplaceOrder":
        return o.orderEntry.replace(r, p, ctx);
      case "OrderStatus":
        return o.orderEntry.status(r, p, ctx);
    }
  };

  const authorizationReject = (
    why: "role" | "account" | "ambiguous",
    msgType: string,
    named: string | undefined,
    refId?: string,
  ): FixReject =>
    why === "ambiguous"
      ? businessReject(
          B.ConditionallyRequiredFieldMissing,
          msgType,
          "Account (1) is required: this key is bound to several accounts",
          refId,
        )
      : businessReject(
          B.NotAuthorized,
          msgType,
          why === "role"
            ? "this API key's roles do not allow this message"
            : `not authorised for account ${named}`,
          refId,
        );

  // ---- FIX order entry ----
  /** A verified caller's FIX message (either encoding) → its answer now, or the call it waits for. */
  const fixEntryStart = (p: Principal, body: string, fmt: Format): Answer | Dispatch => {
    const decoded = fmt.kind === "fix" ? decodeTagValue(body) : decodeFixJson(body);
    if (!decoded.ok) return rejectAnswer(decoded.error);
    const valid = validate(decoded.value);
    if (!valid.ok) return rejectAnswer(valid.error);
    const msgType = valid.value.def.msgType;
    const refId = valid.value.values.get(Tag.ClOrdID);
    const named = accountOf(valid.value);
    const decision = resolveAccount(p, msgType === "H" ? "read" : "trade", named);
    if (!decision.ok) return rejectAnswer(authorizationReject(decision.why, msgType, named, refId));
    const request = toRequest(valid.value, accountId(decision.account));
    if (!request.ok) return rejectAnswer(request.error);
    const limited = limit(bucketOf(request.value), p, [decision.account], msgType, refId);
    if (isAnswer(limited)) return limited;
    return { request: request.value, msgType, refId, limited };
  };
  /** A dispatched message's answer, from the outcome of its call. */
  const dispatchedAnswer = (d: Dispatch, out: UpstreamOutcome): Answer => {
    const statusReqId = d.request.type === "OrderStatus" ? d.request.ordStatusReqId : null;
    return withHeaders(outcomeAnswer(out, d.msgType, d.refId ?? "", statusReqId), d.limited);
  };
  /** A verified caller's FIX message (either encoding) → its answer. */
  const fixEntry = (p: Principal, body: string, fmt: Format): Answer | Promise<Answer> => {
    const s = fixEntryStart(p, body, fmt);
    return isDispatch(s) ? dispatchTo(s.request, p, (out) => dispatchedAnswer(s, out)) : s;
  };

  app.post(
    "/v1/fix",
    { preHandler: requireSignature, schema: { hide: true } },
    async (req, reply) => {
      const fmt = formatOf(req);
      const body = typeof req.body === "string" ? req.body : "";
      return send(reply, await fixEntry(req.principal!, body, fmt), fmt);
    },
  );

  // The same route without Fastify's per-request machinery: only requests
  // Fastify would hand to fixEntry unchanged (POST /v1/fix exactly, a content
  // type we parse, a content-length within the limit, not closing). Anything
  // else — too large, chunked, another type — is Fastify's, with its answers.
  let fastIds = 0;
  /** The whole answer to an order-entry request, as both fast shells write it. */
  const wire = (a: Answer, fmt: Format, t0: number): WireAnswer => {
    const r = render(a, fmt);
    const h: Record<string, string> = {};
    if (a.headers) for (const k in a.headers) h[k] = a.headers[k]!;
    if (a.code) h["fx-error-code"] = a.code;
    h["content-type"] = CONTENT_TYPE[r.type];
    countFix(r.status, a.code ?? "", performance.now() - t0);
    return { status: r.status, headers: h, body: r.body };
  };
  const internalError = (e: unknown, id: string, t0: number): WireAnswer => {
    app.log.error({ err: e, reqId: id }, "unhandled gateway error");
    return wire(plainError(500, "INTERNAL", "internal error"), JSON_FORMAT, t0);
  };
  /** A dispatched order's whole answer once its call ends (no span: the call's one promise). */
  const wireDispatched = (
    d: Dispatch,
    p: Principal,
    fmt: Format,
    t0: number,
    n: number,
  ): Promise<WireAnswer> =>
    dispatchTo(d.request, p, (out) => {
      try {
        return wire(dispatchedAnswer(d, out), fmt, t0);
      } catch (e) {
        return internalError(e, reqIdText(n), t0);
      }
    });
  const verifiedAnswer = (
    v: Principal | Answer,
    headers: SignedRequest["headers"],
    body: string,
    t0: number,
    n: number,
  ): WireAnswer | Promise<WireAnswer> => {
    if (!isPrincipal(v)) return wire(v, JSON_FORMAT, t0);
    const type = headers["content-type"];
    const fmt = postFormat(typeof type === "string" ? type : undefined, body);
    const s = fixEntryStart(v, body, fmt);
    return isDispatch(s) ? wireDispatched(s, v, fmt, t0, n) : wire(s, fmt, t0);
  };
  /** At once for what needs no upstream call (rejects, auth failures), else a promise. */
  const orderEntryAnswer = (
    headers: SignedRequest["headers"],
    body: string,
    t0: number,
  ): WireAnswer | Promise<WireAnswer> => {
    const n = ++fastIds;
    try {
      const v = verifyNow({ headers, method: "POST", url: "/v1/fix", body }, n);
      return v instanceof Promise
        ? v
            .then((x) => verifiedAnswer(x, headers, body, t0, n))
            .catch((e: unknown) => internalError(e, reqIdText(n), t0))
        : verifiedAnswer(v, headers, body, t0, n);
    } catch (e) {
      return internalError(e, reqIdText(n), t0);
    }
  };
  const fastFix = async (req: IncomingMessage, res: ServerResponse, body: string, t0: number) => {
    const a = await orderEntryAnswer(req.headers, body, t0);
    a.headers["content-length"] = String(Buffer.byteLength(a.body));
    res.writeHead(a.status, a.headers);
    res.end(a.body);
  };
  rawOrderEntry = (r) => orderEntryAnswer(r.headers, r.body, r.t0);
  app.decorate("rawFront", front!);
  fastOrderEntry = (req, res) => {
    if (closing || req.method !== "POST" || req.url !== "/v1/fix") return false;
    const type = req.headers["content-type"];
    if (type !== "application/json" && !isFixType(type)) return false;
    const length = req.headers["content-length"];
    if (length === undefined || req.headers["transfer-encoding"] !== undefined) return false;
    const n = Number(length);
    if (!(n > 0 && n <= bodyLimit)) return false;
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString("utf8");
      void fastFix(req, res, body, t0);
    });
    return true;
  };

  // ---- recovery of a lost answer ----
  app.get<{ Params: { clOrdId: string }; Querystring: { account?: string } }>(
    "/v1/orders/:clOrdId",
    { preHandler: requireSignature, schema: { hide: true } },
    async (req, reply) => {
      const fmt = formatOf(req);
      const p = req.principal!;
      const { clOrdId } = req.params;
      const named = typeof req.query.account === "string" ? req.query.account : undefined;
      const decision = resolveAccount(p, "read", named);
      if (!decision.ok)
        return send(
          reply,
          rejectAnswer(authorizationReject(decision.why, "H", named, clOrdId)),
          fmt,
        );
      const limited = limit("query", p, [decision.account], "H", clOrdId);
      if (isAnswer(limited)) return send(reply, limited, fmt);
      const out = await dispatch(
        {
          type: "OrderStatus",
          account: decision.account,
          clOrdId,
          symbol: "",
          side: "BUY",
          ordStatusReqId: null,
        },
        p,
      );
      return send(reply, withHeaders(outcomeAnswer(out, "H", clOrdId), limited), fmt);
    },
  );

  // ---- executions: gap fill and stream ----
  const readAccounts = (
    p: Principal,
    named: string | undefined,
  ): { ok: true; accounts: string[] } | { ok: false; answer: Answer } => {
    if (named !== undefined) {
      const d = resolveAccount(p, "read", named);
      return d.ok
        ? { ok: true, accounts: [d.account] }
        : { ok: false, answer: rejectAnswer(authorizationReject(d.why, "H", named)) };
    }
    const all = readableAccounts(p);
    if (all === null)
      return {
        ok: false,
        answer: plainError(
          400,
          "ACCOUNT_REQUIRED",
          "a key bound to every account must name ?account=",
        ),
      };
    if (all.length === 0)
      return { ok: false, answer: rejectAnswer(authorizationReject("role", "H", undefined)) };
    return { ok: true, accounts: [...all] };
  };

  app.get<{ Querystring: { account?: string; after?: string; limit?: string } }>(
    "/v1/executions",
    { preHandler: requireSignature, schema: { hide: true } },
    async (req, reply) => {
      const fmt: Format = { kind: "json" };
      const p = req.principal!;
      if (!o.executions)
        return send(
          reply,
          plainError(503, "APPLICATION_NOT_AVAILABLE", "the read side is not configured"),
          fmt,
        );
      const accounts = readAccounts(p, req.query.account);
      if (!accounts.ok) return send(reply, accounts.answer, fmt);
      if (accounts.accounts.length !== 1)
        return send(
          reply,
          plainError(400, "ACCOUNT_REQUIRED", "name one ?account= (sequences are per account)"),
          fmt,
        );
      const after = req.query.after ?? "0";
      const max = req.query.limit ?? "500";
      if (
        !/^[0-9]{1,15}$/.test(after) ||
        !/^[0-9]{1,4}$/.test(max) ||
        Number(max) < 1 ||
        Number(max) > 1000
      )
        return send(
          reply,
          plainError(400, "BAD_REQUEST", "after must be a sequence number, limit 1..1000"),
          fmt,
        );
      const account = accounts.accounts[0]!;
      const limited = limit("query", p, [account], "H");
      if (isAnswer(limited)) return send(reply, limited, fmt);
      const rows = await o.executions.after(account, Number(after), Number(max)).catch(() => null);
      if (rows === null) {
        return send(
          reply,
          {
            ...plainError(
              503,
              "APPLICATION_NOT_AVAILABLE",
              "the read side is unavailable; retry shortly",
            ),
            headers: { "retry-after": "1" },
          },
          fmt,
        );
      }
      reply.headers(limited);
      return reply
        .type("application/json")
        .send(
          `{"account":${JSON.stringify(account)},"executions":[${rows
            .map((r) => `{"seq":${r.accountSeq},"report":${encodeFixJson(r.report)}}`)
            .join(",")}],"last":${rows.at(-1)?.accountSeq ?? Number(after)}}`,
        );
    },
  );

  app.get<{ Querystring: { account?: string; cursor?: string } }>(
    "/v1/executions/stream",
    { preHandler: requireSignature, schema: { hide: true } },
    async (req, reply) => {
      const fmt: Format = { kind: "json" };
      const p = req.principal!;
      const source = o.executions;
      if (!source)
        return send(
          reply,
          plainError(503, "APPLICATION_NOT_AVAILABLE", "the read side is not configured"),
          fmt,
        );
      const accounts = readAccounts(p, req.query.account);
      if (!accounts.ok) return send(reply, accounts.answer, fmt);
      const lastEventId = req.headers["last-event-id"];
      const cursorText = typeof lastEventId === "string" ? lastEventId : req.query.cursor;
      const limited = limit("query", p, accounts.accounts, "H");
      if (isAnswer(limited)) return send(reply, limited, fmt);
      const open = openStreams.get(p.keyId) ?? 0;
      if (open >= maxStreams) {
        return send(
          reply,
          {
            ...plainError(
              429,
              "TOO_MANY_STREAMS",
              `this key already has ${open} open streams (at most ${maxStreams})`,
            ),
            headers: { "retry-after": "5" },
          },
          fmt,
        );
      }
      // Counted before the stream starts: its end (even an immediate one) releases it.
      openStreams.set(p.keyId, open + 1);
      const release = () => {
        const n = (openStreams.get(p.keyId) ?? 1) - 1;
        if (n <= 0) openStreams.delete(p.keyId);
        else openStreams.set(p.keyId, n);
      };
      const started = streamExecutions(req, reply, {
        source,
        accounts: accounts.accounts,
        cursorText,
        heartbeatMs: o.sse?.heartbeatMs ?? 5_000,
        pollMs: o.sse?.pollMs ?? 250,
        now,
        signal: streams.signal,
        onEnd: release,
      });
      if (!started.ok) {
        release();
        return send(reply, plainError(400, "BAD_CURSOR", started.message), fmt);
      }
      return reply;
    },
  );

  // ---- service endpoints (unsigned) ----
  app.get("/v1/time", { schema: { hide: true } }, async (_req, reply) => {
    const t = now();
    return reply.send({
      serverTime: t,
      iso: new Date(t).toISOString(),
      fix: formatUtcTimestamp(BigInt(t) * 1_000_000n),
    });
  });
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { hide: true } }, async (_req, reply) => {
    const checks = await Promise.all([
      o.orderEntry.ready().catch(() => false),
      ...(o.readyChecks ?? []).map((c) => c().catch(() => false)),
    ]);
    const ready = checks.every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready" });
  });
  if (o.metrics) {
    const registry = o.metrics;
    app.get("/metrics", { schema: { hide: true } }, async (_req, reply) =>
      reply.type(registry.contentType).send(await registry.metrics()),
    );
  }

  await app.register(fastifySwagger, {
    mode: "static",
    specification: { document: openApiDocument as never },
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  return app;
};

/** Methods each route path takes, for 405 + Allow on the others. */
const ROUTE_METHODS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/v1\/fix$/, "POST"],
  [/^\/v1\/orders\/[^/]+$/, "GET, HEAD"],
  [/^\/v1\/(executions|executions\/stream|time)$/, "GET, HEAD"],
  [/^\/(healthz|readyz|metrics|openapi\.json)$/, "GET, HEAD"],
];
const allowedMethods = (path: string): string | undefined =>
  ROUTE_METHODS.find(([re]) => re.test(path))?.[1];

/** An order's current state as a status answer: ExecType I, echoing OrdStatusReqID. */
const asStatusReport = (report: FixMessage, statusReqId: string | null): FixMessage => {
  const fields = report.fields
    .filter((f) => f.tag !== Tag.OrdStatusReqID && f.tag !== Tag.LastQty && f.tag !== Tag.LastPx)
    .map((f) =>
      f.tag === Tag.ExecType
        ? { tag: f.tag, value: "I" }
        : // Each status answer is its own report: its ExecID must not repeat.
          f.tag === Tag.ExecID
          ? { tag: f.tag, value: `${getField(report, Tag.OrderID) ?? "NONE"}-I-${randomUUID()}` }
          : f,
    );
  return fixMessage(
    statusReqId === null ? fields : [...fields, { tag: Tag.OrdStatusReqID, value: statusReqId }],
  );
};
