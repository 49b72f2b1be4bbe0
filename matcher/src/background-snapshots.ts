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
// partition goes on. The finished record rides in a later transaction, whose
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

export function startBackgroundSnapshots(
  init: SnapshotWorkerInit,
  onFailure: (reason: string) => void,
): BackgroundSnapshots {
  const worker = new Worker(new URL("./snapshot-worker.ts", import.meta.url), { workerData: init });
  worker.unref();
  let ready: ReadySnapshot | undefined;
  let failure: string | undefined;
  let closed = false;
  const fail = (reason: string) => {
    if (failure !== undefined || closed) return;
    failure = reason;
    onFailure(reason);
    void worker.terminate();
  };
  worker.on("message", (reply: SnapshotWorkerReply) => {
    if (reply.kind === "failed") return fail(reply.reason);
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
  });
  worker.on("error", (err) => fail(err.message));
  worker.on("exit", (code) => {
    if (!closed) fail(`snapshot thread exited (${code})`);
  });
  const post = (req: SnapshotWorkerRequest, transfer?: ArrayBuffer[]) => {
    if (failure === undefined && !closed) worker.postMessage(req, transfer);
  };
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
      post({ kind: "inputs", bytes: buf }, [buf.buffer as ArrayBuffer]);
    },
    request(nextOffset) {
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
      void worker.terminate();
    },
  };
}
