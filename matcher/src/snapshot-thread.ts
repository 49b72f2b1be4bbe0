import { Worker } from "node:worker_threads";
import type { CapturedEncoder } from "./snapshot-in-slices.ts";
import { packCapturedState, transferablesOf } from "./snapshot-transfer.ts";

// Snapshots encoded on a worker thread (ADR 103): the partition's thread
// captures the state at the boundary and packs it (a long string and typed
// arrays per book); the thread encodes, hashes and gzips it on the other
// core, so the partition's inputs no longer queue behind ~0.2-0.3 s of
// encoding. A thread that fails or exits fails the jobs it held (the snapshot
// is skipped this time, as any failed snapshot) and the next job starts a new one.

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly value?: Uint8Array;
  readonly error?: string;
}

export interface SnapshotThread {
  /** Encodes a captured state on the thread; the snapshot record's value. */
  readonly encode: CapturedEncoder;
  close(): Promise<void>;
}

export function startSnapshotThread(): SnapshotThread {
  let worker: Worker | undefined;
  let nextId = 0;
  const waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const spawn = (): Worker => {
    const w = new Worker(new URL("./snapshot-worker.ts", import.meta.url));
    // Never keeps the process alive; stop() closes it.
    w.unref();
    w.on("message", (m: Reply) => {
      const p = waiting.get(m.id);
      if (p === undefined) return;
      waiting.delete(m.id);
      if (!m.ok || m.value === undefined) p.reject(new Error(`snapshot thread: ${m.error}`));
      else p.resolve(Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength));
    });
    const gone = (err: Error) => {
      if (worker === w) worker = undefined;
      failAll(err);
    };
    w.on("error", gone);
    w.on("exit", (code) => gone(new Error(`snapshot thread exited (${code})`)));
    return w;
  };
  // Started now: its start-up (module loading) is not in a snapshot's time.
  worker = spawn();
  return {
    async encode(captured) {
      const packed = await packCapturedState(captured);
      return new Promise<Buffer>((resolve, reject) => {
        worker ??= spawn();
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        try {
          worker.postMessage({ id, packed }, transferablesOf(packed));
        } catch (err) {
          waiting.delete(id);
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    },
    async close() {
      const w = worker;
      worker = undefined;
      failAll(new Error("snapshot thread closed"));
      if (w !== undefined) await w.terminate();
    },
  };
}
