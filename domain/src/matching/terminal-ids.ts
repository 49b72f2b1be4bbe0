// Ids of orders that are no longer live, so a late cancel/replace gets
// "too late" (CxlRejReason 0) rather than "unknown order" (1). Memory is
// bounded by two generations of `generationSize` ids: once the current one is
// full it becomes the previous one and the oldest generation is forgotten
// (ADR 031). Purely count-driven, so it is as deterministic as the rest.
//
// Inserting one id is a cache miss in a table that does not fit in L2, paid
// on every finished order. So ids are queued and inserted in batches, after
// one pass that only loads their buckets (independent loads the CPU overlaps).
// Queued ids are flushed, in arrival order and with the rotation check after
// each, before any read: what has() answers and where a generation ends are
// exactly as unbatched (the property test compares with the plain rule).

import { hashString, StringSet } from "./string-set.ts";

const BATCH = 32;

export class TerminalIds {
  readonly generationSize: number;
  current = new StringSet();
  previous = new StringSet();
  private readonly queuedIds: string[] = new Array<string>(BATCH).fill("");
  private readonly queuedHashes = new Int32Array(BATCH);
  private queued = 0;

  constructor(generationSize: number) {
    this.generationSize = generationSize;
  }

  /** Records a terminal id whose hashString is `h`. */
  add(id: string, h: number): void {
    const n = this.queued;
    this.queuedIds[n] = id;
    this.queuedHashes[n] = h;
    this.queued = n + 1;
    if (n + 1 === BATCH) this.flush();
  }

  has(id: string): boolean {
    this.flush();
    const h = hashString(id);
    return this.current.has(id, h) || this.previous.has(id, h);
  }

  /** Inserts the queued ids, in arrival order. */
  flush(): void {
    const n = this.queued;
    if (n === 0) return;
    this.queued = 0;
    this.current.touch(this.queuedHashes, n);
    const ids = this.queuedIds;
    for (let i = 0; i < n; i++) {
      this.addNow(ids[i]!, this.queuedHashes[i]!);
      ids[i] = "";
    }
  }

  /** Current generation's ids in insertion order (queued ones included). */
  currentKeys(): string[] {
    this.flush();
    return this.current.keyList();
  }

  previousKeys(): string[] {
    this.flush();
    return this.previous.keyList();
  }

  private addNow(id: string, h: number): void {
    const cur = this.current;
    cur.add(id, h);
    if (cur.size >= this.generationSize) {
      // Reuse the forgotten generation's set: no allocation on rotation.
      const old = this.previous;
      old.clear();
      this.previous = cur;
      this.current = old;
    }
  }
}
