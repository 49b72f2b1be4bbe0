// Ids of orders that are no longer live, so a late cancel/replace gets
// "too late" (CxlRejReason 0) rather than "unknown order" (1). Memory is
// bounded by two generations of `generationSize` terminal transitions: once
// the current one is full it becomes the previous one and the oldest
// generation is forgotten (ADR 031). Purely count-driven, so it is as
// deterministic as the rest.
//
// Every finished order lands here, but only a cancel/replace of an order
// that is not live ever asks. So add() is two sequential writes, and the
// hash index of a generation is brought up to date only when has() needs it:
// a hash-table insert per finished order (a cache miss in a table larger than
// L2) was one of the engine's top costs.

import { hashString } from "./id-hash.ts";
import { IdIndex } from "./id-index.ts";

/** One generation; its arrays grow on demand, so an idle book stays small. */
class Generation {
  readonly ids: string[] = [];
  hashes = new Int32Array(16);
  size = 0;
  /** ids[0..indexed) are in the index. */
  indexed = 0;
  readonly index = new IdIndex(16, 1);

  push(id: string, h: number): void {
    const n = this.size;
    if (n < this.ids.length) this.ids[n] = id;
    else this.ids.push(id);
    if (n === this.hashes.length) {
      const grown = new Int32Array(n * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[n] = h;
    this.size = n + 1;
  }

  has(id: string, h: number): boolean {
    const n = this.size;
    for (let i = this.indexed; i < n; i++) this.index.insert(this.hashes[i]!, i);
    this.indexed = n;
    return this.index.find(id, h, this.ids) >= 0;
  }

  clear(): void {
    this.ids.fill("", 0, this.size);
    this.index.clear();
    this.size = 0;
    this.indexed = 0;
  }
}

export class TerminalIds {
  readonly generationSize: number;
  private current: Generation;
  private previous: Generation;

  constructor(generationSize: number) {
    this.generationSize = generationSize;
    this.current = new Generation();
    this.previous = new Generation();
  }

  /** Records that the order `id` (whose hashString is `h`) became terminal. */
  add(id: string, h: number): void {
    const cur = this.current;
    cur.push(id, h);
    if (cur.size >= this.generationSize) {
      // Reuse the forgotten generation's arrays: no allocation on rotation.
      const old = this.previous;
      old.clear();
      this.previous = cur;
      this.current = old;
    }
  }

  has(id: string): boolean {
    const h = hashString(id);
    return this.current.has(id, h) || this.previous.has(id, h);
  }

  /** Current generation's ids in the order they became terminal. */
  currentKeys(): string[] {
    return this.current.ids.slice(0, this.current.size);
  }

  previousKeys(): string[] {
    return this.previous.ids.slice(0, this.previous.size);
  }

  /** Replaces the contents (snapshot restore); each list must fit its generation. */
  restore(previous: readonly string[], current: readonly string[]): void {
    this.previous.clear();
    this.current.clear();
    for (const [gen, ids] of [
      [this.previous, previous],
      [this.current, current],
    ] as const) {
      for (const id of ids) gen.push(id, hashString(id));
    }
  }
}
