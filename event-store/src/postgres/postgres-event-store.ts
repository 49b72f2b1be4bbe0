// The Postgres adapter of the EventStore port. Appends are one statement
// per batch (ADR 051); the global log is
// read below the transaction-id watermark (ADR 050).
import { withTransaction } from "@fxcore/infra";
import type pg from "pg";
import type {
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  LogCheckpoint,
  NewEvent,
  ReadStreamOptions,
  RecordedEvent,
  StreamId,
  SubscribeOptions,
  Subscription,
} from "../port/event-store.ts";
import { logStart } from "../port/event-store.ts";
import {
  APPEND_NEW_STREAMS_SQL,
  APPEND_NEW_STREAMS_STRICT_SQL,
  APPEND_ONE_AUTOCOMMIT_SQL,
  APPEND_ONE_NEW_AUTOCOMMIT_SQL,
  APPEND_ONE_NEW_SQL,
  APPEND_ONE_SQL,
  APPEND_SQL,
  APPEND_STRICT_SQL,
  CURRENT_VERSIONS_SQL,
  UNDO_PARTIAL_SQL,
} from "./append-statement.ts";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.ts";
import { subscribeByPolling, type Wakeups } from "./subscription.ts";
import { forgetSentParams, TextColumns } from "./text-column.ts";

/** An event that is also published: the outbox row is written in the same transaction. */
export interface PublishedEvent extends NewEvent {
  readonly publish?: { readonly topic: string; readonly key: string };
}

/** A pool, or a client inside the caller's own transaction. */
export type Queryable = Pick<pg.ClientBase, "query">;

/** One stream's append inside a batch. */
export interface AppendItem {
  readonly stream: StreamId;
  readonly expected: ExpectedVersion;
  readonly events: readonly PublishedEvent[];
}

export interface PostgresEventStoreOptions {
  /** Retries of an `"any"` append that lost a race for a revision. */
  readonly anyRetries?: number;
}

const LISTEN_CHANNEL = "es_events";
/** Subscribers wake at most this long after a commit (they also poll every 100 ms). */
const NOTIFY_COALESCE_MS = 10;
/** Named: each connection parses and plans it once (planning the CTE costs more than running it). */
const APPEND = { name: "fxcore_es_append_v4", text: APPEND_SQL } as const;
/** The single-event statements (ADR 048: one generic plan each): [in a transaction, autocommit]. */
const APPEND_ONE = [
  { name: "fxcore_es_append_one_v2", text: APPEND_ONE_SQL },
  { name: "fxcore_es_append_one_autocommit_v2", text: APPEND_ONE_AUTOCOMMIT_SQL },
] as const;
const APPEND_ONE_NEW = [
  { name: "fxcore_es_append_one_new_v1", text: APPEND_ONE_NEW_SQL },
  { name: "fxcore_es_append_one_new_autocommit_v1", text: APPEND_ONE_NEW_AUTOCOMMIT_SQL },
] as const;
const APPEND_STRICT = { name: "fxcore_es_append_strict_v2", text: APPEND_STRICT_SQL } as const;
const APPEND_NEW_STREAMS = {
  name: "fxcore_es_append_new_v2",
  text: APPEND_NEW_STREAMS_SQL,
} as const;
const APPEND_NEW_STREAMS_STRICT = {
  name: "fxcore_es_append_new_strict_v2",
  text: APPEND_NEW_STREAMS_STRICT_SQL,
} as const;
/** unique_violation: a concurrent writer took the revision (or the event id exists). */
export const isUniqueViolation = (e: unknown): boolean =>
  (e as { code?: unknown })?.code === "23505";

const expectedCode = (e: ExpectedVersion): string =>
  e === "any" ? "-2" : e === "no-stream" ? "-1" : e.toString();

const toBuffer = (u: Uint8Array): Buffer =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * The batch statement's parameters: one text column per field, one value per
 * event, built in one pass (no per-field arrays), and the payloads as one
 * binary parameter with their starts and lengths.
 */
