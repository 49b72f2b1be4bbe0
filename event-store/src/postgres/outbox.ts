// Reading side of the outbox (ADR 052). Rows are split into lanes by message
// key; a relay session owns a lane through a session-level advisory lock on
// its own connection, reads the lane below the transaction-id watermark
// (same rule as the global log, ADR 050) and moves the lane's checkpoint
// forward only after the broker acknowledged. Dying anywhere in between
// means the next owner republishes from the checkpoint: duplicates carry the
// same event id, nothing committed is skipped, per-key order holds.
import type pg from "pg";
import type { RecordedEvent } from "../port/event-store.ts";
import { OUTBOX_LANES } from "./migrations/1700000000001_events-and-outbox.ts";
import { toRecordedEvent } from "./postgres-event-store.ts";

/** First key of the two-int advisory lock: the outbox's namespace. */
const LOCK_NAMESPACE = 0x0b0c;

export interface OutboxMessage {
  readonly lane: number;
  /** The event's global position: with transactionId, the row's place in its lane. */
  readonly position: bigint;
  readonly transactionId: bigint;
  readonly topic: string;
  readonly key: string;
  readonly event: RecordedEvent;
}

interface LaneCheckpoint {
  transactionId: bigint;
  position: bigint;
}

export class PostgresOutbox {
  readonly #pool: pg.Pool;
  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** A relay session: one dedicated connection that holds the lane locks. */
  async openSession(): Promise<OutboxSession> {
    const client = await this.#pool.connect();
    return new OutboxSession(client);
  }

  /**
   * Deletes rows already published: at or below their lane's checkpoint (a
   * reader resumes strictly after it). Returns how many went.
   */
  async purgePublished(): Promise<number> {
    const r = await this.#pool.query(
      `DELETE FROM es_outbox o USING es_outbox_lanes l
       WHERE o.lane = l.lane AND (o.transaction_id, o.global_position) <= (l.last_transaction_id, l.last_position)`,
    );
    return r.rowCount ?? 0;
  }

  /** Outbox rows not yet acknowledged, per lane (for metrics and tests). */
  async backlog(): Promise<number> {
    const { rows } = await this.#pool.query<{ n: string }>(
      `SELECT count(*)::bigint AS n FROM es_outbox o JOIN es_outbox_lanes l ON l.lane = o.lane
       WHERE (o.transaction_id, o.global_position) > (l.last_transaction_id, l.last_position)`,
    );
    return Number(rows[0]?.n ?? 0);
  }
}

export class OutboxSession {
  readonly #client: pg.PoolClient;
  readonly #lanes = new Map<number, LaneCheckpoint>();
  #broken = false;
  #released = false;

  constructor(client: pg.PoolClient) {
    this.#client = client;
    client.on("error", () => {
      this.#broken = true;
    });
  }

  /** False once the connection failed: its locks are gone, stop publishing. */
  get healthy(): boolean {
    return !this.#broken;
  }

  get ownedLanes(): readonly number[] {
    return [...this.#lanes.keys()].sort((a, b) => a - b);
  }

  /**
   * Tries to take every lane not owned yet, up to `max` in total. Returns the
   * lanes gained. The lock lives as long as this session's connection.
   */
  async claimLanes(max: number = OUTBOX_LANES): Promise<readonly number[]> {
    const free: number[] = [];
    for (let lane = 0; lane < OUTBOX_LANES; lane++) if (!this.#lanes.has(lane)) free.push(lane);
    const room = max - this.#lanes.size;
    if (room <= 0 || free.length === 0) return [];
    // LIMIT stops the scan, so no lane beyond `room` gets locked (and leaked).
    const won = await this.#client.query<{ lane: number }>(
      `SELECT f.lane FROM unnest($1::int[]) AS f(lane)
       WHERE pg_try_advisory_lock(${LOCK_NAMESPACE}, f.lane) LIMIT $2`,
      [free, room],
    );
    if (won.rows.length === 0) return [];
    // Read checkpoints after locking, in a new snapshot: the previous owner's last ack is visible.
    const { rows } = await this.#client.query<{
      lane: number;
      last_transaction_id: string;
      last_position: string;
    }>(
      "SELECT lane, last_transaction_id, last_position FROM es_outbox_lanes WHERE lane = ANY($1::int[])",
      [won.rows.map((r) => r.lane)],
    );
    for (const r of rows)
      this.#lanes.set(r.lane, {
        transactionId: BigInt(r.last_transaction_id),
        position: BigInt(r.last_position),
      });
    return rows.map((r) => r.lane);
  }

  /** Next messages of every owned lane, in lane order, at most `perLane` each. */
  async read(perLane: number): Promise<readonly OutboxMessage[]> {
    if (this.#lanes.size === 0) return [];
    const lanes = [...this.#lanes];
    const { rows } = await this.#client.query(
      `SELECT o.lane, o.transaction_id AS outbox_transaction_id, o.topic, o.message_key,
              e.global_position, e.transaction_id, e.stream_id, e.stream_version, e.event_id, e.event_type,
              e.schema_id, e.schema_version, e.payload, e.metadata, e.recorded_at
       FROM unnest($1::int[], $2::xid8[], $3::bigint[]) AS c(lane, tx, pos)
       CROSS JOIN LATERAL (
         SELECT * FROM es_outbox o
         WHERE o.lane = c.lane AND (o.transaction_id, o.global_position) > (c.tx, c.pos)
           AND o.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY o.transaction_id, o.global_position LIMIT $4
       ) o
       JOIN es_events e ON e.global_position = o.global_position
       ORDER BY o.lane, o.transaction_id, o.global_position`,
      [
        lanes.map(([l]) => l),
        lanes.map(([, c]) => c.transactionId.toString()),
        lanes.map(([, c]) => c.position.toString()),
        perLane,
      ],
    );
    return rows.map((r) => ({
      lane: r.lane,
      position: BigInt(r.global_position),
      transactionId: BigInt(r.outbox_transaction_id),
      topic: r.topic,
      key: r.message_key,
      event: toRecordedEvent(r),
    }));
  }

  /**
   * Records that everything up to and including `last` of its lane reached
   * the broker. Runs on the lock-holding connection: it fails if the lock was lost.
   */
  async ack(
    lastPerLane: readonly OutboxMessage[],
    counts: ReadonlyMap<number, number>,
  ): Promise<void> {
    if (lastPerLane.length === 0) return;
    await this.#client.query(
      `UPDATE es_outbox_lanes l SET last_transaction_id = c.tx, last_position = c.pos,
              published = l.published + c.n, updated_at = now()
       FROM unnest($1::int[], $2::xid8[], $3::bigint[], $4::bigint[]) AS c(lane, tx, pos, n)
       WHERE l.lane = c.lane`,
      [
        lastPerLane.map((m) => m.lane),
        lastPerLane.map((m) => m.transactionId.toString()),
        lastPerLane.map((m) => m.position.toString()),
        lastPerLane.map((m) => counts.get(m.lane) ?? 0),
      ],
    );
    for (const m of lastPerLane)
      this.#lanes.set(m.lane, { transactionId: m.transactionId, position: m.position });
  }

  /** Gives up every lane: its locks are free when this resolves, then the connection closes. */
  async close(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#lanes.clear();
    // A closed connection's locks go only when its backend has exited, a
    // moment after the socket closes: a session opened meanwhile would find
    // the lanes still taken. A broken connection has no locks left to free.
    await this.#client.query("SELECT pg_advisory_unlock_all()").catch(() => {});
    this.#client.release(true);
  }
}
