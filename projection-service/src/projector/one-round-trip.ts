// A batch's statements in one round trip (ADR 110): one simple-query message
// holding every statement (parameters written in as literals), followed at
// once by the data of each COPY … FROM STDIN in it. Postgres runs them back to
// back without waiting for this process: the batch's write no longer needs an
// event-loop turn per statement while the consumer's thread is busy
// projecting the next batch. On the first error Postgres skips the rest of
// the message and drops the COPY data still to come (protocol: "any
// subsequent CopyData, CopyDone, or CopyFail messages ... will simply be
// dropped"); the caller rolls back.
import { createHash } from "node:crypto";
import type { PgClient, PgPool } from "@fxcore/infra";

/**
 * One statement; `copyData`: it is a COPY … FROM STDIN and these are its
 * bytes (text lines or a binary stream); `prepare`: `sql` EXECUTEs this
 * named statement, PREPAREd in the same message on a connection that does
 * not hold it yet (a statement planned once per connection, not per batch).
 */
export interface Statement {
  readonly sql: string;
  readonly copyData?: Buffer;
  readonly prepare?: { readonly name: string; readonly text: string };
}

/** A COPY of pre-encoded rows (text lines, or with `binary` a COPY binary stream). */
export const copyStatement = (
  table: string,
  columns: readonly string[],
  data: Buffer,
  binary = false,
): Statement => ({
  sql: `COPY ${table} (${columns.join(", ")}) FROM STDIN${binary ? " (FORMAT binary)" : ""}`,
  copyData: data,
});

export type SqlValue = string | number | bigint | boolean | null | undefined;

const quote = (s: string): string =>
  s.includes("\\")
    ? ` E'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`
    : `'${s.replace(/'/g, "''")}'`;

const arrayElement = (v: SqlValue): string =>
  v === null || v === undefined
    ? "NULL"
    : typeof v === "string"
      ? `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`
      : String(v);

/**
 * A value as an SQL literal, of the type context gives it (as an untyped
 * parameter would be): strings quoted, arrays as array literals, null NULL.
 */
export const sqlLiteral = (v: SqlValue | readonly SqlValue[]): string => {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "string") return quote(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
    return `'${v}'`;
  }
  if (typeof v === "bigint") return `'${v}'`;
  if (typeof v === "boolean") return v ? "'t'" : "'f'";
  let out = "{";
  for (let i = 0; i < v.length; i++) out += (i ? "," : "") + arrayElement(v[i]);
  return quote(`${out}}`);
};

/** `text` with each $n replaced by the literal of values[n − 1]. */
export const withLiterals = (text: string, values: readonly (SqlValue | readonly SqlValue[])[]) =>
  text.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i >= values.length) throw new RangeError(`no value for $${n}`);
    return sqlLiteral(values[i]);
  });

