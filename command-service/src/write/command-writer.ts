// Group commit (ADR 054): commands arriving while a batch is being written
// queue up and go together in the next transaction. One transaction claims
// each command's ClOrdID, appends its events with their outbox rows, and
// commits; every command still gets its own outcome.
import {
  type AppendItem,
  type AppendResult,
  textColumnSql as col,
  forgetSentParams,
  isUniqueViolation,
  type PostgresEventStore,
  TextColumns,
} from "@fxcore/event-store";
import { type PgClient, type PgPool, setPipelineMode } from "@fxcore/infra";
import { storedAnswerJson } from "../commands/answer-json.ts";
import type { DueExpiry } from "../session-clock/due-ticks.ts";
import { recordExpiries } from "../session-clock/pending-expiries.ts";

/** The ClOrdID claim written with a command's events (table cs_client_order_ids). */
export interface Claim {
  readonly account: string;
  readonly clOrdId: string;
  /** Hash of the request as the client sent it: a resend must match it exactly. */
  readonly requestHash: string;
  readonly kind: "PLACE" | "CANCEL" | "REPLACE";
  readonly orderId: string | null;
  /** The event whose global position answers a resend. */
  readonly eventId: string;
  /**
   * The answer's report as JSON text. The claim stores the answer
   * storedAnswerJson(reportJson, orderId), made only when its row is written
   * (not held while the command waits for its transaction), and repeats it
   * as-is to a resend.
   */
  readonly reportJson: string;
}

export interface WriteRequest {
  readonly claim: Claim;
  readonly append: AppendItem;
  /** An accepted order that can expire: recorded for the session clock in the same transaction. */
  readonly expiry?: DueExpiry;
}

export interface ExistingClaim {
  readonly requestHash: string;
  /** The id of the event the claim was written with. */
  readonly eventId: string;
  readonly response: unknown;
  readonly globalPosition: bigint | null;
}

export type WriteOutcome =
  | { readonly type: "Written"; readonly globalPosition: bigint }
  /** The account used this ClOrdID before (or a concurrent request just did). */
  | { readonly type: "ClOrdIdTaken"; readonly existing: ExistingClaim }
  /** The order stream moved since the command was decided: decide again. */
  | { readonly type: "StreamConflict" };

