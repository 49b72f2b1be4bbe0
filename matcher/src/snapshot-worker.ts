import { parentPort } from "node:worker_threads";
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

port.on("message", (job: Job) => {
  encodeCapturedInSlices(unpackCapturedState(job.packed)).then(
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
