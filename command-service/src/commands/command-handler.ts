// The imperative shell around the domain decider: look up what the decider
// needs, decide, encode, write (group commit), answer. Every outcome is a
// value; only an unreachable store (StoreUnavailable) or a bug throws.
import { hash } from "node:crypto";
import {
  type AccountId,
  type CancelOrder,
  type ClOrdId,
  type DomainEvent,
  decideCancel,
  decidePlace,
  decideReplace,
  evolve,
  evolveAll,
  executionReport,
  type FixReport,
  type InstrumentCatalog,
  initialOrderState,
  type OrderId,
  type OrderState,
  type PlaceOrder,
  type ReplaceOrder,
  type TimestampNs,
} from "@fxcore/domain";
import { eventId, type PostgresEventStore, type StreamId, streamId } from "@fxcore/event-store";
import type { RiskInputs } from "../risk/risk-inputs.ts";
import { expiryOf } from "../session-clock/due-ticks.ts";
import type { Claim, CommandWriter, WriteOutcome, WriteRequest } from "../write/command-writer.ts";
import { reportJson, stringJson, WrittenAnswer } from "./answer-json.ts";
import type { EventCodec, EventEnvelope } from "./event-codec.ts";
import { schemaIdOf } from "./event-codec.ts";
import type { CancelRequest, PlaceRequest, ReplaceRequest } from "./requests.ts";
import { statusReport } from "./status-report.ts";

export interface CommandHandlerDeps {
  readonly writer: CommandWriter;
  readonly store: PostgresEventStore;
  readonly codec: EventCodec;
  readonly risk: RiskInputs;
  readonly instruments: InstrumentCatalog;
  /** fx.orders (per-suite names in tests). */
  readonly topic: string;
  readonly newId: () => string;
  readonly nowNs: () => TimestampNs;
}

/** Per-request context from the HTTP edge. */
export interface RequestContext {
  readonly correlationId: string;
  readonly traceparent: string | null;
  readonly tracestate: string | null;
  readonly receivedAtNs: TimestampNs;
}

export interface CommandAnswer {
  /** ExecutionReport (35=8) or OrderCancelReject (35=9); null for an accepted cancel/replace request (pending). */
  readonly report: FixReport | null;
  /** Global position of the stored event: a read-your-writes token. null when nothing was stored. */
  readonly position: string | null;
  readonly orderId: string | null;
  /** True when this repeats the answer to an earlier identical request. */
  readonly resent: boolean;
  /** Id of the stored event (the gateway uses it as the report's ExecID); null when nothing was stored. */
  readonly eventId: string | null;
  /** For a cancel/replace request taken: what the matcher will now answer. */
  readonly pending?: "CANCEL" | "REPLACE";
}

export type StatusAnswer =
  | { readonly found: false }
  | { readonly found: true; readonly report: FixReport; readonly position: string | null };

/** One command of an order batch, its body exactly as the single endpoint takes it. */
export type BatchCommand =
  | { readonly kind: "place"; readonly body: PlaceRequest }
  | { readonly kind: "cancel"; readonly body: CancelRequest }
  | { readonly kind: "replace"; readonly body: ReplaceRequest };

/** What a decided command writes, and the facts its answer is built from. */
interface WriteSpec {
  readonly kind: Claim["kind"];
  readonly account: string;
  readonly clOrdId: string;
  readonly hash: string;
  readonly orderId: string | null;
  readonly stream: StreamId;
  readonly expected: bigint | "no-stream";
  readonly event: DomainEvent;
  readonly report: FixReport | null;
  readonly ctx: RequestContext;
}

/** A decided command ready for the writer, and its answer once written (null: decide again). */
interface Prepared {
  readonly request: WriteRequest;
  finish(outcome: WriteOutcome): CommandAnswer | null;
}

/** Synchronous where it can be (a place order whose event encodes now), else a promise. */
type MaybeAsync<T> = T | Promise<T>;

const orderStream = (orderId: string): StreamId => streamId(`order-${orderId}`);
/** Where a reject about no known order lives: its own request's stream. */
const requestStream = (account: string, clOrdId: string): StreamId =>
  streamId(`request-${account}-${clOrdId}`);

const canonical = (v: unknown): unknown =>
  v !== null && typeof v === "object" && !Array.isArray(v)
    ? Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      )
    : v;

