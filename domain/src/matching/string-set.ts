// Hashing of order ids, and an append-only string set for the terminal ids
// (ADR 030/031). Keys are appended densely in insertion order (sequential
// writes); an open-addressing table of [hash, key index] pairs over one typed
// array finds them, comparing a string only when the cached hash matches.
// No deletion: a generation is dropped whole with clear().
//
// FNV-1a is unseeded. That is fine here: order ids are minted by the command
// side, not chosen by clients, so nobody can aim collisions at the table.

const EMPTY = -1;

export function hashString(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

export class StringSet {
  /** Keys in insertion order; keys[0..size) are live. */
  private keys: string[] = [];
  /** table[2i] = hash, table[2i + 1] = index into keys, or EMPTY. */
  private table = new Int32Array(0);
  private mask = 0;
  size = 0;
  /** Keeps touch()'s loads observable so the compiler cannot drop them. */
  sink = 0;

  constructor() {
    this.table = emptyTable(16);
    this.mask = 15;
  }

  /** Adds `key` (whose hashString is `h`) unless present. */
  add(key: string, h: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const t = this.table;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const k = t[2 * i + 1]!;
      if (k === EMPTY) break;
      if (t[2 * i] === h && this.keys[k] === key) return;
      i = (i + 1) & mask;
    }
    t[2 * i] = h;
    t[2 * i + 1] = this.size;
    if (this.size < this.keys.length) this.keys[this.size] = key;
    else this.keys.push(key);
    this.size++;
  }

  has(key: string, h: number): boolean {
    const t = this.table;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const k = t[2 * i + 1]!;
      if (k === EMPTY) return false;
      if (t[2 * i] === h && this.keys[k] === key) return true;
      i = (i + 1) & mask;
    }
  }

  /**
   * Loads the home buckets of `n` hashes and nothing else: independent loads
   * the CPU can overlap, so the inserts that follow find them in cache.
   * (A capacity that is about to double is not worth chasing.)
   */
  touch(hashes: Int32Array, n: number): number {
    const t = this.table;
    const mask = this.mask;
    let acc = 0;
    for (let i = 0; i < n; i++) acc |= t[2 * (hashes[i]! & mask) + 1]!;
    this.sink = acc;
    return acc;
  }

  /** Empties the set, keeping its capacity for the next generation. */
  clear(): void {
    const t = this.table;
    for (let i = 1; i < t.length; i += 2) t[i] = EMPTY;
    this.keys.fill("", 0, this.size);
    this.size = 0;
  }

  /** The keys, in insertion order (callers needing a canonical order sort). */
  keyList(): string[] {
    return this.keys.slice(0, this.size);
  }

  private grow(): void {
    const buckets = (this.mask + 1) * 2;
    const t = emptyTable(buckets);
    const mask = buckets - 1;
    const old = this.table;
    for (let k = 1; k < old.length; k += 2) {
      const idx = old[k]!;
      if (idx === EMPTY) continue;
      const h = old[k - 1]!;
      let i = h & mask;
      while (t[2 * i + 1] !== EMPTY) i = (i + 1) & mask;
      t[2 * i] = h;
      t[2 * i + 1] = idx;
    }
    this.table = t;
    this.mask = mask;
  }
}

function emptyTable(buckets: number): Int32Array<ArrayBuffer> {
  const t = new Int32Array(buckets * 2);
  for (let i = 1; i < t.length; i += 2) t[i] = EMPTY;
  return t;
}
