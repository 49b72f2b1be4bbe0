// Open-addressing hash table from string ids to non-negative ints, for the
// order-id index and the terminal-id sets (ADR 030). Measured ~3× faster than
// a Map<string, number> under the matcher's add/delete churn: linear probing
// over typed arrays, cached hashes so probes rarely touch a string, and
// backward-shift deletion so no tombstones pile up.
//
// FNV-1a is unseeded. That is fine here: order ids are minted by the command
// side, not chosen by clients, so nobody can aim collisions at the table.

const EMPTY = -1;

export function hashString(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

export class StringTable {
  private keys: string[] = [];
  private hashes = new Int32Array(0);
  private values = new Int32Array(0);
  private mask = 0;
  size = 0;

  constructor(expected = 16) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.alloc(cap);
  }

  private alloc(cap: number): void {
    this.keys = new Array<string>(cap).fill("");
    this.hashes = new Int32Array(cap);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
  }

  /** The value for `key`, or -1. */
  get(key: string): number {
    const h = hashString(key);
    const values = this.values;
    const hashes = this.hashes;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const v = values[i]!;
      if (v === EMPTY) return EMPTY;
      if (hashes[i] === h && this.keys[i] === key) return v;
      i = (i + 1) & mask;
    }
  }

  has(key: string): boolean {
    return this.get(key) !== EMPTY;
  }

  /** Inserts or overwrites; `value` must be >= 0. */
  set(key: string, value: number): void {
    if ((this.size + 1) * 2 > this.values.length) this.grow();
    const h = hashString(key);
    const values = this.values;
    const hashes = this.hashes;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const v = values[i]!;
      if (v === EMPTY) break;
      if (hashes[i] === h && this.keys[i] === key) {
        values[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    values[i] = value;
    hashes[i] = h;
    this.keys[i] = key;
    this.size++;
  }

  delete(key: string): boolean {
    const h = hashString(key);
    const values = this.values;
    const hashes = this.hashes;
    const keys = this.keys;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const v = values[i]!;
      if (v === EMPTY) return false;
      if (hashes[i] === h && keys[i] === key) break;
      i = (i + 1) & mask;
    }
    // Backward shift: pull later entries of the probe run into the gap.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (values[j] === EMPTY) break;
      const home = hashes[j]! & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      values[i] = values[j]!;
      hashes[i] = hashes[j]!;
      keys[i] = keys[j]!;
      i = j;
    }
    values[i] = EMPTY;
    keys[i] = "";
    this.size--;
    return true;
  }

  clear(): void {
    this.values.fill(EMPTY);
    this.keys.fill("");
    this.size = 0;
  }

  /** All keys, in table order (callers that need a canonical order sort). */
  keyList(): string[] {
    const res: string[] = [];
    for (let i = 0; i < this.values.length; i++)
      if (this.values[i] !== EMPTY) res.push(this.keys[i]!);
    return res;
  }

  private grow(): void {
    const keys = this.keys;
    const hashes = this.hashes;
    const values = this.values;
    this.alloc(values.length * 2);
    const mask = this.mask;
    for (let k = 0; k < values.length; k++) {
      const v = values[k]!;
      if (v === EMPTY) continue;
      let i = hashes[k]! & mask;
      while (this.values[i] !== EMPTY) i = (i + 1) & mask;
      this.values[i] = v;
      this.hashes[i] = hashes[k]!;
      this.keys[i] = keys[k]!;
    }
  }
}