/**
 * Canonical JSON (sorted keys) of the request as sent: a resend must hash the
 * same. Request bodies are flat, so that is built directly here (the same
 * text JSON.stringify gives); nested values take the general path.
 */
const canonicalJson = (body: object): string => {
  const record = body as Record<string, unknown>;
  let out = "{";
  for (const k of sortedKeys(record)) {
    const v = record[k];
    if (v === undefined) continue;
    if (v !== null && typeof v === "object") return JSON.stringify(canonical(body));
    out += `${out.length === 1 ? "" : ","}${keyJson(k)}:${typeof v === "string" ? stringJson(v) : JSON.stringify(v)}`;
  }
  return `${out}}`;
};

// Body keys come from a closed schema: their JSON text is made once.
const keyTexts = new Map<string, string>();
const keyJson = (k: string): string => {
  let t = keyTexts.get(k);
  if (t === undefined) {
    t = JSON.stringify(k);
    if (keyTexts.size < 256) keyTexts.set(k, t);
  }
  return t;
};

// Bodies of one endpoint come with their keys in one order (the gateway's):
// the last order seen and its sorted copy are kept, so a body with the same
// keys in the same order costs a comparison instead of a sort.
let lastKeys: string[] = [];
let lastSorted: string[] = [];
const sortedKeys = (record: Record<string, unknown>): string[] => {
  let i = 0;
  for (const k in record) {
    if (lastKeys[i] !== k) return resort(record);
    i++;
  }
  return i === lastKeys.length ? lastSorted : resort(record);
};
const resort = (record: Record<string, unknown>): string[] => {
  lastKeys = Object.keys(record);
  lastSorted = [...lastKeys].sort();
  return lastSorted;
};

/** Hash of a request: its kind and canonical body. */
export const requestHash = (kind: string, body: object): string =>
  hash("sha256", kind + canonicalJson(body), "base64url");

const MAX_ATTEMPTS = 5;

export class CommandHandler {
  readonly #d: CommandHandlerDeps;
  constructor(deps: CommandHandlerDeps) {
    this.#d = deps;
  }

  async place(req: PlaceRequest, ctx: RequestContext): Promise<CommandAnswer> {
    const hash = requestHash("PLACE", req);
    return this.#decideAndWrite(`place ${req.clOrdId}`, () => this.#preparePlace(req, hash, ctx));
  }

