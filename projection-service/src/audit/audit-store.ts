// The audit trail in Postgres: append inside the projection's transaction,
// record digests, verify the whole trail.
import { textColumn, textColumnSql } from "@fxcore/event-store";
import type { PgClient, PgPool } from "@fxcore/infra";
import {
  copyStatement,
  type Read,
  readTogether,
  type Statement,
  sendStatements,
  withLiterals,
} from "../projector/one-round-trip.ts";
import { AUDIT_WRITER_ROLE } from "../store/audit-ddl.ts";
import { AUDIT_COLUMNS, type AuditCandidate, auditCopyRows, chainEvents } from "./audit-records.ts";
import {
  type AuditRecord,
  type BrokenLink,
  type ChainHead,
  merkleRoot,
  verifySegment,
} from "./chain.ts";

export { type AuditCandidate, auditCopyRows } from "./audit-records.ts";

type Queryable = Pick<PgClient, "query">;

export const loadHeads = async (
  db: Queryable,
  pairs?: readonly string[],
): Promise<Map<string, ChainHead>> => (await readTogether(db, [headsRead(pairs)] as const))[0];

/** The chain head of each of `pairs` (all pairs: undefined) that has records. */
export const headsRead = (pairs?: readonly string[]): Read<Map<string, ChainHead>> => ({
  sql:
    pairs?.length === 0
      ? null
      : withLiterals(
          `SELECT DISTINCT ON (pair) pair, chain_seq, hash FROM audit.records
     ${pairs ? "WHERE pair = ANY($1::text[])" : ""} ORDER BY pair, chain_seq DESC`,
          pairs ? [pairs] : [],
        ),
  parse: (rows) =>
    new Map(
      rows.map((r) => [
        r.pair as string,
        { pair: r.pair as string, chainSeq: Number(r.chain_seq), hash: r.hash as Buffer },
      ]),
    ),
});

/** Which of `eventIds` the trail has chained already. */
export const chainedRead = (eventIds: readonly string[]): Read<Set<string>> => ({
  // The trail spans read-model versions: after a rebuild switch the live
  // version may re-project events it already chained. Chain each event once.
  sql: eventIds.length
    ? withLiterals(
        `SELECT event_id FROM audit.records WHERE event_id = ANY(${textColumnSql("$1")})`,
        [textColumn(eventIds)],
      )
    : null,
  parse: (rows) => new Set(rows.map((r) => r.event_id as string)),
});

/**
 * What chaining `events` needs from the table (reads only): the ids already
 * chained and the heads of their pairs. `heads`: chain heads the caller knows
 * to be current (its own earlier batches); other pairs' heads are read. A
 * stale head cannot fork a chain: its next chain_seq is taken, and the
 * primary key fails the insert.
 */
export const auditReads = async (
  db: Queryable,
  events: readonly { readonly pair: string; readonly eventId: string }[],
  heads?: ReadonlyMap<string, ChainHead>,
): Promise<{ chained: ReadonlySet<string>; heads: Map<string, ChainHead> }> => {
  if (events.length === 0) return { chained: new Set(), heads: new Map() };
  const pairs = [...new Set(events.map((e) => e.pair))].filter((p) => !heads?.has(p));
  const [chained, loaded] = await readTogether(db, [
    chainedRead(events.map((e) => e.eventId)),
    headsRead(pairs),
  ] as const);
  return { chained, heads: chainHeadsFor(events, chained, heads, loaded) };
};

/** The head each unchained event's pair continues from: known to the caller, else as read (none: genesis). */
export const chainHeadsFor = (
  events: readonly { readonly pair: string; readonly eventId: string }[],
  chained: ReadonlySet<string>,
  known: ReadonlyMap<string, ChainHead> | undefined,
  loaded: ReadonlyMap<string, ChainHead>,
): Map<string, ChainHead> => {
  const out = new Map<string, ChainHead>();
  for (const e of events) {
    if (chained.has(e.eventId) || out.has(e.pair)) continue;
    const h = known?.get(e.pair) ?? loaded.get(e.pair);
    if (h) out.set(e.pair, h);
  }
  return out;
};

/** The records that append `candidates` to their pairs' chains (nothing is written); see auditReads. */
export const chainAudit = async (
  db: Queryable,
  candidates: readonly AuditCandidate[],
  heads?: ReadonlyMap<string, ChainHead>,
): Promise<AuditRecord[]> => {
  const r = await auditReads(db, candidates, heads);
  return chainEvents(
    r.heads,
    r.chained.size ? candidates.filter((e) => !r.chained.has(e.eventId)) : candidates,
  );
};

/**
 * Inserts chained records (the COPY binary stream from auditCopyRows). Must be
 * the last statement group of the caller's transaction: it switches to the
 * append-only role for the rest of it.
 */
export const writeAuditRows = (tx: Queryable, rows: Buffer): Promise<void> =>
  sendStatements(tx, auditStatements(rows));

/** The statements of writeAuditRows (last in their transaction: they switch the role); none for no rows. */
export const auditStatements = (rows: Buffer): Statement[] =>
  rows.length === 0
    ? []
    : [
        { sql: `SET LOCAL ROLE ${AUDIT_WRITER_ROLE}` },
        // COPY: the cheapest way in for append-only rows (ADR 076).
        copyStatement("audit.records", AUDIT_COLUMNS, rows, true),
      ];

