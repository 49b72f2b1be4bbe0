import { createHash } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { SnapshotState } from "@fxcore/domain";
import type { OutgoingRecord } from "@fxcore/infra";
import type { PartitionMatcher } from "./partition-matcher.ts";
import { partitionSnapshotParts, snapshotKey } from "./partition-snapshot.ts";

// Snapshots without pausing the partition and without a second engine (ADR
// 091). At a slice boundary the partition copies its state out of the engines
// (`engine.snapshotState()`: plain values, a few ms); from then on the copy is
// encoded a few thousand orders per event-loop turn between the partition's
// own work, hashed in pieces and gzipped on libuv's pool. The bytes are the
// engine's own snapshot layout (domain/src/matching/snapshot.ts, v1; tested
// equal to `engine.snapshot()`), written with `utf8Write` into one growing
// buffer instead of a TextEncoder call and a copy per string.

const gzipAsync = promisify(gzip);

/** Orders (or ids) encoded per turn: ~1-2 ms of work, so the partition's responses are never held long. */
const ITEMS_PER_TURN = 4_096;
/** Ids moved per turn while merging sorted runs. */
const MERGE_PER_TURN = 16_384;
/** Bytes hashed per turn. */
const HASH_BYTES_PER_TURN = 512 * 1024;

export interface ReadySnapshot {
  /** The snapshot record, or undefined when it was too large for the topic (skipped). */
  readonly record: OutgoingRecord | undefined;
  readonly nextOffset: bigint;
  /** Wall time from capture to record. */
  readonly seconds: number;
}

/** The partition's state at one slice boundary, detached from the engines. */
export interface CapturedState {
  readonly nextOffset: bigint;
  readonly books: ReadonlyArray<{ readonly symbol: string; readonly state: SnapshotState }>;
  readonly recentInputIds: readonly string[];
}

/** Synchronous: call it at the boundary the snapshot must be valid at. */
export function captureState(matcher: PartitionMatcher, nextOffset: bigint): CapturedState {
  return {
    nextOffset,
    books: matcher.books().map(({ symbol, engine }) => ({ symbol, state: engine.snapshotState() })),
    recentInputIds: matcher.recentInputIds(),
  };
}

/**
 * captureState one book per event-loop turn, so no turn holds the whole
 * capture (3-8 ms for the bench's four books, tens of ms on a loaded host).
 * The caller applies nothing to this partition until it resolves: every book
 * is then still at `nextOffset`. Other callbacks (a transaction's responses)
 * run in between.
 */
export async function captureStateInTurns(
  matcher: PartitionMatcher,
  nextOffset: bigint,
): Promise<CapturedState> {
  const books: { symbol: string; state: SnapshotState }[] = [];
  for (const { symbol, engine } of matcher.books()) {
    if (books.length > 0) await nextTurn();
    books.push({ symbol, state: engine.snapshotState() });
  }
  return { nextOffset, books, recentInputIds: matcher.recentInputIds() };
}

/** The snapshot record's value (gzip of the partition snapshot) of a captured state. */
export type CapturedEncoder = (captured: CapturedState) => Promise<Buffer>;

/**
 * The record of a captured state; `encode` (default: in slices on this thread)
 * makes its value. Errors reject.
 */
export async function snapshotInSlices(
  captured: CapturedState,
  options: { inputTopic: string; partition: number; maxBytes: number },
  encode: CapturedEncoder = encodeCapturedInSlices,
): Promise<ReadySnapshot> {
  const started = performance.now();
  const value = await encode(captured);
  return {
    nextOffset: captured.nextOffset,
    seconds: (performance.now() - started) / 1000,
    record:
      value.length > options.maxBytes
        ? undefined
        : {
            key: snapshotKey(options.inputTopic, options.partition),
            value,
            partition: options.partition,
          },
  };
}

/** gzip level 1 on libuv's pool: off the calling thread. */
const gzipOffThread = (bytes: Buffer): Promise<Buffer> => gzipAsync(bytes, { level: 1 });

/** Encodes, hashes and gzips (`compress`, level 1) a captured state a slice at a time. */
export async function encodeCapturedInSlices(
  captured: CapturedState,
  compress: (bytes: Buffer) => Buffer | Promise<Buffer> = gzipOffThread,
): Promise<Buffer> {
  const books: { symbol: string; bytes: Uint8Array }[] = [];
  for (const { symbol, state } of captured.books)
    books.push({ symbol, bytes: await encodeBookInSlices(state) });
  const parts = partitionSnapshotParts({
    nextOffset: captured.nextOffset,
    books,
    recentInputIds: captured.recentInputIds,
  });
  const hash = createHash("sha256");
  for (const part of parts) {
    for (let at = 0; at < part.length; at += HASH_BYTES_PER_TURN) {
      hash.update(part.subarray(at, at + HASH_BYTES_PER_TURN));
      if (part.length > HASH_BYTES_PER_TURN) await nextTurn();
    }
  }
  parts.push(hash.digest());
  return compress(Buffer.concat(parts));
}

