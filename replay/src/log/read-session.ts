// Every replay read runs inside one READ ONLY, REPEATABLE READ transaction:
// the database refuses any write from it, the whole request sees one
// consistent snapshot of the log, and writers are never blocked (MVCC readers
// take no locks writers wait on). A read-only transaction gets no xid, so it
// does not hold back the event store's gap-safe watermark either.
import type { PgClient, PgPool } from "@fxcore/infra";

export interface ReadSession {
  /** The session's connection in pg's own shape, for library functions that take a Queryable. */
  readonly raw: Pick<PgClient, "query">;
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Rows in batches through a server-side cursor: constant memory however large the result. */
  batches<T>(sql: string, params: readonly unknown[], batchSize?: number): AsyncGenerator<T[]>;
}

let cursorCounter = 0;

export async function withReadSession<T>(
  pool: PgPool,
  fn: (session: ReadSession) => Promise<T>,
): Promise<T> {
  const client: PgClient = await pool.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    // A long export may take longer than a service's statement budget per FETCH batch.
    await client.query("SET LOCAL statement_timeout = 0");
    // Replay reads its cursors to the end: plan them for the whole result, not a fast start.
    await client.query("SET LOCAL cursor_tuple_fraction = 1.0");
    const session: ReadSession = {
      raw: client,
      async query<R>(sql: string, params: readonly unknown[] = []) {
        const { rows } = await client.query(sql, params as unknown[]);
        return rows as R[];
      },
      async *batches<R>(sql: string, params: readonly unknown[], batchSize = 5_000) {
        const name = `replay_cursor_${++cursorCounter}`;
        await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params as unknown[]);
        try {
          for (;;) {
            const { rows } = await client.query(`FETCH FORWARD ${batchSize} FROM ${name}`);
            if (rows.length === 0) return;
            yield rows as R[];
            if (rows.length < batchSize) return;
          }
        } finally {
          await client.query(`CLOSE ${name}`).catch(() => {});
        }
      },
    };
    const result = await fn(session);
    await client.query("COMMIT");
    return result;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