  /**
   * An order batch (ADR 066): each command decided on its own, all written in
   * ONE group-commit transaction. An item that must be decided again (its
   * stream moved, or the claim it lost to was rolled back) goes alone, like a
   * single request. A preparation that throws fails only its item.
   */
  async batch(
    items: readonly { readonly command: BatchCommand; readonly ctx: RequestContext }[],
  ): Promise<PromiseSettledResult<CommandAnswer>[]> {
    // Place orders prepare synchronously: no promise per item unless one must wait.
    const prepared = new Array<PromiseSettledResult<Prepared>>(items.length);
    let waiting: Promise<void>[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const { command, ctx } = items[i] as (typeof items)[number];
      try {
        const p = this.#prepare(command, ctx);
        if (!(p instanceof Promise)) {
          prepared[i] = { status: "fulfilled", value: p };
          continue;
        }
        waiting ??= [];
        waiting.push(
          p.then(
            (value) => {
              prepared[i] = { status: "fulfilled", value };
            },
            (reason: unknown) => {
              prepared[i] = { status: "rejected", reason };
            },
          ),
        );
      } catch (reason) {
        // Fails only this item.
        prepared[i] = { status: "rejected", reason };
      }
    }
    if (waiting !== undefined) await Promise.all(waiting);
    const ready: WriteRequest[] = [];
    for (const p of prepared) if (p.status === "fulfilled") ready.push(p.value.request);
    // Store unavailable: nothing of the batch was written; the caller answers the whole call.
    const outcomes = await this.#d.writer.writeAll(ready);
    let next = 0;
    // Answered in place; only items that must be decided again wait for another write.
    const settled = new Array<PromiseSettledResult<CommandAnswer>>(prepared.length);
    let retries: Promise<void>[] | undefined;
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i] as PromiseSettledResult<Prepared>;
      if (p.status === "rejected") {
        settled[i] = p;
        continue;
      }
      const answer = p.value.finish(outcomes[next++] as WriteOutcome);
      if (answer !== null) {
        settled[i] = { status: "fulfilled", value: answer };
        continue;
      }
      const { command, ctx } = items[i] as (typeof items)[number];
      const again =
        command.kind === "place"
          ? this.place(command.body, ctx)
          : command.kind === "cancel"
            ? this.cancel(command.body, ctx)
            : this.replace(command.body, ctx);
      retries ??= [];
      retries.push(
        again.then(
          (value) => {
            settled[i] = { status: "fulfilled", value };
          },
          (reason: unknown) => {
            settled[i] = { status: "rejected", reason };
          },
        ),
      );
    }
    if (retries !== undefined) await Promise.all(retries);
    return settled;
  }

  /** May throw synchronously (the caller fails only this item). */
  #prepare(command: BatchCommand, ctx: RequestContext): MaybeAsync<Prepared> {
    switch (command.kind) {
      case "place":
        return this.#preparePlace(command.body, requestHash("PLACE", command.body), ctx);
      case "cancel":
        return this.#prepareCancel(command.body, requestHash("CANCEL", command.body), ctx);
      case "replace":
        return this.#prepareReplace(command.body, requestHash("REPLACE", command.body), ctx);
    }
  }

  /** Decide, write, answer; decide again while the stream keeps moving. */
  async #decideAndWrite(what: string, prepare: () => MaybeAsync<Prepared>): Promise<CommandAnswer> {
    for (let attempt = 1; ; attempt++) {
      const p = await prepare();
      const answer = p.finish(await this.#d.writer.write(p.request));
      if (answer !== null) return answer;
      if (attempt >= MAX_ATTEMPTS) throw new Error(`${what}: stream kept moving`);
    }
  }

  /** Synchronous once the event type's schema id is known; a throw fails only this command. */
  #preparePlace(req: PlaceRequest, hash: string, ctx: RequestContext): MaybeAsync<Prepared> {
    const command: PlaceOrder = {
      type: "PlaceOrder",
      orderId: this.#d.newId() as OrderId,
      clOrdId: req.clOrdId as ClOrdId,
      account: req.account as AccountId,
      symbol: req.symbol,
      side: req.side,
      ordType: req.ordType,
      price: req.price ?? null,
      orderQty: req.orderQty,
      tif: req.timeInForce ?? "DAY",
      expireTime: req.expireTime === undefined ? null : (BigInt(req.expireTime) as TimestampNs),
      minQty: req.minQty ?? null,
      postOnly: req.postOnly ?? false,
      stpMode: req.stpMode ?? "NONE",
      transactTime: this.#d.nowNs(),
    };
    const [event] = decidePlace(command, initialOrderState, {
      instruments: this.#d.instruments,
      duplicateClOrdId: false,
      risk: this.#d.risk.context(req.account, req.symbol),
    });
    const report = reportOf(event, initialOrderState);
    const orderId = event.type === "OrderAccepted" ? event.orderId : command.orderId;
    const w: WriteSpec = {
      kind: "PLACE",
      account: req.account,
      clOrdId: req.clOrdId,
      hash,
      orderId,
      stream: orderStream(orderId),
      expected: "no-stream",
      event,
      report,
      ctx,
    };
    return this.#prepared(w, () => {
      // Answered, not stored: storing it would give a second order this ClOrdID.
      const [dup] = decidePlace(command, initialOrderState, {
        instruments: this.#d.instruments,
        duplicateClOrdId: true,
        risk: this.#d.risk.context(req.account, req.symbol),
      });
      return {
        report: reportOf(dup, initialOrderState),
        position: null,
        orderId: null,
        resent: false,
        eventId: null,
      };
    });
  }

  async cancel(req: CancelRequest, ctx: RequestContext): Promise<CommandAnswer> {
    const hash = requestHash("CANCEL", req);
    return this.#decideAndWrite(`CANCEL ${req.clOrdId}`, () => this.#prepareCancel(req, hash, ctx));
  }

  async replace(req: ReplaceRequest, ctx: RequestContext): Promise<CommandAnswer> {
    const hash = requestHash("REPLACE", req);
    return this.#decideAndWrite(`REPLACE ${req.clOrdId}`, () =>
      this.#prepareReplace(req, hash, ctx),
    );
  }

  #prepareCancel(req: CancelRequest, hash: string, ctx: RequestContext): Promise<Prepared> {
    return this.#prepareAmend("CANCEL", req, hash, ctx, (state, transactTime) => {
      const command: CancelOrder = {
        type: "CancelOrder",
        clOrdId: req.clOrdId as ClOrdId,
        origClOrdId: req.origClOrdId as ClOrdId,
        account: req.account as AccountId,
        symbol: req.symbol,
        side: req.side,
        transactTime,
      };
      return (duplicate) => decideCancel(command, state, { duplicateClOrdId: duplicate })[0];
    });
  }

  #prepareReplace(req: ReplaceRequest, hash: string, ctx: RequestContext): Promise<Prepared> {
    return this.#prepareAmend("REPLACE", req, hash, ctx, (state, transactTime) => {
      const command: ReplaceOrder = {
        type: "ReplaceOrder",
        clOrdId: req.clOrdId as ClOrdId,
        origClOrdId: req.origClOrdId as ClOrdId,
        account: req.account as AccountId,
        symbol: req.symbol,
        side: req.side,
        ordType: req.ordType,
        price: req.price ?? null,
        orderQty: req.orderQty,
        transactTime,
      };
      return (duplicate) =>
        decideReplace(command, state, {
          instruments: this.#d.instruments,
          duplicateClOrdId: duplicate,
          risk: this.#d.risk.context(req.account, req.symbol),
        })[0];
    });
  }

  /** The order's state as the event store knows it, by any ClOrdID of its chain. */
  async status(account: string, clOrdId: string): Promise<StatusAnswer> {
    const claim = await this.#d.writer.findClaim(account, clOrdId);
    if (claim === null) return { found: false };
    if (claim.orderId === null)
      return {
        found: true,
        report: (claim.response as { report: FixReport }).report,
        position: positionText(claim.globalPosition),
      };
    const { state, lastPosition } = await this.#load(claim.orderId);
    if (state.status === null) return { found: false };
    return { found: true, report: statusReport(state), position: lastPosition };
  }

  async #prepareAmend(
    kind: "CANCEL" | "REPLACE",
    req: CancelRequest | ReplaceRequest,
    hash: string,
    ctx: RequestContext,
    make: (state: OrderState, transactTime: TimestampNs) => (duplicate: boolean) => DomainEvent,
  ): Promise<Prepared> {
    const target = await this.#d.writer.findClaim(req.account, req.origClOrdId);
    const orderId = target?.orderId ?? null;
    const loaded =
      orderId === null
        ? { state: initialOrderState, version: -1n, lastPosition: null }
        : await this.#load(orderId);
    const decide = make(loaded.state, this.#d.nowNs());
    const event = decide(false);
    const report = reportOf(event, loaded.state);
    const known = orderId !== null && loaded.version >= 0n;
    const w: WriteSpec = {
      kind,
      account: req.account,
      clOrdId: req.clOrdId,
      hash,
      orderId,
      stream: known ? orderStream(orderId) : requestStream(req.account, req.clOrdId),
      expected: known ? loaded.version : "no-stream",
      event,
      report,
      ctx,
    };
    return this.#prepared(w, () => ({
      report: reportOf(decide(true), loaded.state),
      position: null,
      orderId,
      resent: false,
      eventId: null,
    }));
  }

  /** Folds an order's stream. Events the state machine refuses are skipped, not fatal, here. */
  async #load(
    orderId: string,
  ): Promise<{ state: OrderState; version: bigint; lastPosition: string | null }> {
    const recorded = await this.#d.store.readStream(orderStream(orderId));
    const events: DomainEvent[] = [];
    for (const r of recorded) {
      const decoded = await this.#d.codec.decode(Buffer.from(r.payload));
      if (!decoded.ok)
        throw new Error(
          `order ${orderId}: undecodable event ${r.eventId}: ${decoded.error.message}`,
        );
      events.push(decoded.value.payload as DomainEvent);
    }
    const folded = evolveAll(events);
    if (!folded.ok) throw new Error(`order ${orderId}: ${folded.error.text}`);
    const last = recorded.at(-1);
    return {
      state: folded.value,
      version: last?.streamVersion ?? -1n,
      lastPosition: last === undefined ? null : last.globalPosition.toString(),
    };
  }

  /** The writer's request for a decided command: its event encoded, its claim and answer. */
  #request(w: WriteSpec, id: string, reportText: string): MaybeAsync<WriteRequest> {
    const envelope: EventEnvelope = {
      meta: {
        eventId: id,
        occurredAt: w.event.transactTime,
        correlationId: w.ctx.correlationId,
        causationId: null,
        traceparent: w.ctx.traceparent,
        tracestate: w.ctx.tracestate,
        pairSeq: null,
        writerEpoch: null,
      },
      payload: w.event,
    };
    const now = this.#d.codec.encodeSync?.(this.#d.topic, envelope);
    if (now !== undefined) return this.#writeRequest(w, id, now, reportText);
    return this.#d.codec
      .encode(this.#d.topic, envelope)
      .then((bytes) => this.#writeRequest(w, id, bytes, reportText));
  }

  #writeRequest(w: WriteSpec, id: string, bytes: Buffer, reportText: string): WriteRequest {
    const expiry = expiryOf(w.event);
    // One object shape per command (no spreads): absent fields are undefined,
    // which JSON.stringify leaves out of the stored metadata as before.
    const request: WriteRequest = {
      expiry: expiry ?? undefined,
      claim: {
        account: w.account,
        clOrdId: w.clOrdId,
        requestHash: w.hash,
        kind: w.kind,
        orderId: w.orderId,
        eventId: id,
        reportJson: reportText,
      },
      append: {
        stream: w.stream,
        expected: w.expected,
        events: [
          {
            eventId: eventId(id),
            type: w.event.type,
            schemaId: schemaIdOf(bytes),
            schemaVersion: this.#d.codec.catalog.current(w.event.type)?.version ?? 0,
            payload: bytes,
            metadata: {
              correlationId: w.ctx.correlationId,
              clOrdId: w.clOrdId,
              account: w.account,
              receivedAtNs: w.ctx.receivedAtNs.toString(),
              traceparent: w.ctx.traceparent ?? undefined,
              tracestate: w.ctx.tracestate ?? undefined,
            },
            publish: { topic: this.#d.topic, key: w.event.symbol },
          },
        ],
      },
    };
    return request;
  }

  /**
   * The write request of a decided command, and how its outcome is answered:
   * written, resent (the stored answer), a duplicate ClOrdID (answered, not
   * stored), or null (its stream moved: decide again).
   */
  #prepared(w: WriteSpec, duplicate: () => CommandAnswer): MaybeAsync<Prepared> {
    const id = this.#d.newId();
    // Serialized once: for the stored claim and the reply.
    const reportText = reportJson(w.report);
    const request = this.#request(w, id, reportText);
    const finish = (outcome: WriteOutcome): CommandAnswer | null => {
      const o = this.#outcome(w, id, outcome);
      if (o.type === "Written") {
        if (w.report !== null)
          return new WrittenAnswer(w.report, reportText, o.position, w.orderId, o.eventId);
        const answer = { report: null, position: o.position, orderId: w.orderId, resent: false };
        return w.kind === "PLACE"
          ? { ...answer, eventId: o.eventId }
          : { ...answer, eventId: o.eventId, pending: w.kind };
      }
      if (o.type === "Conflict") return null;
      return o.sameRequest ? o.answer : duplicate();
    };
    return request instanceof Promise
      ? request.then((r) => ({ request: r, finish }))
      : { request, finish };
  }

  #outcome(
    w: WriteSpec,
    id: string,
    outcome: WriteOutcome,
  ):
    | { type: "Written"; position: string; eventId: string }
    | { type: "Taken"; sameRequest: true; answer: CommandAnswer }
    | { type: "Taken"; sameRequest: false }
    | { type: "Conflict" } {
    switch (outcome.type) {
      case "Written":
        return { type: "Written", position: outcome.globalPosition.toString(), eventId: id };
      case "StreamConflict":
        return { type: "Conflict" };
      case "ClOrdIdTaken": {
        if (outcome.existing.requestHash !== w.hash) return { type: "Taken", sameRequest: false };
        const stored = outcome.existing.response as Pick<CommandAnswer, "report" | "orderId">;
        return {
          type: "Taken",
          sameRequest: true,
          answer: {
            report: stored.report,
            orderId: stored.orderId,
            position: positionText(outcome.existing.globalPosition),
            resent: true,
            eventId: outcome.existing.eventId,
            ...(stored.report === null
              ? { pending: w.kind === "CANCEL" ? "CANCEL" : "REPLACE" }
              : {}),
          },
        };
      }
    }
  }
}

const positionText = (p: bigint | null): string | null => (p === null ? null : p.toString());

/** The report an event implies for the order it creates or answers. */
const reportOf = (event: DomainEvent, before: OrderState): FixReport | null => {
  const after = evolve(before, event);
  return executionReport(event, after.ok ? after.value : before);
};
