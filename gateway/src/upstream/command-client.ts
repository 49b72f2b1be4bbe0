// OrderEntry over command-service's internal JSON API (POST /orders,
// /orders/batch, /orders/cancel, /orders/replace; GET /orders/:account/:clOrdId).
// Caller identity travels in x-fxcore-accounts / x-fxcore-roles, the trace in
// traceparent. Keep-alive, pipelined connections whose writes are coalesced
// per event-loop turn (@fxcore/infra http1Client, ADR 065): the gateway is a hot path.
// New orders that reach the client in one event-loop turn leave as one
// POST /orders/batch (ADR 066); each item's answer is what POST /orders answers.
//
// Which failures are "unknown" matters: once the request bytes may have
// reached command-service, only its answer is definite. A refused connection
// or a 503 STORE_UNAVAILABLE ("nothing was written") is definitely not applied.

import type { FixReport, InstrumentCatalog, Notional, TimestampNs } from "@fxcore/domain";
import { injectTraceContext } from "@fxcore/infra";
import { type Context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { Principal } from "../auth/principal.ts";
import { decimalDigits } from "../fix/digits.ts";
import { Tag } from "../fix/fields.ts";
import { type FixMessage, fixMessage, getField } from "../fix/message.ts";
import { renderReport } from "../orders/render.ts";
import type { CancelOrderRequest, ReplaceOrderRequest } from "../orders/requests.ts";
import { type Http1Result, http1Client } from "@fxcore/infra";
import type { OrderEntry, UpstreamOutcome } from "./order-entry.ts";

export interface CommandClientOptions {
  /** e.g. http://127.0.0.1:8081 */
  readonly baseUrl: string;
  readonly catalog: InstrumentCatalog;
  readonly timeoutMs?: number;
  /** Keep-alive connections to command-service, opened as load needs them (default 8). */
  readonly connections?: number;
  /**
   * Requests in flight per connection (HTTP/1.1 pipelining; default 16). A
   * broken connection fails all of its requests as unknown outcomes (the
   * client resends the ClOrdID, which command-service answers idempotently).
   */
  readonly pipelining?: number;
  /**
   * New orders per POST /orders/batch call, collected over one event-loop turn
   * (default 64; 0 sends each order on its own POST /orders).
   */
  readonly batchMax?: number;
  /**
   * Batch calls in flight before new orders wait (default 1; 0: no limit).
   * While that many are outstanding, new orders stay queued and leave
   * together when one answers (ADR 118): under load the calls grow larger
   * and fewer; at light load an order still leaves in its own loop turn, and
   * a full call (batchMax orders) always goes.
   */
  readonly batchCallsMax?: number;
  /**
   * Longest an order waits in the queue for the calls limit (default 20 ms):
   * then it leaves whatever is unanswered, as without a limit, so a slow call
   * does not add its whole timeout to the orders behind it.
   */
  readonly batchHoldMs?: number;
  /**
   * Orders that make a call go even while the calls limit is reached (default
   * batchMax: only full calls). Lower lets a second call overlap the first once
   * this many orders wait, so command-service parses one call while Postgres
   * commits the other, instead of the two working in turn.
   */
  readonly batchOverlapMin?: number;
  /**
   * Orders a partial call waits for within the calls limit (default 1: none),
   * unless its oldest order has waited batchFillMs: fewer, larger calls near
   * saturation. Only while the last call carried at least half as many: at
   * light load an order does not wait.
   */
  readonly batchFillMin?: number;
  /** Longest an order waits for batchFillMin (default 2 ms). */
  readonly batchFillMs?: number;
  /** Called once per batch call sent, with its number of orders (metrics). */
  readonly onBatch?: (orders: number) => void;
}

interface WireAnswer {
  readonly report: (Omit<FixReport, "transactTime"> & Record<string, unknown>) | null;
  /** A number (ADR 133); a decimal string from an older command-service or beyond 15 digits. */
  readonly position: number | string | null;
  readonly orderId?: string | null;
  readonly pending?: "CANCEL" | "REPLACE";
  /**
   * The stored event's id, when command-service sends it: the read side uses
   * it as the ExecID, so the live answer and the stream then agree.
   */
  readonly eventId?: string;
}

type Transport = Http1Result;

/** The position as the decimal text the answer's header carries; anything else is no position. */
const positionText = (p: unknown): string | null =>
  typeof p === "number"
    ? Number.isSafeInteger(p) && p >= 0
      ? decimalDigits(p)
      : null
    : typeof p === "string" && /^[0-9]{1,20}$/.test(p)
      ? p
      : null;

const big = (v: unknown) => (v === null || v === undefined ? null : BigInt(v as string));

/** Bigints travel as decimal strings; put them back (in place: `r` is freshly parsed). */
export const reviveReport = (r: Record<string, unknown>): FixReport => {
  r.transactTime = big(r.transactTime) as TimestampNs;
  if (r.msgType === "8") {
    const avg = (r.avgPx ?? {}) as { tradedNotional?: string; cumQty?: number };
    r.expireTime = big(r.expireTime);
    r.avgPx = {
      tradedNotional: (big(avg.tradedNotional) ?? 0n) as Notional,
      cumQty: avg.cumQty ?? 0,
    };
  }
  return r as unknown as FixReport;
};

const JSON_ACCEPT = "accept: application/json\r\n";
const BATCH_HEADERS = `${JSON_ACCEPT}content-type: application/json\r\n`;
/** After a 404 on the batch route, how long single calls are used before trying it again. */
const BATCH_REPROBE_MS = 30_000;

/** A header value as sent: a CR or LF in it would split the request. */
const headerValue = (v: string): string => {
  if (/[\r\n]/.test(v)) throw new Error("header value with CR/LF");
  return v;
};

export const commandServiceClient = (o: CommandClientOptions): OrderEntry => {
  const timeoutMs = o.timeoutMs ?? 5_000;
  const base = new URL(o.baseUrl);
  const connect = () =>
    http1Client({
      host: base.hostname,
      port: Number(base.port || 80),
      connections: o.connections ?? 8,
      pipelining: o.pipelining ?? 16,
      timeoutMs,
      connectTimeoutMs: Math.min(timeoutMs, 2_000),
    });
  const client = connect();
  // Batch calls on connections of their own (opened when first used): each
  // then carries only batches, which command-service's raw front answers
  // without Fastify (ADR 136); a connection's first other request would hand
  // it to node:http for good.
  const batches = connect();

  /** The caller's identity as header lines, once per principal (cached with the key). */
  const identity = new WeakMap<Principal, string>();
  const identityOf = (caller: Principal): string => {
    let h = identity.get(caller);
    if (h === undefined) {
      h = `x-fxcore-accounts: ${headerValue(caller.accounts.join(","))}\r\nx-fxcore-roles: ${headerValue(caller.roles.join(","))}\r\nx-fxcore-key-id: ${headerValue(caller.keyId)}\r\n`;
      identity.set(caller, h);
    }
    return h;
  };

  const call = (
    method: "GET" | "POST",
    path: string,
    caller: Principal | null,
    body?: unknown,
    traceContext?: Context,
  ): Promise<Transport> => {
    let headers =
      body === undefined ? JSON_ACCEPT : `${JSON_ACCEPT}content-type: application/json\r\n`;
    if (caller) headers += identityOf(caller);
    // ROOT_CONTEXT holds no span: the propagator would inject nothing.
    if (traceContext !== ROOT_CONTEXT) {
      const trace: Record<string, string> = {};
      injectTraceContext(trace, traceContext);
      for (const k in trace) headers += `${k}: ${headerValue(trace[k]!)}\r\n`;
    }
    return client.request(method, path, headers, body === undefined ? null : JSON.stringify(body));
  };

  const codeOf = (json: unknown): string => {
    const e = (json as { error?: { code?: unknown } } | null)?.error;
    return typeof e?.code === "string" ? e.code : "";
  };
  const parseOrNull = (body: string): unknown => {
    try {
      return JSON.parse(body);
    } catch {
      return null;
    }
  };

  const failure = (t: { sent: boolean; reason: string }): UpstreamOutcome =>
    t.sent ? { kind: "unknown", reason: t.reason } : { kind: "unavailable", reason: t.reason };

  /** Maps a non-200 answer. 503 STORE_UNAVAILABLE and 4xx were definitely not applied. */
  const nonOk = (status: number, json: unknown): UpstreamOutcome => {
    const code = codeOf(json);
    if (status === 404) return { kind: "not-found" };
    if (status === 503) return { kind: "unavailable", reason: code || "503" };
    if (status >= 400 && status < 500) return { kind: "invalid", reason: `${status} ${code}` };
    return { kind: "unknown", reason: `${status} ${code}` };
  };

  const noExecId = { catalog: o.catalog };
  const render = (w: WireAnswer): FixMessage | null =>
    w.report === null
      ? null
      : renderReport(
          reviveReport(w.report as Record<string, unknown>),
          w.eventId ? { catalog: o.catalog, execId: w.eventId } : noExecId,
        );

  const statusPath = (account: string, clOrdId: string) =>
    `/orders/${encodeURIComponent(account)}/${encodeURIComponent(clOrdId)}`;

  /**
   * A cancel/replace taken but not yet answered by the matcher: ExecutionReport
   * PendingCancel (6) / PendingReplace (E), quantities from the order's state.
   */
  const pendingReport = async (
    r: CancelOrderRequest | ReplaceOrderRequest,
    w: WireAnswer,
    caller: Principal,
    ctx: Context | undefined,
  ): Promise<FixMessage | null> => {
    const t = await call("GET", statusPath(r.account, r.origClOrdId), caller, undefined, ctx);
    if (!t.ok || t.res.status !== 200) return null;
    const current = render(JSON.parse(t.res.body) as WireAnswer);
    if (!current) return null;
    const code = w.pending === "REPLACE" ? "E" : "6";
    const replaced: Record<number, string | null> = {
      [Tag.ExecType]: code,
      [Tag.OrdStatus]: code,
      [Tag.ClOrdID]: r.clOrdId,
      [Tag.OrigClOrdID]: r.origClOrdId,
      [Tag.ExecID]: `${w.orderId ?? getField(current, Tag.OrderID)}-${r.clOrdId}-${code}`,
      [Tag.OrdRejReason]: null,
      [Tag.Text]: null,
    };
    const fields = current.fields
      .filter((f) => replaced[f.tag] !== null)
      .map((f) => (f.tag in replaced ? { tag: f.tag, value: replaced[f.tag]! } : f));
    if (!fields.some((f) => f.tag === Tag.OrigClOrdID))
      fields.push({ tag: Tag.OrigClOrdID, value: r.origClOrdId });
    return fixMessage(fields);
  };

  /** One command's answer (status and parsed body), from a single call or a batch item. */
  /** At once, unless a pending cancel/replace needs the order's state read first. */
  const outcomeOf = (
    status: number,
    json: unknown,
    caller: Principal,
    ctx: Context | undefined,
    request?: CancelOrderRequest | ReplaceOrderRequest,
  ): UpstreamOutcome | Promise<UpstreamOutcome> => {
    if (status !== 200) return nonOk(status, json);
    const w = json as WireAnswer | null;
    if (w === null || typeof w !== "object" || !("report" in w))
      return { kind: "unknown", reason: "unreadable answer from order entry" };
    if (w.report === null && request)
      return pendingReport(request, w, caller, ctx).then((report) => answered(report, w));
    return answered(render(w), w);
  };
  const answered = (report: FixMessage | null, w: WireAnswer): UpstreamOutcome =>
    // Taken and stored, but its state could not be read back: still a definite yes.
    report
      ? { kind: "answer", answer: { report, position: positionText(w.position) } }
      : { kind: "unknown", reason: "accepted; fetch its state with GET /v1/orders/:clOrdId" };

  const command = async (
    path: string,
    body: Record<string, unknown>,
    caller: Principal,
    ctx: Context | undefined,
    request?: CancelOrderRequest | ReplaceOrderRequest,
  ): Promise<UpstreamOutcome> => {
    const t = await call("POST", path, caller, body, ctx);
    if (!t.ok) return failure(t);
    // A 200 that is not JSON throws: the order may exist, so the caller makes it "unknown".
    const json = t.res.status === 200 ? JSON.parse(t.res.body) : parseOrNull(t.res.body);
    return outcomeOf(t.res.status, json, caller, ctx, request);
  };

  // ---- batches (ADR 066) ----
  const batchMax = o.batchMax ?? 64;
  const batchCallsMax = o.batchCallsMax ?? 1;
  const batchHoldMs = o.batchHoldMs ?? 20;
  const batchOverlapMin = Math.max(1, Math.min(batchMax, o.batchOverlapMin ?? batchMax));
  const batchFillMin = Math.max(1, Math.min(batchMax, o.batchFillMin ?? 1));
  const batchFillMs = o.batchFillMs ?? 2;
  let fillTimer: NodeJS.Timeout | null = null;
  /** Orders in the last call sent: the fill holds only when this is high. */
  let lastCallOrders = 0;
  let batchCalls = 0;
  /** Set while orders are held back: sends them when the hold ends. */
  let holdTimer: NodeJS.Timeout | null = null;
  /** An older command-service without the batch route: single calls, probing again later. */
  let batchOffUntil = 0;
  interface Queued {
    readonly body: Record<string, unknown>;
    readonly caller: Principal;
    readonly ctx: Context | undefined;
    readonly resolve: (out: UpstreamOutcome) => void;
    /** performance.now() when queued (batchFillMin). */
    readonly at: number;
  }
  let queue: Queued[] = [];
  let flushScheduled = false;

  /** `{"keyId":…,"accounts":[…],"roles":[…]}` of a principal, once per principal. */
  const callerJson = new WeakMap<Principal, string>();
  const callerOf = (p: Principal): string => {
    let j = callerJson.get(p);
    if (j === undefined) {
      j = JSON.stringify({ keyId: p.keyId, accounts: p.accounts, roles: p.roles });
      callerJson.set(p, j);
    }
    return j;
  };
  const itemJson = (q: Queued): string => {
    if (q.ctx === ROOT_CONTEXT)
      return `{"caller":${callerOf(q.caller)},"command":${JSON.stringify(q.body)}}`;
    const trace: Record<string, string> = {};
    injectTraceContext(trace, q.ctx);
    let tp =
      trace.traceparent === undefined ? "" : `,"traceparent":${JSON.stringify(trace.traceparent)}`;
    if (trace.tracestate !== undefined) tp += `,"tracestate":${JSON.stringify(trace.tracestate)}`;
    return `{"caller":${callerOf(q.caller)}${tp},"command":${JSON.stringify(q.body)}}`;
  };

  const settle = (q: Queued, out: Promise<UpstreamOutcome>) =>
    out.then(q.resolve, (e: unknown) =>
      q.resolve({ kind: "unknown", reason: e instanceof Error ? e.message : String(e) }),
    );

  /** A new order on its own `POST /orders` (that route's body has no `kind`). */
  const single = (
    item: Record<string, unknown>,
    caller: Principal,
    ctx: Context | undefined,
  ): Promise<UpstreamOutcome> => {
    const { kind: _kind, ...body } = item;
    return command("/orders", body, caller, ctx);
  };

  const sendBatch = async (items: Queued[]): Promise<void> => {
    let text = '{"items":[';
    for (let i = 0; i < items.length; i++) text += (i > 0 ? "," : "") + itemJson(items[i]!);
    text += "]}";
    o.onBatch?.(items.length);
    const t = await batches.request("POST", "/orders/batch", BATCH_HEADERS, text);
    if (!t.ok) {
      // Written and unanswered: every item may be committed (one transaction), none is known.
      const out = failure(t);
      for (const q of items) q.resolve(out);
      return;
    }
    const { status } = t.res;
    if (status === 404 || status === 405) {
      // No batch route (an older command-service): nothing was applied.
      batchOffUntil = Date.now() + BATCH_REPROBE_MS;
      for (const q of items) void settle(q, single(q.body, q.caller, q.ctx));
      return;
    }
    const json = parseOrNull(t.res.body);
    if (status !== 200) {
      const out = nonOk(status, json);
      for (const q of items) q.resolve(out);
      return;
    }
    const answers = (json as { answers?: unknown } | null)?.answers;
    if (!Array.isArray(answers) || answers.length !== items.length) {
      for (const q of items)
        q.resolve({ kind: "unknown", reason: "unreadable batch answer from order entry" });
      return;
    }
    for (let i = 0; i < items.length; i++) {
      const q = items[i]!;
      const a = answers[i] as { status?: unknown; body?: unknown } | null;
      if (a === null || typeof a !== "object" || typeof a.status !== "number")
        q.resolve({ kind: "unknown", reason: "unreadable batch item answer from order entry" });
      else {
        let out: UpstreamOutcome | Promise<UpstreamOutcome>;
        try {
          out = outcomeOf(a.status, a.body ?? null, q.caller, q.ctx);
        } catch (e) {
          out = { kind: "unknown", reason: e instanceof Error ? e.message : String(e) };
        }
        if (out instanceof Promise) void settle(q, out);
        else q.resolve(out);
      }
    }
  };

  const scheduleFlush = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    // After this turn's I/O callbacks: every order read in it joins the batch.
    setImmediate(flushBatches);
  };
  /** A call ended (answered or failed): orders held back for a free slot may go. */
  const callEnded = () => {
    batchCalls--;
    if (queue.length > 0) scheduleFlush();
  };

  /**
   * Sends the queue as calls of at most batchMax orders: a full call always
   * goes, a partial one only within the calls limit and once filled
   * (batchFillMin orders, or the oldest batchFillMs old), or when `all`.
   */
  const flushBatches = (all = false) => {
    flushScheduled = false;
    let from = 0;
    const filling = batchFillMin > 1 && 2 * lastCallOrders >= batchFillMin;
    const filled = (): boolean =>
      !filling ||
      queue.length - from >= batchFillMin ||
      performance.now() - queue[from]!.at >= batchFillMs;
    while (
      from < queue.length &&
      (all ||
        queue.length - from >= batchOverlapMin ||
        ((batchCallsMax <= 0 || batchCalls < batchCallsMax) && filled()))
    ) {
      const items = queue.slice(from, from + batchMax);
      from += items.length;
      lastCallOrders = items.length;
      batchCalls++;
      sendBatch(items)
        .catch((e: unknown) => {
          const reason = e instanceof Error ? e.message : String(e);
          for (const q of items) q.resolve({ kind: "unknown", reason });
        })
        .finally(callEnded);
    }
    if (from > 0) {
      queue = from === queue.length ? [] : queue.slice(from);
      // The batches are queued on their connections (request() ran in each
      // sendBatch before its first await): written now, not a loop iteration later.
      client.flush();
    }
    // Held for the fill: go when the oldest is due. Once it is, what holds the
    // orders is the calls limit, and a call's end sends them.
    const fillLeft =
      queue.length > 0 && filling ? batchFillMs - (performance.now() - queue[0]!.at) : 0;
    if (fillLeft > 0 && fillTimer === null) {
      fillTimer = setTimeout(() => {
        fillTimer = null;
        if (queue.length > 0) flushBatches();
      }, fillLeft);
      fillTimer.unref();
    }
    if (queue.length === 0) {
      if (holdTimer !== null) {
        clearTimeout(holdTimer);
        holdTimer = null;
      }
      if (fillTimer !== null) {
        clearTimeout(fillTimer);
        fillTimer = null;
      }
    } else if (holdTimer === null) {
      holdTimer = setTimeout(() => {
        holdTimer = null;
        flushBatches(true);
      }, batchHoldMs);
      holdTimer.unref();
    }
  };

  /**
   * A new order (its batch item's command, `kind` first): into this loop
   * turn's batch, or on its own when batches are off.
   */
  const placeCommand = (
    command: Record<string, unknown>,
    caller: Principal,
    ctx: Context | undefined,
  ): Promise<UpstreamOutcome> => {
    if (batchMax <= 0 || Date.now() < batchOffUntil) return single(command, caller, ctx);
    return new Promise((resolve) => {
      queue.push({ body: command, caller, ctx, resolve, at: performance.now() });
      scheduleFlush();
    });
  };

  return {
    place: (r, caller, ctx) => {
      // Absent, not null, for what the order does not set (command-service's
      // schema). Built as the batch item's command: no copy per order to add `kind`.
      const body: Record<string, unknown> = {
        kind: "place",
        clOrdId: r.clOrdId,
        account: r.account,
        symbol: r.symbol,
        side: r.side,
        ordType: r.ordType,
      };
      if (r.price !== null) body.price = r.price;
      body.orderQty = r.orderQty;
      body.timeInForce = r.tif;
      if (r.expireTime !== null) body.expireTime = r.expireTime.toString();
      if (r.minQty !== null) body.minQty = r.minQty;
      if (r.postOnly) body.postOnly = true;
      return placeCommand(body, caller, ctx);
    },
    cancel: (r, caller, ctx) =>
      command(
        "/orders/cancel",
        {
          clOrdId: r.clOrdId,
          origClOrdId: r.origClOrdId,
          account: r.account,
          symbol: r.symbol,
          side: r.side,
        },
        caller,
        ctx,
        r,
      ),
    replace: (r, caller, ctx) => {
      const body: Record<string, unknown> = {
        clOrdId: r.clOrdId,
        origClOrdId: r.origClOrdId,
        account: r.account,
        symbol: r.symbol,
        side: r.side,
        ordType: r.ordType,
      };
      if (r.price !== null) body.price = r.price;
      body.orderQty = r.orderQty;
      return command("/orders/replace", body, caller, ctx, r);
    },
    async status(r, caller, ctx) {
      const t = await call("GET", statusPath(r.account, r.clOrdId), caller, undefined, ctx);
      if (!t.ok)
        return t.sent
          ? { kind: "unknown", reason: t.reason }
          : { kind: "unavailable", reason: t.reason };
      if (t.res.status !== 200) return nonOk(t.res.status, parseOrNull(t.res.body));
      const w = JSON.parse(t.res.body) as WireAnswer;
      const report = render(w);
      return report
        ? { kind: "answer", answer: { report, position: positionText(w.position) } }
        : { kind: "not-found" };
    },
    close: () => {
      // Orders already taken leave before the connections close.
      if (queue.length > 0) flushBatches(true);
      return Promise.all([client.close(), batches.close()]).then(() => undefined);
    },
    async ready() {
      const t = await call("GET", "/readyz", null);
      return t.ok && t.res.status === 200;
    },
  };
};