const SNAPSHOT_MAGIC = "FXMB";
const SNAPSHOT_VERSION = 1;

/** Growing little-endian writer over one Buffer. */
class Out {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = Buffer.allocUnsafe(cap);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeUInt32LE(v, this.pos);
  }
  f64(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }
  str(s: string): void {
    // At most 3 bytes per UTF-16 unit; the length is patched in after.
    this.ensure(4 + s.length * 3);
    const at = this.pos;
    const n = this.buf.write(s, at + 4, "utf8");
    this.buf.writeUInt32LE(n, at);
    this.pos = at + 4 + n;
  }
}

/**
 * `encodeSnapshot(state)` of domain/src/matching/snapshot.ts, the same bytes,
 * yielding to the event loop every ITEMS_PER_TURN orders or ids.
 */
export async function encodeBookInSlices(state: SnapshotState): Promise<Uint8Array> {
  const w = new Out();
  w.ensure(
    state.orders.length * 96 + (state.terminalPrevious.length + state.terminalCurrent.length) * 40,
  );
  for (let i = 0; i < 4; i++) w.u8(SNAPSHOT_MAGIC.charCodeAt(i));
  w.ensure(2);
  w.pos = w.buf.writeUInt16LE(SNAPSHOT_VERSION, w.pos);
  w.str(state.symbol);
  w.f64(state.seq);
  w.f64(state.nextPrio);
  const orders = state.orders;
  w.u32(orders.length);
  for (let i = 0; i < orders.length; i++) {
    if (i > 0 && i % ITEMS_PER_TURN === 0) await nextTurn();
    const o = orders[i]!;
    w.str(o.orderId);
    w.str(o.clOrdId);
    w.str(o.account);
    w.ensure(4 + 32 + 9);
    const b = w.buf;
    let p = w.pos;
    b[p++] = o.side;
    b[p++] = o.tif;
    b[p++] = o.stp;
    b[p++] = o.postOnly ? 1 : 0;
    p = b.writeDoubleLE(o.price, p);
    p = b.writeDoubleLE(o.qty, p);
    p = b.writeDoubleLE(o.cumQty, p);
    p = b.writeDoubleLE(o.prio, p);
    b[p++] = o.expireTime === null ? 0 : 1;
    p = b.writeBigInt64LE(o.expireTime ?? 0n, p);
    w.pos = p;
  }
  w.u32(state.terminalGeneration);
  for (const ids of [state.terminalPrevious, state.terminalCurrent]) {
    await nextTurn();
    const sorted = await sortInSlices(ids);
    w.u32(sorted.length);
    for (let i = 0; i < sorted.length; i++) {
      if (i > 0 && i % ITEMS_PER_TURN === 0) await nextTurn();
      w.str(sorted[i]!);
    }
  }
  return w.buf.subarray(0, w.pos);
}

/**
 * `ids.slice().sort()` (code-unit order, as the domain's encoder sorts) a
 * bounded amount of work per turn: one sort of a 65,536-id generation took
 * 45-180 ms in one turn, the worst latency of a snapshot's seconds. Runs of
 * ITEMS_PER_TURN ids are sorted natively, then merged pairwise, yielding every
 * MERGE_PER_TURN ids moved.
 */
export async function sortInSlices(ids: readonly string[]): Promise<string[]> {
  const n = ids.length;
  if (n <= ITEMS_PER_TURN) return ids.slice().sort();
  let from: string[] = new Array<string>(n);
  for (let at = 0; at < n; at += ITEMS_PER_TURN) {
    const run = ids.slice(at, at + ITEMS_PER_TURN).sort();
    for (let i = 0; i < run.length; i++) from[at + i] = run[i]!;
    await nextTurn();
  }
  let to: string[] = new Array<string>(n);
  let moved = 0;
  for (let width = ITEMS_PER_TURN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (k < hi) {
        // Equal ids: the left run's first, as a stable sort would.
        if (j >= hi || (i < mid && !(from[j]! < from[i]!))) to[k++] = from[i++]!;
        else to[k++] = from[j++]!;
        if (++moved === MERGE_PER_TURN) {
          moved = 0;
          await nextTurn();
        }
      }
    }
    const t = from;
    from = to;
    to = t;
  }
  return from;
}