const appendParams = (items: readonly AppendItem[]): (string | Buffer)[] => {
  const c = new TextColumns(12);
  const payloads: Buffer[] = [];
  let at = 1;
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as AppendItem;
    const code = expectedCode(it.expected);
    for (const e of it.events) {
      const payload = toBuffer(e.payload);
      payloads.push(payload);
      c.add(0, i);
      c.add(1, code);
      c.add(2, it.stream);
      c.add(3, e.eventId);
      c.add(4, e.type);
      c.add(5, e.schemaId);
      c.add(6, e.schemaVersion);
      c.add(7, at);
      c.addJson(8, JSON.stringify(e.metadata));
      c.add(9, e.publish?.topic ?? null);
      c.add(10, e.publish?.key ?? null);
      c.add(11, payload.length);
      at += payload.length;
    }
  }
  // $12 (the payloads) sits between the text columns $11 and $13.
  const params: (string | Buffer)[] = [...c.columns()];
  params.splice(11, 0, Buffer.concat(payloads, at - 1));
  return params;
};

interface EventResultRow {
  item: number;
  global_position: string | null;
  stream_version: string | null;
}

/** The new-streams statements' rows: one per item in input order, the position null where not written. */
interface PositionRow {
  global_position: string | null;
}

/** The general statements' rows for a new-streams batch (revision 0 where written). */
const newStreamRows = (rows: readonly PositionRow[]): EventResultRow[] => {
  const out = new Array<EventResultRow>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const p = (rows[i] as PositionRow).global_position;
    out[i] = { item: i, global_position: p, stream_version: p === null ? null : "0" };
  }
  return out;
};

/** The single-event statements' row: none when the event was not written. */
interface OneRow {
  global_position: string;
  stream_version: string;
}

interface EventRow {
  global_position: string;
  transaction_id: string;
  stream_id: string;
  stream_version: string;
  event_id: string;
  event_type: string;
  schema_id: number;
  schema_version: number;
  payload: Buffer;
  metadata: EventMetadata;
  recorded_at: Date;
}

const EVENT_COLUMNS =
  "global_position, transaction_id, stream_id, stream_version, event_id, event_type, schema_id, schema_version, payload, metadata, recorded_at";

export const toRecordedEvent = (r: EventRow): RecordedEvent => ({
  eventId: r.event_id as RecordedEvent["eventId"],
  type: r.event_type,
  schemaId: r.schema_id,
  schemaVersion: r.schema_version,
  payload: r.payload,
  metadata: r.metadata,
  streamId: r.stream_id as StreamId,
  streamVersion: BigInt(r.stream_version),
  globalPosition: BigInt(r.global_position),
  checkpoint: encodeCheckpoint(BigInt(r.transaction_id), BigInt(r.global_position)),
  recordedAt: r.recorded_at,
});

export class PostgresEventStore implements EventStore {
  readonly #pool: pg.Pool;
  readonly #anyRetries: number;
  #listener: Promise<pg.PoolClient> | undefined;
  readonly #waiters = new Set<() => void>();
  #closed = false;
  #notifyPending = false;

  constructor(pool: pg.Pool, options: PostgresEventStoreOptions = {}) {
    this.#pool = pool;
    this.#anyRetries = options.anyRetries ?? 5;
  }

