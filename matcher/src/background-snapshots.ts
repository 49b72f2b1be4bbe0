import { Worker } from "node:worker_threads";
import type { OutgoingRecord } from "@fxcore/infra";
import type {
  SnapshotWorkerInit,
  SnapshotWorkerReply,
  SnapshotWorkerRequest,
} from "./snapshot-worker.ts";
import { snapshotKey } from "./snapshot-store.ts";

// Snapshots without pausing the partition. A deep book's snapshot costs
// 100+ ms of encoding; taken inline it stalls every input behind it (the
// latency p99). Instead a worker thread keeps a second copy of the partition's
// state, fed the same applied inputs in the same order (the engine is
// deterministic), and encodes the snapshot valid at a slice boundary while the
// partition goes on. The thread is fed once per slice (one transferred
// buffer), so its work (~5 µs per input) is spread out rather than a burst at
// each snapshot that would starve the broker on a small box; inputs wait here
// only until it has booted. The finished record rides in a later transaction, whose
// committed offset is at or past the snapshot's: a snapshot is still never
// ahead of the committed offset (ADR 003), so recovery is unchanged.

export interface ReadySnapshot {
  /** The snapshot record, or undefined when it was too large for the topic (skipped). */
  readonly record: OutgoingRecord | undefined;
  readonly nextOffset: bigint;
  readonly seconds: number;
}

export interface BackgroundSnapshots {
  /** Values of inputs the partition applied (decoded fine), in order, for one slice. */
  add(values: readonly Buffer[]): void;
  /** Asks for the snapshot valid after everything added so far; it arrives through `take`. */
  request(nextOffset: bigint): void;
  /** The latest finished snapshot, once. */
  take(): ReadySnapshot | undefined;
  /** Set when the thread failed: snapshots must be taken inline from now on. */
  readonly failure: string | undefined;
  close(): void;
}

/** Inputs held while the thread boots before they are handed over anyway (its queue holds them then). */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

export function startBackgroundSnapshots(
  init: SnapshotWorkerInit,
  onFailure: (reason: string) => void,
): BackgroundSnapshots {
  let worker: Worker | undefined;
  let booted = false;
  /** Applied inputs not yet handed to the thread, one buffer per slice. */
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let ready: ReadySnapshot | undefined;
  let failure: string | undefined;
  let closed = false;
  const fail = (reason: string) => {
    if (failure !== undefined || closed) return;
    failure = reason;
    pending = [];
    pendingBytes = 0;
    onFailure(reason);
    void worker?.terminate();
  };
  const onReply = (reply: SnapshotWorkerReply) => {
    if (reply.kind === "failed") return fail(reply.reason);
    if (reply.kind === "booted") {
      booted = true;
      return;
    }
    ready = {
      nextOffset: reply.nextOffset,
      seconds: reply.seconds,
      record:
        reply.value === null
          ? undefined
          : {
              key: snapshotKey(init.inputTopic, init.partition),
              value: Buffer.from(
                reply.value.buffer,
                reply.value.byteOffset,
                reply.value.byteLength,
              ),
              partition: init.partition,
            },
    };
  };
  const start = (): Worker => {
    const w = new Worker(new URL("./snapshot-worker.ts", import.meta.url), { workerData: init });
    w.unref();
    w.on("message", onReply);
    w.on("error", (err) => fail(err.message));
    w.on("exit", (code) => {
      if (!closed) fail(`snapshot thread exited (${code})`);
    });
    return w;
  };
  const post = (req: SnapshotWorkerRequest, transfer?: ArrayBuffer[]) => {
    if (failure !== undefined || closed) return;
    worker ??= start();
    worker.postMessage(req, transfer);
  };
  const flush = () => {
    for (const buf of pending) post({ kind: "inputs", bytes: buf }, [buf.buffer as ArrayBuffer]);
    pending = [];
    pendingBytes = 0;
  };
  worker = start();
  return {
    add(values) {
      if (values.length === 0) return;
      let size = 0;
      for (const v of values) size += 4 + v.length;
      // Its own ArrayBuffer, handed over without a copy.
      const buf = Buffer.from(new ArrayBuffer(size));
      let at = 0;
      for (const v of values) {
        buf.writeUInt32BE(v.length, at);
        at += 4 + v.copy(buf, at + 4);
      }
      if (failure !== undefined || closed) return;
      pending.push(buf);
      pendingBytes += size;
      if (booted || pendingBytes > MAX_PENDING_BYTES) flush();
    },
    request(nextOffset) {
      flush();
      post({ kind: "snapshot", nextOffset });
    },
    take() {
      const r = ready;
      ready = undefined;
      return r;
    },
    get failure() {
      return failure;
    },
    close() {
      closed = true;
      pending = [];
      pendingBytes = 0;
      void worker?.terminate();
    },
  };
}
