import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { gzipSync } from "node:zlib";
import { serveJobs } from "@fxcore/infra/threads";
import { encodeCapturedInSlices } from "./snapshot-in-slices.ts";
import { type PackedState, unpackCapturedState } from "./snapshot-transfer.ts";

// The snapshot thread's side (ADR 103): a packed captured state in, the
// snapshot record's value (gzipped partition snapshot) out, by the same
// encoder the partition's thread used before, tested equal to the engine's.

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

serveJobs(
  async (packed: PackedState) =>
    // A tight copy, moved: the gzip result may share a larger buffer.
    Uint8Array.from(await encodeCapturedInSlices(unpackCapturedState(packed), compress)),
  (bytes) => [bytes.buffer],
);
