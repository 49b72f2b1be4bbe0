import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { gzipSync } from "node:zlib";
import { encodeCapturedInSlices } from "./snapshot-in-slices.ts";
import { type PackedState, unpackCapturedState } from "./snapshot-transfer.ts";

// The snapshot thread's side (ADR 103): a packed captured state in, the
// snapshot record's value (gzipped partition snapshot) out, by the same
// encoder the partition's thread used before, tested equal to the engine's.

interface Job {
  readonly id: number;
  readonly packed: PackedState;
}

const port = parentPort;
if (port === null) throw new Error("snapshot-worker.ts runs as a worker thread");

/**
 * This thread's nice value (per thread on Linux): a snapshot is not urgent (it
 * rides in a later transaction), the partition's thread and the broker are,
 * and on two cores they share a core with this one.
 */
const SNAPSHOT_THREAD_NICE = 10;
try {
  // "<pid>/task/<tid>": setpriority(2) on a thread id sets that thread's nice.
  const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, SNAPSHOT_THREAD_NICE);
} catch {
  // Not Linux, or not allowed: run at the process's priority.
}

// gzip on this thread (sync): libuv's pool runs at the process's priority.
const compress = (bytes: Buffer): Buffer => gzipSync(bytes, { level: 1 });

port.on("message", (job: Job) => {
  encodeCapturedInSlices(unpackCapturedState(job.packed), compress).then(
    (value) => {
      // A tight copy, moved: the gzip result may share a larger buffer.
      const bytes = Uint8Array.from(value);
      port.postMessage({ id: job.id, ok: true, value: bytes }, [bytes.buffer]);
    },
    (err: unknown) => {
      port.postMessage({ id: job.id, ok: false, error: String(err) });
    },
  );
});