/** Postgres cannot be reached or gave up on the transaction: nothing was written, retrying is safe. */
export class StoreUnavailable extends Error {
  constructor(cause: unknown) {
    super(`event store unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = "StoreUnavailable";
  }
}

// SQLSTATE classes that mean "the database, not the request": connection
// exceptions (08), insufficient resources (53), prerequisite state (55: e.g.
// the database does not accept connections), operator intervention (57), plus
// serialization failure / deadlock (40), which a retry resolves.
const UNAVAILABLE_CLASSES = new Set(["08", "40", "53", "55", "57"]);
/** Does this error mean Postgres is unreachable or refused the transaction (not a bug, not bad input)? */
export const isUnavailable = (e: unknown): boolean => {
  if (e instanceof StoreUnavailable) return true;
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code))
    return UNAVAILABLE_CLASSES.has(code.slice(0, 2));
  // Socket-level failures from the driver carry errno codes (ECONNREFUSED ...) or none.
  if (typeof code === "string") return /^E[A-Z]+$/.test(code);
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    (e as Error)?.message ?? "",
  );
};

/** Where the outcomes of one call (write: one command; writeAll: its group) go. */
interface Sink {
  resolve(index: number, o: WriteOutcome): void;
  reject(e: unknown): void;
}

/** A queued command: its request and its place in its call's answer (no closures per command). */
class Pending {
  readonly request: WriteRequest;
  readonly #sink: Sink;
  readonly #index: number;
  constructor(request: WriteRequest, sink: Sink, index: number) {
    this.request = request;
    this.#sink = sink;
    this.#index = index;
  }
  resolve(o: WriteOutcome): void {
    this.#sink.resolve(this.#index, o);
  }
  reject(e: unknown): void {
    this.#sink.reject(e);
  }
}

/** The outcomes of a group, delivered together once all are known; the first failure fails the group. */
class GroupSink implements Sink {
  readonly #outcomes: WriteOutcome[];
  #left: number;
  #settled = false;
  readonly #done: (o: WriteOutcome[]) => void;
  readonly #fail: (e: unknown) => void;
  constructor(size: number, done: (o: WriteOutcome[]) => void, fail: (e: unknown) => void) {
    this.#outcomes = new Array<WriteOutcome>(size);
    this.#left = size;
    this.#done = done;
    this.#fail = fail;
  }
  resolve(index: number, o: WriteOutcome): void {
    this.#outcomes[index] = o;
    if (--this.#left === 0 && !this.#settled) {
      this.#settled = true;
      this.#done(this.#outcomes);
    }
  }
  reject(e: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#fail(e);
  }
}

export interface CommandWriterOptions {
  /** Most commands in one transaction. */
  readonly maxBatch?: number;
  /** Transactions in flight at once (each holds a pool connection). */
  readonly concurrency?: number;
  /**
   * While a transaction is in flight, the next one starts only once this many
   * commands wait (or when the in-flight one ends): under load batches grow
   * instead of splitting the stream into many small transactions (ADR 054).
   */
  readonly minBusyBatch?: number;
  /** Observes each committed batch's size (for metrics). */
  readonly onBatch?: (size: number, ms: number) => void;
}

/** The socket under a pooled client (node-postgres keeps it as connection.stream). */
interface Corkable {
  cork(): void;
  uncork(): void;
}
const socketOf = (client: PgClient): Corkable | undefined => {
  const stream = (client as unknown as { connection?: { stream?: Partial<Corkable> } }).connection
    ?.stream;
  return typeof stream?.cork === "function" && typeof stream.uncork === "function"
    ? (stream as Corkable)
    : undefined;
};

/**
 * Holds a client's writes while a transaction's pipelined statements are
 * queued, and sends them as ONE socket write when released (node-postgres
 * writes each statement on its own otherwise: a syscall, and on loopback the
 * kernel's delivery to Postgres, per statement). Release before any await:
 * nothing queued reaches Postgres while held. Releasing twice is harmless.
 */
class HeldWrites {
  readonly #socket: Corkable | undefined;
  #held: boolean;
  constructor(client: PgClient) {
    this.#socket = socketOf(client);
    this.#socket?.cork();
    this.#held = this.#socket !== undefined;
  }
  send(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#socket?.uncork();
  }
}

/** Claims every ClOrdID of a batch that is still free; returns those it took. */
const claimSql = (strict: boolean) => `
INSERT INTO cs_client_order_ids (account, cl_ord_id, request_hash, kind, order_id, event_id, response)
SELECT a, c, h, k, o, e, r
FROM unnest(${col("$1")}, ${col("$2")}, ${col("$3")}, ${col("$4")}, ${col("$5")}, ${col("$6", "uuid")}, ${col("$7")})
     AS t(a, c, h, k, o, e, r)
${strict ? "" : "ON CONFLICT DO NOTHING RETURNING account, cl_ord_id"}`;
const CLAIM = { name: "fxcore_cs_claim_v2", text: claimSql(false) } as const;
/** Strict: every claim is new or the statement fails with the unique violation (no probes, no rows back). */
const CLAIM_STRICT = { name: "fxcore_cs_claim_strict_v1", text: claimSql(true) } as const;

/** What one transaction wrote: winners with their append results; losers lost their claim. */
interface Written {
  readonly winners: Pending[];
  readonly results: readonly AppendResult[];
  readonly losers: Pending[];
}

/**
 * Waits for statements sent back to back on one connection. The first that
 * failed, in the order sent, is the error: those after it only saw the
 * aborted transaction (a COMMIT after a failure answers ROLLBACK, no error).
 */
async function inOrder<T extends readonly unknown[]>(
  ...sent: { [K in keyof T]: Promise<T[K]> }
): Promise<T> {
  const settled = await Promise.allSettled(sent);
  const values: unknown[] = [];
  for (const s of settled) {
    if (s.status === "rejected") throw s.reason;
    values.push(s.value);
  }
  return values as unknown as T;
}

const newStreamOfOne = (p: Pending): boolean =>
  p.request.append.expected === "no-stream" && p.request.append.events.length === 1;

const claimKey = (c: Claim): string => `${c.account}\u0000${c.clOrdId}`;

/** The claim statement's parameters: one text column per field (built apart, so no builder outlives them). */
const claimParams = (candidates: readonly [string, Pending][]): string[] => {
  const columns = new TextColumns(7);
  for (const [, p] of candidates) {
    const c = p.request.claim;
    columns.add(0, c.account);
    columns.add(1, c.clOrdId);
    columns.add(2, c.requestHash);
    columns.add(3, c.kind);
    columns.add(4, c.orderId);
    columns.add(5, c.eventId);
    // Made by the answer JSON functions: JSON text, no raw control characters.
    columns.addJson(6, storedAnswerJson(c.reportJson, c.orderId));
  }
  return [...columns.columns()];
};

export class CommandWriter {
  readonly #pool: PgPool;
  readonly #store: PostgresEventStore;
  readonly #maxBatch: number;
  readonly #concurrency: number;
  readonly #minBusyBatch: number;
  readonly #onBatch: ((size: number, ms: number) => void) | undefined;
  /** Groups of commands that share a transaction (write: a group of one). */
  #queue: Pending[][] = [];
  #queued = 0;
  #inFlight = 0;
  #scheduled = false;

  constructor(pool: PgPool, store: PostgresEventStore, options: CommandWriterOptions = {}) {
    this.#pool = pool;
    this.#store = store;
    this.#maxBatch = options.maxBatch ?? 512;
    this.#concurrency = options.concurrency ?? 4;
    this.#minBusyBatch = Math.min(options.minBusyBatch ?? 256, this.#maxBatch);
    this.#onBatch = options.onBatch;
  }

  write(request: WriteRequest): Promise<WriteOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push([new Pending(request, { resolve: (_, o) => resolve(o), reject }, 0)]);
      this.#queued++;
      this.#schedule();
    });
  }

  /**
   * Several commands that go in ONE transaction together (an order batch):
   * never split across transactions, each still gets its own outcome. A
   * thrown error (store unavailable) fails them all: nothing was written.
   */
  writeAll(requests: readonly WriteRequest[]): Promise<WriteOutcome[]> {
    if (requests.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const sink = new GroupSink(requests.length, resolve, reject);
      const group = new Array<Pending>(requests.length);
      for (let i = 0; i < requests.length; i++)
        group[i] = new Pending(requests[i] as WriteRequest, sink, i);
      this.#queue.push(group);
      this.#queued += group.length;
      this.#schedule();
    });
  }

  /** Another transaction may start now: a free slot, and work worth it. */
  #ready(): boolean {
    return (
      this.#inFlight < this.#concurrency &&
      this.#queued > 0 &&
      (this.#inFlight === 0 || this.#queued >= this.#minBusyBatch)
    );
  }

  /** Whole groups, up to maxBatch commands (a larger group goes alone). */
  #take(): Pending[] {
    const batch: Pending[] = [];
    let groups = 0;
    for (const group of this.#queue) {
      if (batch.length > 0 && batch.length + group.length > this.#maxBatch) break;
      for (const p of group) batch.push(p);
      groups++;
    }
    this.#queue.splice(0, groups);
    this.#queued -= batch.length;
    return batch;
  }

  #schedule(): void {
    if (this.#scheduled || !this.#ready()) return;
    this.#scheduled = true;
    // Let the current tick's requests join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      while (this.#ready()) {
        const batch = this.#take();
        this.#inFlight++;
        const started = performance.now();
        this.#flush(batch)
          .then(() => this.#onBatch?.(batch.length, performance.now() - started))
          .finally(() => {
            this.#inFlight--;
            this.#schedule();
          });
      }
    });
  }

  async #flush(batch: readonly Pending[]): Promise<void> {
    // Two requests with one ClOrdID in a batch: the first goes, the other is a resend or a duplicate.
    const first = new Map<string, Pending>();
    const later: Pending[] = [];
    for (const p of batch) {
      const k = claimKey(p.request.claim);
      if (first.has(k)) later.push(p);
      else first.set(k, p);
    }
    // One lock order for all writers: claims sorted by key.
    const candidates = [...first.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    let written: Written;
    try {
      // Strict first (plain INSERTs of claims and events); a ClOrdID taken
      // before (a resend) or a lost race for a revision aborts it, and the
      // batch is redone with the tolerant statements.
      written = await this.#transact(candidates, true).catch((e: unknown) =>
        isUniqueViolation(e) ? this.#transact(candidates, false) : Promise.reject(e),
      );
    } catch (e) {
      const failure = isUnavailable(e) ? new StoreUnavailable(e) : e;
      for (const p of batch) p.reject(failure);
      return;
    }
    const { winners, results, losers } = written;
    if (results.some((r) => r.ok)) this.#store.notifyAppended();
    winners.forEach((p, i) => {
      const r = results[i];
      if (r?.ok) p.resolve({ type: "Written", globalPosition: r.value.globalPositions[0] ?? -1n });
      else p.resolve({ type: "StreamConflict" });
    });
    losers.push(...later);
    if (losers.length > 0) await this.#answerLosers(losers);
  }

  /** One transaction: claims, the winners' events + outbox rows, pending expiries; committed. */
  async #transact(candidates: readonly [string, Pending][], strict: boolean): Promise<Written> {
    const client = await this.#pool.connect();
    // Pipeline mode for this transaction (ADR 108): each statement goes out
    // when it is queued, not when the answer to the one before has been read,
    // which waits for a turn of this event loop, busy parsing requests.
    setPipelineMode(client, true);
    const held = new HeldWrites(client);
    let broken: Error | undefined;
    try {
      // Durable whatever the server default: the answer promises the command is stored.
      const begun = client.query("BEGIN; SET LOCAL synchronous_commit TO on");
      const claims = claimParams(candidates);
      const claiming = client.query<{ account: string; cl_ord_id: string }>({
        ...(strict ? CLAIM_STRICT : CLAIM),
        values: claims,
      });
      // Sent (pipeline mode): the column texts need not wait for the answer.
      forgetSentParams(client, claims);
      const winners: Pending[] = [];
      const losers: Pending[] = [];
      let results: readonly AppendResult[];
      if (strict) {
        // Every claim is taken or the statement fails, and with it the
        // transaction: the appends go right behind the claims.
        for (const [, p] of candidates) winners.push(p);
        const appending = this.#store.appendBatch(
          winners.map((p) => p.request.append),
          { via: client, strict },
        );
        if (winners.every(newStreamOfOne)) {
          // New streams of one event each (place orders): every one is
          // written or the append fails, so nothing is left to decide before
          // the COMMIT; it goes out too. After a failed statement it only
          // rolls back, and the failure is what inOrder throws.
          const expiries: DueExpiry[] = [];
          for (const p of winners)
            if (p.request.expiry !== undefined) expiries.push(p.request.expiry);
          const recording = recordExpiries(client, expiries);
          const committing = client.query("COMMIT");
          held.send();
          [, , results] = await inOrder(begun, claiming, appending, recording, committing);
          if (!results.every((r) => r.ok)) throw new Error("new-stream append reported a conflict");
          return { winners, results, losers };
        }
        held.send();
        [, , results] = await inOrder(begun, claiming, appending);
      } else {
        held.send();
        const [, inserted] = await inOrder(begun, claiming);
        if (inserted.rows.length === candidates.length)
          for (const [, p] of candidates) winners.push(p);
        else {
          const claimed = new Set(inserted.rows.map((r) => `${r.account}\u0000${r.cl_ord_id}`));
          for (const [k, p] of candidates) (claimed.has(k) ? winners : losers).push(p);
        }
        results =
          winners.length === 0
            ? []
            : await this.#store.appendBatch(
                winners.map((p) => p.request.append),
                { via: client, strict },
              );
      }
      const conflicted = winners.filter((_, i) => !results[i]?.ok);
      if (conflicted.length > 0) {
        // Free their ClOrdIDs again: the command was not written.
        await client.query(
          `DELETE FROM cs_client_order_ids c USING unnest($1::text[], $2::text[]) AS t(a, o)
           WHERE c.account = t.a AND c.cl_ord_id = t.o`,
          [
            conflicted.map((p) => p.request.claim.account),
            conflicted.map((p) => p.request.claim.clOrdId),
          ],
        );
      }
      const expiries: DueExpiry[] = [];
      for (let i = 0; i < winners.length; i++) {
        const expiry = (winners[i] as Pending).request.expiry;
        if (expiry !== undefined && results[i]?.ok) expiries.push(expiry);
      }
      await inOrder(recordExpiries(client, expiries), client.query("COMMIT"));
      return { winners, results, losers };
    } catch (e) {
      held.send();
      await client.query("ROLLBACK").catch(() => {});
      // A lost connection is discarded by the pool, not handed out again.
      if (isUnavailable(e)) broken = e as Error;
      throw e;
    } finally {
      setPipelineMode(client, false);
      client.release(broken);
    }
  }

  /** After commit: the claims that beat ours are visible now. */
  async #answerLosers(losers: readonly Pending[]): Promise<void> {
    try {
      const { rows } = await this.#pool.query<{
        account: string;
        cl_ord_id: string;
        request_hash: string;
        response: string;
        global_position: string | null;
        event_id: string;
      }>(
        `SELECT c.account, c.cl_ord_id, c.request_hash, c.response, c.event_id, e.global_position
         FROM unnest($1::text[], $2::text[]) AS t(a, o)
         JOIN cs_client_order_ids c ON c.account = t.a AND c.cl_ord_id = t.o
         LEFT JOIN es_events e ON e.event_id = c.event_id`,
        [losers.map((p) => p.request.claim.account), losers.map((p) => p.request.claim.clOrdId)],
      );
      const byKey = new Map(rows.map((r) => [`${r.account}\u0000${r.cl_ord_id}`, r]));
      for (const p of losers) {
        const r = byKey.get(claimKey(p.request.claim));
        // The winner was itself rolled back (its stream conflicted): try again.
        if (r === undefined) p.resolve({ type: "StreamConflict" });
        else
          p.resolve({
            type: "ClOrdIdTaken",
            existing: {
              requestHash: r.request_hash,
              eventId: r.event_id,
              response: JSON.parse(r.response),
              globalPosition: r.global_position === null ? null : BigInt(r.global_position),
            },
          });
      }
    } catch (e) {
      const failure = isUnavailable(e) ? new StoreUnavailable(e) : e;
      for (const p of losers) p.reject(failure);
    }
  }

  /** Looks up an earlier command by its ClOrdID (for status and cancel/replace targets). */
  async findClaim(
    account: string,
    clOrdId: string,
  ): Promise<(ExistingClaim & { orderId: string | null; kind: string }) | null> {
    try {
      const { rows } = await this.#pool.query<{
        request_hash: string;
        response: string;
        global_position: string | null;
        order_id: string | null;
        kind: string;
        event_id: string;
      }>(
        `SELECT c.request_hash, c.response, c.order_id, c.kind, c.event_id, e.global_position
         FROM cs_client_order_ids c LEFT JOIN es_events e ON e.event_id = c.event_id
         WHERE c.account = $1 AND c.cl_ord_id = $2`,
        [account, clOrdId],
      );
      const r = rows[0];
      if (r === undefined) return null;
      return {
        requestHash: r.request_hash,
        eventId: r.event_id,
        response: JSON.parse(r.response),
        globalPosition: r.global_position === null ? null : BigInt(r.global_position),
        orderId: r.order_id,
        kind: r.kind,
      };
    } catch (e) {
      throw isUnavailable(e) ? new StoreUnavailable(e) : e;
    }
  }
}
