// Ids of orders that are no longer live, so a late cancel/replace gets
// "too late" (CxlRejReason 0) rather than "unknown order" (1). Memory is
// bounded by two generations of `generationSize` ids: once the current one is
// full it becomes the previous one and the oldest generation is forgotten
// (ADR 031). Purely count-driven, so it is as deterministic as the rest.

import { hashString, StringSet } from "./string-set.ts";

export class TerminalIds {
  readonly generationSize: number;
  current = new StringSet();
  previous = new StringSet();

  constructor(generationSize: number) {
    this.generationSize = generationSize;
  }

  /** Records a terminal id whose hashString is `h`. */
  add(id: string, h: number): void {
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

  has(id: string): boolean {
    const h = hashString(id);
    return this.current.has(id, h) || this.previous.has(id, h);
  }
}
