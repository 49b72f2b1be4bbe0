// Ids of orders that are no longer live, so a late cancel/replace gets
// "too late" (CxlRejReason 0) rather than "unknown order" (1). Memory is
// bounded by two generations of `generationSize` ids: once the current one is
// full it becomes the previous one and the oldest generation is forgotten
// (ADR 031). Purely count-driven, so it is as deterministic as the rest.

export class TerminalIds {
  readonly generationSize: number;
  current = new Set<string>();
  previous = new Set<string>();

  constructor(generationSize: number) {
    this.generationSize = generationSize;
  }

  add(id: string): void {
    const cur = this.current;
    cur.add(id);
    if (cur.size >= this.generationSize) {
      this.previous = cur;
      this.current = new Set();
    }
  }

  has(id: string): boolean {
    return this.current.has(id) || this.previous.has(id);
  }
}
