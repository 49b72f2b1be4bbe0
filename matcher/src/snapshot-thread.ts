import { startJobThread } from "@fxcore/infra/threads";
import type { CapturedEncoder } from "./snapshot-in-slices.ts";
import { type PackedState, packCapturedState, transferablesOf } from "./snapshot-transfer.ts";

// Snapshots encoded on a worker thread (ADR 103): the partition's thread
// captures the state at the boundary and packs it (a long string and typed
// arrays per book); the thread encodes, hashes and gzips it on the other
// core, so the partition's inputs no longer queue behind ~0.2-0.3 s of
// encoding. A thread that fails or exits fails the jobs it held (the snapshot
// is skipped this time, as any failed snapshot) and the next job starts a new one.

export interface SnapshotThread {
  /** Encodes a captured state on the thread; the snapshot record's value. */
  readonly encode: CapturedEncoder;
  close(): Promise<void>;
}

export function startSnapshotThread(): SnapshotThread {
  const thread = startJobThread<PackedState, Uint8Array, Buffer>(
    "snapshot",
    new URL("./snapshot-worker.ts", import.meta.url),
    (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength),
    // Started now: its start-up (module loading) is not in a snapshot's time.
    { startNow: true },
  );
  // Bumped by close: an encode begun before it fails like a job the thread held.
  let closes = 0;
  return {
    async encode(captured) {
      const seen = closes;
      const packed = await packCapturedState(captured);
      if (seen !== closes) throw new Error("snapshot thread closed");
      return thread.run(packed, transferablesOf(packed));
    },
    close: () => {
      closes++;
      return thread.close();
    },
  };
}