/** Inserts chained records; see writeAuditRows (last statement group). */
export const writeAudit = (tx: Queryable, records: readonly AuditRecord[]): Promise<void> =>
  writeAuditRows(tx, auditCopyRows(records));

/** Chains and inserts in the caller's transaction (see writeAudit: last statement group). */
export const appendAudit = async (
  tx: Queryable,
  candidates: readonly AuditCandidate[],
): Promise<AuditRecord[]> => {
  const records = await chainAudit(tx, candidates);
  await writeAudit(tx, records);
  return records;
};

export interface Digest {
  readonly id: number;
  readonly merkleRoot: Buffer;
  readonly heads: ChainHead[];
}

/** Records the Merkle root over every chain head now. */
export const recordDigest = async (pool: PgPool): Promise<Digest> => {
  const heads = [...(await loadHeads(pool)).values()];
  const root = merkleRoot(heads);
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query(`SET LOCAL ROLE ${AUDIT_WRITER_ROLE}`);
    const { rows } = await client.query<{ id: string }>(
      "INSERT INTO audit.digests (heads, merkle_root) VALUES ($1, $2) RETURNING id",
      [
        JSON.stringify(
          heads.map((h) => ({ pair: h.pair, chainSeq: h.chainSeq, hash: h.hash.toString("hex") })),
        ),
        root,
      ],
    );
    await client.query("COMMIT");
    return { id: Number(rows[0]?.id), merkleRoot: root, heads };
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
};

export type VerifyReport =
  | {
      readonly ok: true;
      readonly records: number;
      readonly pairs: number;
      readonly digests: number;
    }
  | { readonly ok: false; readonly broken: BrokenLink | DigestMismatch };

export interface DigestMismatch {
  readonly digestId: number;
  readonly problem: "DIGEST_ROOT_MISMATCH" | "DIGEST_HEAD_MISMATCH";
  readonly detail: string;
}

/** Re-hashes every chain and checks every digest against the chains; reports the first problem. */
export const verifyAuditTrail = async (
  db: Queryable,
  options: { readonly pairs?: readonly string[]; readonly pageSize?: number } = {},
): Promise<VerifyReport> => {
  const pageSize = options.pageSize ?? 5_000;
  const { rows: allPairs } = await db.query<{ pair: string }>(
    "SELECT DISTINCT pair FROM audit.records ORDER BY pair",
  );
  const pairRows = options.pairs
    ? allPairs.filter((p) => options.pairs?.includes(p.pair))
    : allPairs;
  let count = 0;
  const verifiedHashes = new Map<string, Map<number, string>>();
  for (const { pair } of pairRows) {
    let head: ChainHead | undefined;
    const seen = new Map<number, string>();
    for (;;) {
      const { rows } = await db.query<{
        chain_seq: string;
        event_id: string;
        event_type: string;
        canonical: Buffer;
        prev_hash: Buffer;
        hash: Buffer;
      }>(
        `SELECT chain_seq, event_id, event_type, canonical, prev_hash, hash FROM audit.records
         WHERE pair = $1 AND chain_seq > $2 ORDER BY chain_seq LIMIT $3`,
        [pair, head?.chainSeq ?? 0, pageSize],
      );
      if (rows.length === 0) break;
      const records: AuditRecord[] = rows.map((r) => ({
        pair,
        chainSeq: Number(r.chain_seq),
        eventId: r.event_id,
        eventType: r.event_type,
        canonical: r.canonical,
        prevHash: r.prev_hash,
        hash: r.hash,
      }));
      const v = verifySegment(head, pair, records);
      if (!v.ok) return { ok: false, broken: v.broken };
      for (const r of records) seen.set(r.chainSeq, r.hash.toString("hex"));
      head = v.head;
      count += records.length;
    }
    verifiedHashes.set(pair, seen);
  }
  const { rows: digests } = await db.query<{
    id: string;
    heads: { pair: string; chainSeq: number; hash: string }[];
    merkle_root: Buffer;
  }>("SELECT id, heads, merkle_root FROM audit.digests ORDER BY id");
  for (const d of digests) {
    const heads = d.heads.map((h) => ({
      pair: h.pair,
      chainSeq: h.chainSeq,
      hash: Buffer.from(h.hash, "hex"),
    }));
    if (!merkleRoot(heads).equals(d.merkle_root)) {
      return {
        ok: false,
        broken: {
          digestId: Number(d.id),
          problem: "DIGEST_ROOT_MISMATCH",
          detail: "heads do not hash to the recorded root",
        },
      };
    }
    for (const h of d.heads) {
      if (!verifiedHashes.has(h.pair) && options.pairs) continue;
      if (verifiedHashes.get(h.pair)?.get(h.chainSeq) !== h.hash) {
        return {
          ok: false,
          broken: {
            digestId: Number(d.id),
            problem: "DIGEST_HEAD_MISMATCH",
            detail: `${h.pair}#${h.chainSeq} no longer has the digested hash`,
          },
        };
      }
    }
  }
  return { ok: true, records: count, pairs: pairRows.length, digests: digests.length };
};
