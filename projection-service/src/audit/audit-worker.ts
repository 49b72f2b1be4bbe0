// Entry of the audit thread (audit-thread.ts): runs each batch's audit job
// (canonical bytes, SHA-256 chain, COPY stream) off the consumer's event loop.
import { parentPort } from "node:worker_threads";
import { type AuditJob, runAuditJob } from "./audit-records.ts";
import type { ChainHead } from "./chain.ts";

/** Structured clone turns a Buffer into a plain Uint8Array: the chain needs Buffers. */
const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

parentPort?.on("message", (m: { id: number; job: AuditJob }) => {
  try {
    const r = runAuditJob({
      events: m.job.events,
      heads: m.job.heads.map((h): ChainHead => ({ ...h, hash: asBuffer(h.hash) })),
    });
    // A tight copy to transfer: the stream may share its ArrayBuffer with others.
    const rows = new ArrayBuffer(r.rows.byteLength);
    r.rows.copy(new Uint8Array(rows));
    const heads = r.heads.map((h) => ({ ...h, hash: Uint8Array.from(h.hash) }));
    parentPort?.postMessage({ id: m.id, ok: true, rows, records: r.records, heads }, [rows]);
  } catch (err) {
    parentPort?.postMessage({ id: m.id, ok: false, error: String(err) });
  }
});
