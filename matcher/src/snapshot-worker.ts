import { promisify } from "node:util";
import { parentPort, workerData } from "node:worker_threads";
import { gzip } from "node:zlib";
import { REFERENCE_CATALOG } from "@fxcore/domain";
import { createSerde } from "@fxcore/schemas";
import { createMatcherCodec } from "./matcher-codec.ts";
import { PartitionMatcher } from "./partition-matcher.ts";
import { encodePartitionSnapshot } from "./partition-snapshot.ts";

// The snapshot thread of one partition (see background-snapshots.ts): a second
// PartitionMatcher fed the same applied inputs in the same order, so its books
// are the partition's books at every slice boundary; it takes the snapshots
// (engine encode, partition encode, gzip) while the partition keeps answering.

export interface SnapshotWorkerInit {
  readonly registryUrl: string | undefined;
  readonly outputTopic: string;
  readonly inputTopic: string;
  readonly partition: number;
  readonly maxBytes: number;
  readonly books: ReadonlyArray<{ symbol: string; bytes: Uint8Array }>;
  readonly recentInputIds: readonly string[];
}

export type SnapshotWorkerRequest =
  /** Applied inputs, each a u32 length and the record value. */
  | { readonly kind: "inputs"; readonly bytes: Uint8Array }
  | { readonly kind: "snapshot"; readonly nextOffset: bigint };

export type SnapshotWorkerReply =
  | {
      readonly kind: "snapshot";
      readonly nextOffset: bigint;
      /** gzip'd record value, or null when too large for the topic. */
      readonly value: Uint8Array | null;
      readonly seconds: number;
    }
  | { readonly kind: "booted" }
  | { readonly kind: "failed"; readonly reason: string };

const init = workerData as SnapshotWorkerInit;
const gzipAsync = promisify(gzip);
const port = parentPort;
if (port === null) throw new Error("snapshot-worker.ts runs as a worker thread");

const serde = createSerde({ registryUrl: init.registryUrl ?? "http://unused.invalid" });
const codec = createMatcherCodec({
  serde,
  outputTopic: init.outputTopic,
  registryUrl: init.registryUrl,
});
// Standby for every pair: the same state, no output envelopes to build.
const matcher = new PartitionMatcher({
  catalog: REFERENCE_CATALOG,
  writerEpoch: 0,
  homePairs: new Set(),
});
const problem = matcher.restore(init.books, init.recentInputIds);

async function handle(req: SnapshotWorkerRequest): Promise<void> {
  if (req.kind === "inputs") {
    const buf = Buffer.from(req.bytes.buffer, req.bytes.byteOffset, req.bytes.byteLength);
    for (let at = 0; at < buf.length; ) {
      const len = buf.readUInt32BE(at);
      const value = buf.subarray(at + 4, at + 4 + len);
      at += 4 + len;
      const decoded = codec.decode(value) ?? (await codec.decodeSlow(value));
      if (!decoded.ok) throw new Error(`input the partition applied does not decode here`);
      matcher.apply(decoded.value);
    }
    return;
  }
  const started = performance.now();
  // As snapshotRecord (snapshot-store.ts) does, without loading the Kafka shell here.
  const gzipped = await gzipAsync(
    encodePartitionSnapshot({
      nextOffset: req.nextOffset,
      books: matcher.books().map(({ symbol, engine }) => ({ symbol, bytes: engine.snapshot() })),
      recentInputIds: matcher.recentInputIds(),
    }),
    { level: 1 },
  );
  const value = gzipped.length > init.maxBytes ? null : gzipped;
  const reply: SnapshotWorkerReply = {
    kind: "snapshot",
    nextOffset: req.nextOffset,
    value,
    seconds: (performance.now() - started) / 1000,
  };
  port!.postMessage(reply);
}

port.postMessage({ kind: "booted" } satisfies SnapshotWorkerReply);

// Requests are handled strictly in order (a slow decode awaits the registry).
let queue: Promise<void> =
  problem === undefined ? Promise.resolve() : Promise.reject(new Error(problem));
let failed = false;
port.on("message", (req: SnapshotWorkerRequest) => {
  queue = queue.then(() => handle(req));
  queue.catch((err: unknown) => {
    if (failed) return;
    failed = true;
    const reply: SnapshotWorkerReply = {
      kind: "failed",
      reason: err instanceof Error ? err.message : String(err),
    };
    port.postMessage(reply);
    port.close();
  });
});