const names = new Map<string, string>();
/** A server-side statement name per text (the same text, the same name, in every process). */
const nameOf = (text: string): string => {
  let name = names.get(text);
  if (name === undefined) {
    name = `fx_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
};

/**
 * `text` (parameters $1 … $n, their types from casts or context) as a
 * prepared statement executed with `values` written in as literals: Postgres
 * parses and plans it once per connection instead of once per batch (about
 * half of a small upsert's CPU).
 */
export const preparedStatement = (
  text: string,
  values: readonly (SqlValue | readonly SqlValue[])[],
): Statement => {
  const name = nameOf(text);
  let args = "";
  for (let i = 0; i < values.length; i++) args += (i ? ", " : "") + sqlLiteral(values[i]);
  return { sql: `EXECUTE ${name}(${args})`, prepare: { name, text } };
};

/** Names of the statements each connection holds (as far as this process knows). */
const preparedOn = new WeakMap<object, Set<string>>();
/** Connections whose last message failed: what they hold is read from the server before the next one. */
const unsure = new WeakSet<object>();

/**
 * The statements of one message: the PREPAREs the connection lacks, each
 * before its first use, then each statement; `results[i]`: where the i-th
 * statement's result is among the message's results (a PREPARE has one too).
 */
const messageOf = async (
  client: Pick<PgClient, "query">,
  list: readonly Statement[],
): Promise<{ text: string; results: number[] }> => {
  if (unsure.has(client)) {
    // Not inside a failed transaction: the caller has rolled back by now.
    const { rows } = await client.query<{ name: string }>(
      "SELECT name FROM pg_prepared_statements",
    );
    preparedOn.set(client, new Set(rows.map((r) => r.name)));
    unsure.delete(client);
  }
  const held = preparedOn.get(client);
  const parts: string[] = [];
  const results: number[] = [];
  const added = new Set<string>();
  for (const s of list) {
    const p = s.prepare;
    if (p && !held?.has(p.name) && !added.has(p.name)) {
      parts.push(`PREPARE ${p.name} AS ${p.text}`);
      added.add(p.name);
    }
    results.push(parts.length);
    parts.push(s.sql);
  }
  return { text: parts.join(";\n"), results };
};

const sentOn = (client: object, list: readonly Statement[], ok: boolean) => {
  if (!ok) {
    // A failed message may have prepared some of its statements, or none.
    preparedOn.delete(client);
    unsure.add(client);
    return;
  }
  const held = preparedOn.get(client) ?? new Set<string>();
  preparedOn.set(client, held);
  for (const s of list) if (s.prepare) held.add(s.prepare.name);
};

const COPY_DATA = 0x64;
const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4]);
const QUERY = 0x51;

const header = (code: number, bodyLength: number): Buffer => {
  const h = Buffer.allocUnsafe(5);
  h[0] = code;
  h.writeUInt32BE(bodyLength + 4, 1);
  return h;
};

interface Connection {
  readonly stream: {
    cork(): void;
    uncork(): void;
    write(b: Buffer): boolean;
  };
}

/**
 * Sends `statements` as one round trip on `client` and resolves when
 * Postgres is ready again; rejects with the first error (the statements
 * after it did not run). Include BEGIN … COMMIT to make it a transaction;
 * inside the caller's transaction an error leaves that transaction failed.
 */
export const sendStatements = async (
  client: Pick<PgClient, "query">,
  statements: readonly Statement[],
): Promise<void> => {
  const list = statements.filter((s) => s.copyData === undefined || s.copyData.length > 0);
  if (list.length === 0) return;
  for (const s of list)
    if (s.sql.includes("\0")) throw new RangeError("a statement holds a NUL character");
  const text = Buffer.from(`${(await messageOf(client, list)).text}\0`, "utf8");
  const sent = new Promise<void>((resolve, reject) => {
    // A custom query for node-pg (as pg-copy-streams is): it writes the
    // messages itself and is told of each reply. pg drops it on the first
    // error, so that settles it; otherwise ReadyForQuery does.
    const query = {
      submit(connection: Connection) {
        const out = connection.stream;
        out.cork();
        out.write(header(QUERY, text.length));
        out.write(text);
        for (const s of list) {
          if (s.copyData === undefined) continue;
          out.write(header(COPY_DATA, s.copyData.length));
          out.write(s.copyData);
          out.write(COPY_DONE);
        }
        out.uncork();
      },
      handleError: (err: Error) => reject(err),
      handleReadyForQuery: () => resolve(),
      handleCommandComplete() {},
      handleCopyInResponse() {},
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
      handleCopyData() {},
    };
    (client.query as unknown as (q: typeof query) => void)(query);
  });
  return sent.then(
    () => sentOn(client, list, true),
    (err: unknown) => {
      sentOn(client, list, false);
      throw err;
    },
  );
};

/**
 * For the message it opens (its transaction, or a reads message's implicit
 * one): the planner prices an index probe as the cached page it is. With the
 * default 4 it hash-joined or scanned whole tables for a batch's hundred keys
 * (orders, processed events) on the fresh tables of a new version or a
 * bench: Postgres CPU per 150-event batch 15 → 8 ms (with the order UPDATE
 * planned per batch).
 */
const CACHED_DATA: Statement = { sql: "SET LOCAL random_page_cost = 1.1" };

/**
 * `statements` as one transaction in one round trip on a client of `pool`
 * (BEGIN … COMMIT in the message); rolled back on any error.
 */
export const transactionInOneRoundTrip = async (
  pool: PgPool,
  statements: readonly Statement[],
): Promise<void> => {
  const client = await pool.connect();
  try {
    await sendStatements(client, [{ sql: "BEGIN" }, CACHED_DATA, ...statements, { sql: "COMMIT" }]);
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
};

/** A read: its SQL (literals written in; null: nothing to read) and what its rows become. */
export interface Read<T> {
  /** The statement (a prepared one's EXECUTE included); null: nothing to read. */
  readonly sql: string | Statement | null;
  readonly parse: (rows: readonly Record<string, unknown>[]) => T;
}

type ReadResults<T extends readonly Read<unknown>[]> = {
  -readonly [K in keyof T]: T[K] extends Read<infer R> ? R : never;
};

/**
 * Runs `reads` in one round trip (one simple-query message) on `db` (a
 * client, or one taken from a pool for it); their results in order.
 */
export const readTogether = async <const T extends readonly Read<unknown>[]>(
  db: Pick<PgClient, "query"> | PgPool,
  reads: T,
): Promise<ReadResults<T>> => {
  const list: Statement[] = [CACHED_DATA];
  const skip = 1;
  for (const r of reads)
    if (r.sql !== null) list.push(typeof r.sql === "string" ? { sql: r.sql } : r.sql);
  let out: { rows: Record<string, unknown>[] }[] = [];
  if (list.length > skip) {
    // Prepared statements belong to a connection: hold one for the message.
    const pooled = "connect" in db && !("release" in db);
    const client: Pick<PgClient, "query"> & { release?: () => void } = pooled
      ? await (db as PgPool).connect()
      : db;
    try {
      const { text, results } = await messageOf(client, list);
      let answer: unknown;
      try {
        answer = await (client.query as unknown as (text: string) => Promise<unknown>)(text);
      } catch (err) {
        sentOn(client, list, false);
        throw err;
      }
      sentOn(client, list, true);
      // node-pg answers a one-statement query with a result, a longer one with a list.
      const all = (Array.isArray(answer) ? answer : [answer]) as typeof out;
      out = results.map((i) => all[i] ?? { rows: [] });
    } finally {
      if (pooled) client.release?.();
    }
  }
  let at = skip;
  return reads.map((r) => r.parse(r.sql === null ? [] : (out[at++]?.rows ?? []))) as ReadResults<T>;
};
