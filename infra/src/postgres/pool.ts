import pg from "pg";

// The one way services get a Postgres connection pool.

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

export interface PgPoolOptions {
  readonly connectionString: string;
  /** Shown in pg_stat_activity; use the service name. */
  readonly applicationName: string;
  readonly max?: number;
  readonly statementTimeoutMs?: number;
  readonly idleInTransactionTimeoutMs?: number;
}

export function createPgPool(options: PgPoolOptions): PgPool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    application_name: options.applicationName,
    max: options.max ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    // Also set server-side; repeated per session so a pool on any server is bounded.
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 60_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  return pool;
}

/**
 * Switches node-postgres's pipeline mode on a pooled client, for one
 * transaction (ADR 108): each query goes out when it is queued. pg takes
 * `pipeline` as a client option and reads the property at each query;
 * switching it afterwards is not documented, so command-service's
 * `writer-overlap.it` test guards it across pg upgrades. Switch it off again
 * before the client goes back to the pool.
 */
export function setPipelineMode(client: PgClient, on: boolean): void {
  (client as unknown as { pipeline: boolean }).pipeline = on;
}

/** Runs `fn` in one transaction: COMMIT on success, ROLLBACK on any throw. */
export async function withTransaction<T>(
  pool: PgPool,
  fn: (client: PgClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
