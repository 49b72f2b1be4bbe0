// Entry of the audit thread (audit-thread.ts): runs each batch's audit job
// (canonical bytes, SHA-256 chain, COPY stream) off the consumer's event loop.
import { serveJobs } from "@fxcore/infra/threads";
import { runAuditJob } from "./audit-records.ts";
import { asBuffer, type WireJob, type WireResult } from "./audit-thread.ts";

serveJobs(
  (job: WireJob): WireResult => {
    const r = runAuditJob({
      events: job.events,
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
