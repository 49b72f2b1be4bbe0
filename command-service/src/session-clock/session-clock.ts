// The session clock (ADR 055): appends a TimeAdvanced for a pair to the event
// store (with its outbox row, so the relay publishes it to fx.orders in the
// pair's order and the replay re-executes it) once an expiry recorded for
// that pair is due. One pass is one transaction under an advisory lock: take
// the due expiries, append the ticks, remember the last tick per pair. A
// crash before commit leaves the expiries pending for the next pass, on any
// instance; a second instance skips the pass while the first holds the lock.
import { randomUUID } from "node:crypto";
import type { Symbol as PairSymbol, TimestampNs } from "@fxcore/domain";
import { eventId, type PostgresEventStore, streamId } from "@fxcore/event-store";
import {
  Counter,
  Histogram,
  type Logger,
  type PgClient,
  type PgPool,
  type Registry,
} from "@fxcore/infra";
import { nowNs as wallClockNs } from "../clock.ts";
import type { EventCodec, EventEnvelope } from "../commands/event-codec.ts";
import { schemaIdOf } from "../commands/event-codec.ts";
import { type PlannedTick, planTicks } from "./due-ticks.ts";
import { takeDueExpiries } from "./pending-expiries.ts";

/** Two-int advisory lock namespace of the session clock (the outbox uses 0x0b0c). */
const LOCK_NAMESPACE = 0x5c10;

export interface SessionClockOptions {
  readonly pool: PgPool;
  readonly store: PostgresEventStore;
  readonly codec: EventCodec;
  /** fx.orders (per-suite names in tests). */
  readonly topic: string;
  /** Poll period: an expiry is ticked at most this long (plus one commit) after it is due. */
  readonly intervalMs?: number;
  /** Tick quiet pairs this often (0: never). */
  readonly heartbeatMs?: number;
  /**
   * The pairs this clock ticks: its region's home pairs (ADR 040), whose
   * expiries it takes and which the heartbeat covers. Absent: every pair's
   * expiries, no heartbeat.
   */
  readonly pairs?: readonly string[];
  readonly logger?: Logger;
  readonly metrics?: Registry;
  readonly nowNs?: () => TimestampNs;
  readonly newId?: () => string;
}

export type PassOutcome =
  | { readonly type: "Ticked"; readonly ticks: readonly PlannedTick[] }
  /** Another instance holds the clock lock: it ticks. */
  | { readonly type: "NotLeader" };

export const clockStream = (symbol: string) => streamId(`clock-${symbol}`);

export class SessionClock {
  readonly #o: SessionClockOptions;
  readonly #intervalMs: number;
  readonly #now: () => TimestampNs;
  readonly #newId: () => string;
  readonly #ticks: Counter<"symbol" | "reason">;
  readonly #lag: Histogram<"symbol">;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;

