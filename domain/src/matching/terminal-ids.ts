// Ids of orders that are no longer live, so a late cancel/replace gets
// "too late" (CxlRejReason 0) rather than "unknown order" (1). Memory is
// bounded by two generations of `generationSize` ids: once the current one is
// full it becomes the previous one and the oldest generation is forgotten
// (ADR 031). Purely count-driven, so it is as deterministic as the rest.

import { hashString, StringTable } from "./string-table.ts";

export class TerminalIds {
  readonly generationSize: number;
  current: StringTable;
  previous: StringTable;

  constructor(generationSize: number) {
    this.generationSize = generationSize;
    // Tables start small and grow to the generation size once, then are reused.
    this.current = new StringTable();
    this.previous = new StringTable();
  }

  add(id: string): void {
    this.addHashed(id, hashString(id));
  }

  addHashed(id: string, h: number): void {
    const cur = this.current;
    cur.setHashed(id, h, 0);
    if (cur.size >= this.generationSize) {
      // Reuse the forgotten generation's table: no allocation on rotation.
      const old = this.previous;
      old.clear();
      this.previous = cur;
      this.current = old;
    }
  }

  has(id: string): boolean {
    const h = hashString(id);
    return this.current.hasHashed(id, h) || this.previous.hasHashed(id, h);
  }
}
