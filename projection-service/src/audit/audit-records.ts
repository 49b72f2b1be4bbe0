// A batch's audit records without the database (pure): canonical bytes, the
// per-pair hash chains and their COPY stream. The live consumer runs this on
// its audit thread (ADR 079), a rebuild or a test in its own thread: the same
// function either way.
import type { DomainEvent } from "@fxcore/domain";
import { pairOf } from "../models/envelope.ts";
import { BinaryCopyRows } from "../projector/copy-binary.ts";
import { type AuditRecord, type ChainHead, canonicalBytes, extendChain } from "./chain.ts";

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
): AuditRecord[] => {
  const byPair = new Map<string, AuditCandidate[]>();
  for (const e of events) {
    const list = byPair.get(e.pair);
    if (list) list.push(e);
    else byPair.set(e.pair, [e]);
  }
  return [...byPair].flatMap(([pair, es]) => extendChain(heads.get(pair), pair, es));
};

/**
 * Chained records as a COPY binary stream for audit.records (encoded ahead of
 * the transaction): canonical bytes and hashes go in as they are (ADR 078).
 */
export const auditCopyRows = (records: readonly AuditRecord[]): Buffer => {
  const out = new BinaryCopyRows();
  for (const r of records)
    out
      .row(AUDIT_COLUMNS.length)
      .text(r.pair)
      .int8(r.chainSeq)
      .text(r.eventId)
      .text(r.eventType)
      .bytea(r.canonical)
      .bytea(r.prevHash)
      .bytea(r.hash);
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

export type AuditRunner = (job: AuditJob) => Promise<AuditJobResult>;

/** Canonical bytes of each event (ADR 072: `{ eventId, event }`), chained from the job's heads. */
export const runAuditJob = (job: AuditJob): AuditJobResult => {
  const records = chainEvents(
    new Map(job.heads.map((h) => [h.pair, h])),
    job.events.map((e) => ({
      pair: pairOf(e.event),
      eventId: e.eventId,
      eventType: e.event.type,
      canonical: canonicalBytes({ eventId: e.eventId, event: e.event }),
    })),
  );
  const last = new Map<string, ChainHead>();
  for (const r of records) last.set(r.pair, { pair: r.pair, chainSeq: r.chainSeq, hash: r.hash });
  return { rows: auditCopyRows(records), records: records.length, heads: [...last.values()] };
};

/** The job in the caller's thread. */
export const auditInThread: AuditRunner = async (job) => runAuditJob(job);