  constructor(o: SessionClockOptions) {
    this.#o = o;
    this.#intervalMs = o.intervalMs ?? 250;
    this.#now = o.nowNs ?? wallClockNs;
    this.#newId = o.newId ?? randomUUID;
    const registers = o.metrics === undefined ? [] : [o.metrics];
    this.#ticks = new Counter({
      name: "fxcore_session_clock_ticks_total",
      help: "TimeAdvanced events appended to the event store, by pair and reason (EXPIRY, HEARTBEAT)",
      labelNames: ["symbol", "reason"],
      registers,
    });
    this.#lag = new Histogram({
      name: "fxcore_session_clock_lag_seconds",
      help: "Time from an expiry being due to its TimeAdvanced's transact time",
      labelNames: ["symbol"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300],
      registers,
    });
  }

  /** Starts ticking every interval; pending expiries from before a restart are due at once. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.pass()
        .catch((e: unknown) => this.#o.logger?.error({ err: e }, "session clock: pass failed"))
        .finally(() => this.#schedule(this.#intervalMs));
    }, ms);
  }

  /** One pass: appends the ticks that are due now, in one transaction. */
  async pass(): Promise<PassOutcome> {
    let client: PgClient | undefined = await this.#o.pool.connect();
    try {
      await client.query("BEGIN");
      const locked = await client.query<{ ok: boolean }>(
        "SELECT pg_try_advisory_xact_lock($1, 0) AS ok",
        [LOCK_NAMESPACE],
      );
      if (locked.rows[0]?.ok !== true) {
        await client.query("ROLLBACK");
        return { type: "NotLeader" };
      }
      // Read after the lock: everything committed before it is visible.
      const now = this.#now();
      const due = await takeDueExpiries(client, now, this.#o.pairs ?? null);
      const heartbeatMs = this.#o.heartbeatMs ?? 0;
      if (due.length === 0 && heartbeatMs <= 0) {
        await client.query("COMMIT");
        return { type: "Ticked", ticks: [] };
      }
      const last = await client.query<{ symbol: string; last_tick_ns: string }>(
        "SELECT symbol, last_tick_ns FROM cs_session_clock",
      );
      const ticks = planTicks({
        now,
        due,
        lastTicks: new Map(last.rows.map((r) => [r.symbol, BigInt(r.last_tick_ns)])),
        ...(heartbeatMs > 0
          ? {
              heartbeat: {
                everyNs: BigInt(heartbeatMs) * 1_000_000n,
                symbols: this.#o.pairs ?? [],
              },
            }
          : {}),
      });
      if (ticks.length > 0) {
        const items = await Promise.all(ticks.map((t) => this.#appendItem(t)));
        const results = await this.#o.store.appendBatch(items, { via: client });
        const failed = results.findIndex((r) => !r.ok);
        if (failed >= 0)
          throw new Error(`session clock: append to ${items[failed]?.stream} failed`);
        await client.query(
          `INSERT INTO cs_session_clock (symbol, last_tick_ns)
           SELECT s, t FROM unnest($1::text[], $2::bigint[]) AS u(s, t)
           ON CONFLICT (symbol) DO UPDATE SET last_tick_ns = EXCLUDED.last_tick_ns`,
          [ticks.map((t) => t.symbol), ticks.map((t) => t.transactTime.toString())],
        );
      }
      await client.query("COMMIT");
      client.release();
      client = undefined;
      if (ticks.length > 0) this.#o.store.notifyAppended();
      for (const t of ticks) {
        this.#ticks.inc({ symbol: t.symbol, reason: t.reason });
        if (t.earliestDueNs !== null)
          this.#lag.observe({ symbol: t.symbol }, Number(t.transactTime - t.earliestDueNs) / 1e9);
      }
      if (ticks.length > 0)
        this.#o.logger?.debug(
          { ticks: ticks.map((t) => `${t.symbol}@${t.transactTime}:${t.reason}`) },
          "session clock: ticked",
        );
      return { type: "Ticked", ticks };
    } catch (e) {
      if (client !== undefined) {
        await client.query("ROLLBACK").catch(() => {});
        client.release(e as Error);
        client = undefined;
      }
      throw e;
    } finally {
      client?.release();
    }
  }

  async #appendItem(t: PlannedTick) {
    const id = this.#newId();
    const correlationId = `session-clock-${id}`;
    const envelope: EventEnvelope = {
      meta: {
        eventId: id,
        occurredAt: t.transactTime,
        correlationId,
        causationId: null,
        traceparent: null,
        tracestate: null,
        pairSeq: null,
        writerEpoch: null,
      },
      payload: {
        type: "TimeAdvanced",
        symbol: t.symbol as PairSymbol,
        transactTime: t.transactTime,
      },
    };
    const bytes = await this.#o.codec.encode(this.#o.topic, envelope);
    return {
      stream: clockStream(t.symbol),
      expected: "any" as const,
      events: [
        {
          eventId: eventId(id),
          type: "TimeAdvanced",
          schemaId: schemaIdOf(bytes),
          schemaVersion: this.#o.codec.catalog.current("TimeAdvanced")?.version ?? 0,
          payload: bytes,
          metadata: {
            correlationId,
            source: "session-clock",
            reason: t.reason,
            ...(t.earliestDueNs === null ? {} : { dueNs: t.earliestDueNs.toString() }),
          },
          publish: { topic: this.#o.topic, key: t.symbol },
        },
      ],
    };
  }
}
