// Entry of the audit thread (audit-thread.ts): runs each batch's audit job
// (canonical bytes, SHA-256 chain, COPY stream) off the consumer's event loop.
import type { DomainEvent } from "@fxcore/domain";
import { serveJobs } from "@fxcore/infra/threads";
import { compiledReaders, loadCatalog } from "@fxcore/schemas";
import { type AuditJob, runAuditJob } from "./audit-records.ts";
import { asBuffer, type WireJob, type WireResult } from "./audit-thread.ts";

// The consumer's compiled reader read these records (writer = current reader
// schema), so the current schemas' codecs read them to the same events.
const codecOf = compiledReaders(loadCatalog()).codecOf;
const FRAME = 5;

/** The job's events: records read again, the rest as cloned, in the job's order. */
const eventsOf = (job: WireJob): AuditJob["events"] => {
  const records = Buffer.from(job.records);
  const events: { eventId: string; event: DomainEvent }[] = [];
  let at = 0;
  let typeAt = 0;
  let clonedAt = 0;
  for (const length of job.lengths) {
    if (length < 0) {
      const c = job.cloned[clonedAt++];
      if (c === undefined) throw new Error("audit job: fewer cloned events than listed");
      events.push(c);
      continue;
    }
    const type = job.types[typeAt++];
    const envelope =
      type === undefined
        ? undefined
        : codecOf(type)?.read(records.subarray(at, at + length), FRAME);
    if (envelope === undefined) throw new Error(`audit job: a ${type} record did not read again`);
    events.push({ eventId: envelope.meta.eventId, event: envelope.payload as DomainEvent });
    at += length;
  }
  return events;
};

serveJobs(
  (job: WireJob): WireResult => {
    const r = runAuditJob({
      events: eventsOf(job),
      heads: job.heads.map((h) => ({ ...h, hash: asBuffer(h.hash) })),
    });
    // A tight copy to transfer: the stream may share its ArrayBuffer with others.
    const rows = new ArrayBuffer(r.rows.byteLength);
    r.rows.copy(new Uint8Array(rows));
    const heads = r.heads.map((h) => ({ ...h, hash: Uint8Array.from(h.hash) }));
    return { rows, records: r.records, heads };
  },
  (r) => [r.rows],
);
