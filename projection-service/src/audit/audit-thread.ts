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

/**
 * A job as posted: events read by the compiled reader travel as their framed
 * Avro records, back to back in one transferred buffer, and are read again
 * on the thread (a copy of bytes instead of a structured clone of each
 * event's objects on the consumer's thread); the rest are cloned.
 */
export interface WireJob {
  readonly heads: readonly WireHead[];
  /** Per event: its record's length in `records`, or -1: the next of `cloned`. */
  readonly lengths: Int32Array;
  /** The payload type of each event sent as a record, in order. */
  readonly types: readonly string[];
  readonly records: ArrayBuffer;
  readonly cloned: readonly {
    readonly eventId: string;
    readonly event: AuditJob["events"][number]["event"];
  }[];
}

/** The job's events and records as posted (records copied into one buffer to transfer). */
export const wireEvents = (events: AuditJob["events"]): Omit<WireJob, "heads"> => {
  const lengths = new Int32Array(events.length);
  const types: string[] = [];
  const cloned: { eventId: string; event: AuditJob["events"][number]["event"] }[] = [];
  let total = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as AuditJob["events"][number];
    if (e.record === undefined) {
      lengths[i] = -1;
      cloned.push({ eventId: e.eventId, event: e.event });
    } else {
      lengths[i] = e.record.length;
      types.push(e.event.type);
      total += e.record.length;
    }
  }
  const records = new ArrayBuffer(total);
  const into = Buffer.from(records);
  let at = 0;
  for (const e of events) if (e.record !== undefined) at += e.record.copy(into, at);
  return { lengths, types, records, cloned };
};

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
    run: async (job: AuditJob) => {
      const wire = wireEvents(job.events);
      return thread.run(
        {
          // Hashes as tight copies: a Buffer's clone carries its whole ArrayBuffer.
          heads: job.heads.map((h) => ({ ...h, hash: Uint8Array.from(h.hash) })),
          ...wire,
        },
        [wire.records],
      );
    },
    close: () => thread.close(),
  };
};
