// The live consumer's audit thread (ADR 079): a batch's canonical bytes,
// SHA-256 chain and COPY stream are built on a worker thread while the
// consumer's own thread projects the read models, so the two run on both
// cores. Jobs are answered in order; a thread that fails or exits fails the
// jobs it held (the batch fails and the consumer resyncs) and the next job
// starts a new one.
import { startJobThread } from "@fxcore/infra/threads";
import type { AuditJob, AuditJobResult, AuditRunner } from "./audit-records.ts";
import type { ChainHead } from "./chain.ts";

/** A chain head as structured clone carries it: the hash as a plain Uint8Array. */
export type WireHead = Omit<ChainHead, "hash"> & { readonly hash: Uint8Array };

export interface WireJob {
  readonly heads: readonly WireHead[];
  readonly events: AuditJob["events"];
}

export interface WireResult {
  readonly rows: ArrayBuffer;
  readonly records: number;
  readonly heads: readonly WireHead[];
}

/** Structured clone turns a Buffer into a plain Uint8Array: the chain needs Buffers. */
export const asBuffer = (u: Uint8Array): Buffer =>
  Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export interface AuditThread {
  readonly run: AuditRunner;
  close(): Promise<void>;
}

export const startAuditThread = (): AuditThread => {
  const thread = startJobThread<WireJob, WireResult, AuditJobResult>(
    "audit",
    new URL("./audit-worker.ts", import.meta.url),
    (r) => ({
      rows: Buffer.from(r.rows),
      records: r.records,
      heads: r.heads.map((h) => ({ ...h, hash: asBuffer(h.hash) })),
    }),
  );
  return {
    // async: a job that cannot be cloned rejects instead of throwing.
    run: async (job: AuditJob) =>
      thread.run({
        // Hashes as tight copies: a Buffer's clone carries its whole ArrayBuffer.
        heads: job.heads.map((h) => ({ ...h, hash: Uint8Array.from(h.hash) })),
        events: job.events,
      }),
    close: () => thread.close(),
  };
};
