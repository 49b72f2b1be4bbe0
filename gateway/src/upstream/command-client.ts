// OrderEntry over command-service's internal JSON API (POST /orders,
// /orders/cancel, /orders/replace; GET /orders/:account/:clOrdId). Caller
// identity travels in x-fxcore-accounts / x-fxcore-roles, the trace in
// traceparent. Keep-alive sockets (undici): the gateway is a hot path.
//
// Which failures are "unknown" matters: once the request bytes may have
// reached command-service, only its answer is definite. A refused connection
// or a 503 STORE_UNAVAILABLE ("nothing was written") is definitely not applied.

import type { FixReport, InstrumentCatalog, Notional, TimestampNs } from "@fxcore/domain";
import { injectTraceContext } from "@fxcore/infra";
import type { Principal } from "../auth/principal.ts";
import { Tag } from "../fix/fields.ts";
import { type FixMessage, fixMessage, getField } from "../fix/message.ts";
import { renderReport } from "../orders/render.ts";
import type { CancelOrderRequest, ReplaceOrderRequest } from "../orders/requests.ts";
import { Pool } from "undici";
import type { OrderEntry, UpstreamOutcome } from "./order-entry.ts";

export interface CommandClientOptions {
  /** e.g. http://127.0.0.1:8081 */
  readonly baseUrl: string;
  readonly catalog: InstrumentCatalog;
  readonly timeoutMs?: number;
  readonly maxSockets?: number;
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

/** Bigints travel as decimal strings; put them back. */
export const reviveReport = (r: Record<string, unknown>): FixReport => {
  const big = (v: unknown) => (v === null || v === undefined ? null : BigInt(v as string));
  const out: Record<string, unknown> = { ...r, transactTime: big(r.transactTime) as TimestampNs };
  if (r.msgType === "8") {
    const avg = (r.avgPx ?? {}) as { tradedNotional?: string; cumQty?: number };
    out.expireTime = big(r.expireTime);
    out.avgPx = {
      tradedNotional: (big(avg.tradedNotional) ?? 0n) as Notional,
      cumQty: avg.cumQty ?? 0,
    };
  }
  return out as unknown as FixReport;
};

/** Connection never made: the request cannot have reached command-service. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

export const commandServiceClient = (o: CommandClientOptions): OrderEntry => {
  const timeoutMs = o.timeoutMs ?? 5_000;
  // undici: a keep-alive pool, markedly cheaper per request than node:http's client.
  const pool = new Pool(new URL(o.baseUrl).origin, {
    connections: o.maxSockets ?? 128,
    keepAliveTimeout: 10_000,
    connectTimeout: Math.min(timeoutMs, 2_000),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  const call = async (
    method: "GET" | "POST",
    path: string,
    caller: Principal | null,
    body?: unknown,
  ): Promise<Transport> => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: "application/json" };
    if (payload !== undefined) headers["content-type"] = "application/json";
    if (caller) {
      headers["x-fxcore-accounts"] = caller.accounts.join(",");
      headers["x-fxcore-roles"] = caller.roles.join(",");
      headers["x-fxcore-key-id"] = caller.keyId;
    }
    injectTraceContext(headers);
    try {
      const res = await pool.request({
        method,
        path,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
      });
      return { ok: true, res: { status: res.statusCode, body: await res.body.text() } };
    } catch (e) {
      const code = (e as { code?: string }).code ?? "";
      return { ok: false, sent: !NOT_SENT.has(code), reason: code || (e as Error).message };
    }
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
  ): Promise<FixMessage | null> => {
    const t = await call("GET", statusPath(r.account, r.origClOrdId), caller);
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
    request?: CancelOrderRequest | ReplaceOrderRequest,
  ): Promise<UpstreamOutcome> => {
    const t = await call("POST", path, caller, body);
    if (!t.ok) return failure(t);
    if (t.res.status !== 200) return nonOk(t.res);
    const w = JSON.parse(t.res.body) as WireAnswer;
    const report =
      w.report === null && request ? await pendingReport(request, w, caller) : render(w);
    // Taken and stored, but its state could not be read back: still a definite yes.
    if (!report)
      return { kind: "unknown", reason: "accepted; fetch its state with GET /v1/orders/:clOrdId" };
    return { kind: "answer", answer: { report, position: w.position } };
  };

  const defined = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));

  return {
    place: (r, caller) =>
      command(
        "/orders",
        defined({
          clOrdId: r.clOrdId,
          account: r.account,
          symbol: r.symbol,
          side: r.side,
          ordType: r.ordType,
          price: r.price,
          orderQty: r.orderQty,
          timeInForce: r.tif,
          expireTime: r.expireTime === null ? null : r.expireTime.toString(),
          minQty: r.minQty,
          postOnly: r.postOnly || null,
        }),
        caller,
      ),
    cancel: (r, caller) =>
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
        r,
      ),
    replace: (r, caller) =>
      command(
        "/orders/replace",
        defined({
          clOrdId: r.clOrdId,
          origClOrdId: r.origClOrdId,
          account: r.account,
          symbol: r.symbol,
          side: r.side,
          ordType: r.ordType,
          price: r.price,
          orderQty: r.orderQty,
        }),
        caller,
        r,
      ),
    async status(r, caller) {
      const t = await call("GET", statusPath(r.account, r.clOrdId), caller);
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
    close: () => pool.close(),
    async ready() {
      const t = await call("GET", "/readyz", null);
      return t.ok && t.res.status === 200;
    },
  };
};
