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
  batches<T>(
    sql: string,
    params: readonly unknown[],
    batchSize?: number,
    options?: { readonly binary?: boolean },
  ): AsyncGenerator<T[]>;
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
    // Every replay scan has an index in the order it reads (outbox lane order, stream
    // revision, log order): walk it. A sort would spill a pair's whole history to disk
    // before the first row, and JIT only adds start-up time to these plans.
    await client.query("SET LOCAL enable_sort = off");
    await client.query("SET LOCAL jit = off");
    const session: ReadSession = {
      raw: client,
      async query<R>(sql: string, params: readonly unknown[] = []) {
        const { rows } = await client.query(sql, params as unknown[]);
        return rows as R[];
      },
      async *batches<R>(
        sql: string,
        params: readonly unknown[],
        batchSize = 5_000,
        options: { readonly binary?: boolean } = {},
      ) {
        const name = `replay_cursor_${++cursorCounter}`;
        await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params as unknown[]);
        try {
          for (;;) {
            // Binary results: bytea arrives as the raw bytes (text would be hex, twice the
            // size, parsed back); select other columns as text or int4 when asking for it.
            const fetch = {
              text: `FETCH FORWARD ${batchSize} FROM ${name}`,
              binary: options.binary === true, // a pg option its type definitions lack
            };
            const { rows } = await client.query(fetch as { text: string });
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
