// Open-addressing hash table from string ids to non-negative ints, for the
// order-id index and the terminal-id sets (ADR 030). Measured ~3× faster than
// a Map<string, number> under the matcher's add/delete churn: linear probing
// over one typed array holding [hash, value] pairs (one cache line per probe,
// and a string is compared only when the cached hash matches), with
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
  /** slots[2i] = hash, slots[2i + 1] = value (EMPTY when the bucket is free). */
  private slots = new Int32Array(0);
  private mask = 0;
  size = 0;

  constructor(expected = 16) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.alloc(cap);
  }

  private alloc(cap: number): void {
    this.keys = new Array<string>(cap).fill("");
    const slots = new Int32Array(cap * 2);
    for (let i = 1; i < slots.length; i += 2) slots[i] = EMPTY;
    this.slots = slots;
    this.mask = cap - 1;
  }

  /** The value for `key`, or -1. */
  get(key: string): number {
    return this.getHashed(key, hashString(key));
  }

  /** get() with the key's hashString() already known (the engine hashes each id once). */
  getHashed(key: string, h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const v = slots[2 * i + 1]!;
      if (v === EMPTY) return EMPTY;
      if (slots[2 * i] === h && this.keys[i] === key) return v;
      i = (i + 1) & mask;
    }
  }

  has(key: string): boolean {
    return this.getHashed(key, hashString(key)) !== EMPTY;
  }

  hasHashed(key: string, h: number): boolean {
    return this.getHashed(key, h) !== EMPTY;
  }

  /** Inserts or overwrites; `value` must be >= 0. */
  set(key: string, value: number): void {
    this.setHashed(key, hashString(key), value);
  }

  setHashed(key: string, h: number, value: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const v = slots[2 * i + 1]!;
      if (v === EMPTY) break;
      if (slots[2 * i] === h && this.keys[i] === key) {
        slots[2 * i + 1] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    slots[2 * i] = h;
    slots[2 * i + 1] = value;
    this.keys[i] = key;
    this.size++;
  }

  delete(key: string): boolean {
    return this.deleteHashed(key, hashString(key));
  }

  deleteHashed(key: string, h: number): boolean {
    const slots = this.slots;
    const keys = this.keys;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const v = slots[2 * i + 1]!;
      if (v === EMPTY) return false;
      if (slots[2 * i] === h && keys[i] === key) break;
      i = (i + 1) & mask;
    }
    // Backward shift: pull later entries of the probe run into the gap.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (slots[2 * j + 1] === EMPTY) break;
      const home = slots[2 * j]! & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      slots[2 * i] = slots[2 * j]!;
      slots[2 * i + 1] = slots[2 * j + 1]!;
      keys[i] = keys[j]!;
      i = j;
    }
    slots[2 * i + 1] = EMPTY;
    keys[i] = "";
    this.size--;
    return true;
  }

  clear(): void {
    const slots = this.slots;
    for (let i = 1; i < slots.length; i += 2) slots[i] = EMPTY;
    this.keys.fill("");
    this.size = 0;
  }

  /** All keys, in table order (callers that need a canonical order sort). */
  keyList(): string[] {
    const res: string[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      if (this.slots[2 * i + 1] !== EMPTY) res.push(this.keys[i]!);
    }
    return res;
  }

  private grow(): void {
    const keys = this.keys;
    const old = this.slots;
    this.alloc(keys.length * 2);
    const slots = this.slots;
    const mask = this.mask;
    for (let k = 0; k < keys.length; k++) {
      const v = old[2 * k + 1]!;
      if (v === EMPTY) continue;
      const h = old[2 * k]!;
      let i = h & mask;
      while (slots[2 * i + 1] !== EMPTY) i = (i + 1) & mask;
      slots[2 * i] = h;
      slots[2 * i + 1] = v;
      this.keys[i] = keys[k]!;
    }
  }
}