  async append(
    stream: StreamId,
    expected: ExpectedVersion,
    events: readonly PublishedEvent[],
  ): Promise<AppendResult> {
    for (let attempt = 0; ; attempt++) {
      const [result] = await this.appendBatch([{ stream, expected, events }]);
      if (result === undefined) throw new Error("es_append returned no row");
      if (result.ok || expected !== "any" || attempt >= this.#anyRetries) return result;
    }
  }

  /**
   * Appends several streams' events in one statement (group commit). Each
   * item succeeds or fails on its own, all-or-nothing within the item.
   */
  async appendBatch(
    items: readonly AppendItem[],
    options: {
      readonly via?: Queryable;
      /**
       * With `via` only: a lost race for a revision throws the unique
       * violation (isUniqueViolation) instead of coming back as
       * WrongExpectedVersion; the caller's transaction is then aborted and
       * must be redone without `strict`. Cheaper when races are rare (no
       * speculative insertion). A revision that does not exist yet is still
       * reported as WrongExpectedVersion.
       */
      readonly strict?: boolean;
    } = {},
  ): Promise<readonly AppendResult[]> {
    if (items.length === 0) return [];
    let events = 0;
    for (const it of items) {
      if (it.events.length === 0) throw new Error(`append to ${it.stream} with no events`);
      events += it.events.length;
    }
    // Single-event items cannot be half-written: autocommit, one round trip.
    // A multi-event item may lose a race after its first event: then the undo
    // must happen in the same transaction.
    const multi = events > items.length;
    let rows: EventResultRow[];
    if (events === 1) {
      // One event: the scalar statement; no row back means it was not written.
      const it = items[0] as AppendItem;
      const e = it.events[0] as PublishedEvent;
      const values: (string | number | Buffer | null)[] = [
        it.stream,
        e.eventId,
        e.type,
        e.schemaId,
        e.schemaVersion,
        toBuffer(e.payload),
        JSON.stringify(e.metadata),
        e.publish?.topic ?? null,
        e.publish?.key ?? null,
      ];
      const fresh = it.expected === "no-stream";
      if (!fresh) values.push(expectedCode(it.expected));
      // Autocommit (no caller's transaction) and a strict caller: a plain INSERT.
      const plain = options.via === undefined || options.strict === true ? 1 : 0;
      const statement = (fresh ? APPEND_ONE_NEW : APPEND_ONE)[plain];
      const one =
        options.via !== undefined
          ? await options.via.query<OneRow>({ name: statement.name, text: statement.text, values })
          : await this.#pool
              .query<OneRow>({ name: statement.name, text: statement.text, values })
              .catch((err: unknown) => {
                if (isUniqueViolation(err)) return { rows: [] as OneRow[] };
                throw err;
              });
      const r = one.rows[0];
      rows = [
        {
          item: 0,
          global_position: r?.global_position ?? null,
          stream_version: r?.stream_version ?? null,
        },
      ];
    } else {
      const params = appendParams(items);
      // New streams only (place orders): the statement without base revisions.
      const fresh = !multi && items.every((it) => it.expected === "no-stream");
      if (options.via !== undefined)
        rows = await this.#appendIn(options.via, params, options.strict === true, fresh);
      else if (fresh)
        rows = newStreamRows(
          (await this.#pool.query<PositionRow>({ ...APPEND_NEW_STREAMS, values: params })).rows,
        );
      else if (!multi)
        rows = (await this.#pool.query<EventResultRow>({ ...APPEND, values: params })).rows;
      else {
        rows = await withTransaction(this.#pool, (client) => this.#appendIn(client, params));
      }
    }
    // The common case: one event per item, all written, rows in item order.
    if (!multi && rows.length === items.length) {
      const results = new Array<AppendResult>(rows.length);
      let i = 0;
      for (; i < rows.length; i++) {
        const r = rows[i] as EventResultRow;
        if (r.item !== i || r.global_position === null) break;
        results[i] = {
          ok: true,
          value: {
            nextExpectedVersion: BigInt(r.stream_version ?? "-1"),
            globalPositions: [BigInt(r.global_position)],
          },
        };
      }
      if (i === rows.length) {
        if (options.via === undefined) this.notifyAppended();
        return results;
      }
    }
    const byItem = new Map<number, EventResultRow[]>();
    for (const r of rows) {
      const list = byItem.get(r.item);
      if (list === undefined) byItem.set(r.item, [r]);
      else list.push(r);
    }
    const failed = items.filter(
      (_, i) => byItem.get(i)?.some((r) => r.global_position === null) ?? true,
    );
    const actual = new Map<string, bigint>();
    if (failed.length > 0) {
      const { rows: versions } = await (options.via ?? this.#pool).query<{
        stream_id: string;
        version: string;
      }>(CURRENT_VERSIONS_SQL, [failed.map((it) => it.stream)]);
      for (const v of versions) actual.set(v.stream_id, BigInt(v.version));
    }
    // In the caller's transaction the caller notifies after its COMMIT.
    if (options.via === undefined && failed.length < items.length) this.notifyAppended();
    return items.map((it, i): AppendResult => {
      const results = byItem.get(i) ?? [];
      if (results.length > 0 && results.every((r) => r.global_position !== null))
        return {
          ok: true,
          value: {
            nextExpectedVersion: BigInt(results.at(-1)?.stream_version ?? "-1"),
            globalPositions: results.map((r) => BigInt(r.global_position ?? "0")),
          },
        };
      return {
        ok: false,
        error: {
          type: "WrongExpectedVersion",
          streamId: it.stream,
          expected: it.expected,
          actual: actual.get(it.stream) ?? -1n,
        },
      };
    });
  }

  /** The statement plus the undo of half-written items, on a client inside a transaction. */
  async #appendIn(
    via: Queryable,
    params: unknown[],
    strict = false,
    fresh = false,
  ): Promise<EventResultRow[]> {
    // New streams: one event per item, nothing half-written to undo.
    if (fresh) {
      const appending = via.query<PositionRow>({
        ...(strict ? APPEND_NEW_STREAMS_STRICT : APPEND_NEW_STREAMS),
        values: params,
      });
      forgetSentParams(via, params);
      return newStreamRows((await appending).rows);
    }
    const appending = via.query<EventResultRow>({
      ...(strict ? APPEND_STRICT : APPEND),
      values: params,
    });
    forgetSentParams(via, params);
    const { rows } = await appending;
    const losers = new Set(rows.filter((r) => r.global_position === null).map((r) => r.item));
    if (losers.size === 0) return rows;
    const partial = rows.filter((r) => losers.has(r.item) && r.global_position !== null);
    if (partial.length > 0)
      await via.query(UNDO_PARTIAL_SQL, [partial.map((r) => r.global_position)]);
    return rows.map((r) =>
      losers.has(r.item) ? { ...r, global_position: null, stream_version: null } : r,
    );
  }

  async readStream(
    stream: StreamId,
    options: ReadStreamOptions = {},
  ): Promise<readonly RecordedEvent[]> {
    const { rows } = await this.#pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events WHERE stream_id = $1 AND stream_version >= $2
       ORDER BY stream_version LIMIT $3`,
      [stream, (options.fromVersion ?? 0n).toString(), options.limit ?? 1_000_000],
    );
    return rows.map(toRecordedEvent);
  }

  async readAll(after: LogCheckpoint, limit: number): Promise<readonly RecordedEvent[]> {
    const at = decodeCheckpoint(after);
    // Only transactions older than every running one: a row with a smaller
    // transaction id can no longer appear, so nothing behind us is skipped.
    const { rows } = await this.#pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM es_events
       WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
         AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY transaction_id, global_position LIMIT $3`,
      [at.transactionId.toString(), at.position.toString(), limit],
    );
    return rows.map(toRecordedEvent);
  }

  /**
   * Wakes subscribers (in any process) after events were committed. Sent
   * outside the writing transaction and coalesced: a NOTIFY inside it would
   * take Postgres's global notify lock through the commit and serialize every
   * writer's commit (ADR 051). Losing one only delays readers to their poll.
   * One per NOTIFY_COALESCE_MS at most: each is a transaction of its own; at
   * 2 ms their socket writes were ~6% of the single-append bench's node
   * profile (ADR 048).
   */
  notifyAppended(): void {
    if (this.#notifyPending || this.#closed) return;
    this.#notifyPending = true;
    setTimeout(() => {
      this.#notifyPending = false;
      this.#pool.query(`SELECT pg_notify('${LISTEN_CHANNEL}', '')`).catch(() => {});
    }, NOTIFY_COALESCE_MS);
  }

  subscribeToAll(
    from: LogCheckpoint,
    handler: (event: RecordedEvent) => Promise<void> | void,
    options: SubscribeOptions = {},
  ): Subscription {
    return subscribeByPolling({
      from,
      read: (after, limit) => this.readAll(after, limit),
      handler,
      batchSize: options.batchSize ?? 500,
      wakeups: this.#wakeups(),
    });
  }

  /** Wake-ups on NOTIFY, shared by all subscriptions of this store over one LISTEN connection. */
  #wakeups(): Wakeups {
    if (this.#listener === undefined && !this.#closed) {
      this.#listener = this.#pool.connect().then(async (client) => {
        client.on("notification", () => {
          for (const w of this.#waiters) w();
        });
        // A broken LISTEN connection only costs latency: subscribers still poll.
        client.on("error", () => {});
        await client.query(`LISTEN ${LISTEN_CHANNEL}`);
        return client;
      });
      this.#listener.catch(() => {
        this.#listener = undefined;
      });
    }
    return {
      wait: (ms) =>
        new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            this.#waiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, ms);
          this.#waiters.add(done);
        }),
    };
  }

  /** Releases the LISTEN connection; the pool belongs to the caller. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiters) w();
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener !== undefined) {
      const client = await listener.catch(() => undefined);
      client?.release(true);
    }
  }
}

export { logStart };
