// A batch's audit records without the database (pure): canonical bytes, the
// per-pair hash chains and their COPY stream. The consumer runs this on its
// own thread while it prepares a batch (ADR 124: a worker thread cost more
// CPU in clones and its own warm-up than the job itself); a rebuild or a test
// the same way.
import type { DomainEvent } from "@fxcore/domain";
import { pairOf } from "../models/envelope.ts";
import { BinaryCopyRows } from "../projector/copy-binary.ts";
import {
  type AuditRecord,
  type ChainHead,
  ChainCursor,
  canonicalBytes,
  extendChain,
} from "./chain.ts";

export interface AuditCandidate {
  readonly pair: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly canonical: Buffer;
}

export const AUDIT_COLUMNS = [
  "pair",
  "chain_seq",
  "event_id",
  "event_type",
  "canonical",
  "prev_hash",
  "hash",
] as const;

/** The records that append `events` to their pairs' chains, from `heads` (absent: empty chain). */
export const chainEvents = (
  heads: ReadonlyMap<string, ChainHead>,
  events: readonly AuditCandidate[],
): AuditRecord[] =>
  [...byPair(events, (e) => e.pair)].flatMap(([pair, es]) =>
    extendChain(heads.get(pair), pair, es),
  );

/** Items grouped by pair, each group in input order, groups in order of first appearance (the records' order). */
const byPair = <T>(items: readonly T[], pairOfItem: (item: T) => string): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const pair = pairOfItem(item);
    const list = out.get(pair);
    if (list) list.push(item);
    else out.set(pair, [item]);
  }
  return out;
};

/** One audit.records row into a COPY binary stream, in AUDIT_COLUMNS order. */
const writeAuditRow = (
  out: BinaryCopyRows,
  pair: string,
  chainSeq: number,
  eventId: string,
  eventType: string,
  canonical: Buffer,
  prevHash: Buffer,
  hash: Buffer,
): void => {
  out
    .row(AUDIT_COLUMNS.length)
    .text(pair)
    .int8(chainSeq)
    .text(eventId)
    .text(eventType)
    .bytea(canonical)
    .bytea(prevHash)
    .bytea(hash);
};

/**
 * Chained records as a COPY binary stream for audit.records (encoded ahead of
 * the transaction): canonical bytes and hashes go in as they are (ADR 078).
 */
export const auditCopyRows = (records: readonly AuditRecord[]): Buffer => {
  const out = new BinaryCopyRows();
  for (const r of records)
    writeAuditRow(out, r.pair, r.chainSeq, r.eventId, r.eventType, r.canonical, r.prevHash, r.hash);
  return out.finish();
};

/** A batch's events to chain (none already chained) and the heads of their pairs. */
export interface AuditJob {
  readonly heads: readonly ChainHead[];
  readonly events: readonly { readonly eventId: string; readonly event: DomainEvent }[];
}

export interface AuditJobResult {
  /** The COPY binary stream of the records (empty when there are none). */
  readonly rows: Buffer;
  readonly records: number;
  /** The last record's head of each pair the job extended. */
  readonly heads: readonly ChainHead[];
}

/**
 * Canonical bytes of each event (ADR 072: `{ eventId, event }`), chained from
 * the job's heads: the same records in the same order as chainEvents then
 * auditCopyRows, written straight into the COPY stream (no record objects).
 */
export const runAuditJob = (job: AuditJob): AuditJobResult => {
  const out = new BinaryCopyRows();
  const heads: ChainHead[] = [];
  for (const [pair, events] of byPair(job.events, (e) => pairOf(e.event))) {
    const chain = new ChainCursor(job.heads.find((h) => h.pair === pair));
    for (const e of events) {
      const canonical = canonicalBytes({ eventId: e.eventId, event: e.event });
      const prev = chain.next(canonical);
      writeAuditRow(out, pair, chain.seq, e.eventId, e.event.type, canonical, prev, chain.hash);
    }
    heads.push({ pair, chainSeq: chain.seq, hash: chain.hash });
  }
  return { rows: out.finish(), records: job.events.length, heads };
};
