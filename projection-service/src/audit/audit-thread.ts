// The live consumer's audit thread (ADR 079): a batch's canonical bytes,
// SHA-256 chain and COPY stream are built on a worker thread while the
// consumer's own thread projects the read models, so the two run on both
// cores. Jobs are answered in order; a thread that fails or exits fails the
// jobs it held (the batch fails and the consumer resyncs) and the next job
// starts a new one.
import { Worker } from "node:worker_threads";
import type { AuditJob, AuditJobResult, AuditRunner } from "./audit-records.ts";
import type { ChainHead } from "./chain.ts";

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly rows?: ArrayBuffer;
  readonly records?: number;
  readonly heads?: readonly ChainHead[];
}

export interface AuditThread {
  readonly run: AuditRunner;
  close(): Promise<void>;
}

export const startAuditThread = (): AuditThread => {
  let worker: Worker | undefined;
  let nextId = 0;
  const waiting = new Map<
    number,
    { resolve: (r: AuditJobResult) => void; reject: (e: Error) => void }
  >();
  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const spawn = (): Worker => {
    const w = new Worker(new URL("./audit-worker.ts", import.meta.url));
    // It never keeps the process alive: the consumer closes it on stop.
    w.unref();
    w.on("message", (m: Reply) => {
      const p = waiting.get(m.id);
      if (!p) return;
      waiting.delete(m.id);
      if (!m.ok || !m.rows) return p.reject(new Error(`audit thread: ${m.error}`));
      p.resolve({
        rows: Buffer.from(m.rows),
        records: m.records ?? 0,
        heads: (m.heads ?? []).map((h) => ({
          ...h,
          hash: Buffer.from(h.hash.buffer, h.hash.byteOffset, h.hash.byteLength),
        })),
      });
    });
    const gone = (err: Error) => {
      if (worker === w) worker = undefined;
      failAll(err);
    };
    w.on("error", gone);
    w.on("exit", (code) => gone(new Error(`audit thread exited (${code})`)));
    return w;
  };
  return {
    run: (job: AuditJob) =>
      new Promise<AuditJobResult>((resolve, reject) => {
        worker ??= spawn();
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        try {
          // Hashes as tight copies: a Buffer's clone carries its whole ArrayBuffer.
          const heads = job.heads.map((h) => ({ ...h, hash: Uint8Array.from(h.hash) }));
          worker.postMessage({ id, job: { heads, events: job.events } });
        } catch (err) {
          waiting.delete(id);
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }),
    async close() {
      const w = worker;
      worker = undefined;
      failAll(new Error("audit thread closed"));
      if (w) await w.terminate();
    },
  };
};
