// OrderEntry over command-service's internal JSON API (POST /orders,
// /orders/cancel, /orders/replace; GET /orders/:account/:clOrdId). Caller
// identity travels in x-fxcore-accounts / x-fxcore-roles, the trace in
// traceparent. Keep-alive, pipelined connections whose writes are coalesced
// per event-loop turn (@fxcore/infra http1Client, ADR 065): the gateway is a hot path.
//
// Which failures are "unknown" matters: once the request bytes may have
// reached command-service, only its answer is definite. A refused connection
// or a 503 STORE_UNAVAILABLE ("nothing was written") is definitely not applied.

import type { FixReport, InstrumentCatalog, Notional, TimestampNs } from "@fxcore/domain";
import { injectTraceContext } from "@fxcore/infra";
import type { Context } from "@opentelemetry/api";
import type { Principal } from "../auth/principal.ts";
import { Tag } from "../fix/fields.ts";
import { type FixMessage, fixMessage, getField } from "../fix/message.ts";
import { renderReport } from "../orders/render.ts";
import type { CancelOrderRequest, ReplaceOrderRequest } from "../orders/requests.ts";
import { http1Client } from "@fxcore/infra";
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
}

interface WireAnswer {
  readonly report: (Omit<FixReport, "transactTime"> & Record<string, unknown>) | null;
  readonly position: string | null;
  readonly orderId?: string | null;
  readonly pending?: "CANCEL" | "REPLACE";
  /**
   * The stored event's id, when command-service sends it: the read side uses
   * it as the ExecID, so the live answer and the stream then agree.
   */
  readonly eventId?: string;
}

interface HttpResult {
  readonly status: number;
  readonly body: string;
}

type Transport = { ok: true; res: HttpResult } | { ok: false; sent: boolean; reason: string };

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

/** A header value as sent: a CR or LF in it would split the request. */
const headerValue = (v: string): string => {
  if (/[\r\n]/.test(v)) throw new Error("header value with CR/LF");
  return v;
};

export const commandServiceClient = (o: CommandClientOptions): OrderEntry => {
  const timeoutMs = o.timeoutMs ?? 5_000;
  const base = new URL(o.baseUrl);
  const client = http1Client({
    host: base.hostname,
    port: Number(base.port || 80),
    connections: o.connections ?? 8,
    pipelining: o.pipelining ?? 16,
    timeoutMs,
    connectTimeoutMs: Math.min(timeoutMs, 2_000),
  });

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
    const trace: Record<string, string> = {};
    injectTraceContext(trace, traceContext);
    for (const k in trace) headers += `${k}: ${headerValue(trace[k]!)}\r\n`;
    return client.request(method, path, headers, body === undefined ? null : JSON.stringify(body));
  };

  const errorCode = (body: string): string => {
    try {
      return String((JSON.parse(body) as { error?: { code?: string } }).error?.code ?? "");
    } catch {
      return "";
    }
  };

  const failure = (t: Transport & { ok: false }): UpstreamOutcome =>
    t.sent ? { kind: "unknown", reason: t.reason } : { kind: "unavailable", reason: t.reason };

  /** Maps a non-200 answer. 503 STORE_UNAVAILABLE and 4xx were definitely not applied. */
  const nonOk = (res: HttpResult): UpstreamOutcome => {
    const code = errorCode(res.body);
    if (res.status === 404) return { kind: "not-found" };
    if (res.status === 503) return { kind: "unavailable", reason: code || "503" };
    if (res.status >= 400 && res.status < 500)
      return { kind: "invalid", reason: `${res.status} ${code}` };
    return { kind: "unknown", reason: `${res.status} ${code}` };
  };

  const render = (w: WireAnswer): FixMessage | null =>
    w.report === null
      ? null
      : renderReport(reviveReport(w.report as Record<string, unknown>), {
          catalog: o.catalog,
          ...(w.eventId ? { execId: w.eventId } : {}),
        });

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

  const command = async (
    path: string,
    body: Record<string, unknown>,
    caller: Principal,
    ctx: Context | undefined,
    request?: CancelOrderRequest | ReplaceOrderRequest,
  ): Promise<UpstreamOutcome> => {
    const t = await call("POST", path, caller, body, ctx);
    if (!t.ok) return failure(t);
    if (t.res.status !== 200) return nonOk(t.res);
    const w = JSON.parse(t.res.body) as WireAnswer;
    const report =
      w.report === null && request ? await pendingReport(request, w, caller, ctx) : render(w);
    // Taken and stored, but its state could not be read back: still a definite yes.
    if (!report)
      return { kind: "unknown", reason: "accepted; fetch its state with GET /v1/orders/:clOrdId" };
    return { kind: "answer", answer: { report, position: w.position } };
  };

  return {
    place: (r, caller, ctx) => {
      // Absent, not null, for what the order does not set (command-service's schema).
      const body: Record<string, unknown> = {
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
      return command("/orders", body, caller, ctx);
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
      if (t.res.status !== 200) return nonOk(t.res);
      const w = JSON.parse(t.res.body) as WireAnswer;
      const report = render(w);
      return report
        ? { kind: "answer", answer: { report, position: w.position } }
        : { kind: "not-found" };
    },
    close: () => client.close(),
    async ready() {
      const t = await call("GET", "/readyz", null);
      return t.ok && t.res.status === 200;
    },
  };
};
