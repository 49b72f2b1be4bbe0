// The rules PartitionMatcher applies to an input before its engine sees it,
// for a standby pair (ADR 087): command-side outcomes skipped, other
// non-inputs poison, the input validation, unknown symbols poison, the dedupe
// window of the last input ids. No engine and no @fxcore/matcher import here:
// the book-from-OCF decode worker (ADR 089) runs this gate on its own thread,
// with the matcher's rules passed in as data.
import type { MatcherInput } from "@fxcore/domain";

/** The live matcher's rules as data (its sets and window size, imported where they are known). */
export interface InputRules {
  readonly inputTypes: ReadonlySet<string>;
  readonly commandSideOutcomes: ReadonlySet<string>;
  readonly dedupeWindow: number;
}

export type StandbyOutcome = "applied" | "skip" | "duplicate" | "poison";
/** What the gate decides: "apply" = the engine of the input's symbol takes it. */
export type GateOutcome = Exclude<StandbyOutcome, "applied"> | "apply";

export class InputGate {
  readonly #rules: InputRules;
  readonly #known: (symbol: string) => boolean;
  readonly #seen: IdWindow;

  constructor(rules: InputRules, knownSymbol: (symbol: string) => boolean) {
    this.#rules = rules;
    this.#known = knownSymbol;
    this.#seen = new IdWindow(rules.dedupeWindow);
  }

  /** A decoded payload whose event id is `idBuf[idStart, idEnd)` (UTF-8, as stored). */
  admit(
    payload: { readonly type: string },
    idBuf: Buffer,
    idStart: number,
    idEnd: number,
  ): GateOutcome {
    // (The two sets are disjoint: testing inputs first is PartitionMatcher's order with one lookup.)
    if (!this.#rules.inputTypes.has(payload.type)) {
      return this.#rules.commandSideOutcomes.has(payload.type) ? "skip" : "poison";
    }
    const cmd = payload as MatcherInput;
    if (!validInput(cmd)) return "poison";
    if (!this.#known(cmd.symbol)) return "poison";
    if (!this.#seen.addIfAbsent(idBuf, idStart, idEnd)) return "duplicate";
    return "apply";
  }
}

const isPositiveSafeInt = (n: unknown): boolean =>
  typeof n === "number" && Number.isSafeInteger(n) && n > 0;

/** PartitionMatcher's validateInput: what the engine relies on beyond the schema. */
export function validInput(cmd: MatcherInput): boolean {
  if (typeof cmd.symbol !== "string" || cmd.symbol.length === 0) return false;
  switch (cmd.type) {
    case "OrderAccepted":
      if (!isPositiveSafeInt(cmd.qty)) return false;
      if (cmd.ordType === "LIMIT" && !isPositiveSafeInt(cmd.price)) return false;
      if (cmd.ordType === "MARKET" && cmd.price !== null) return false;
      if (cmd.minQty !== null && !isPositiveSafeInt(cmd.minQty)) return false;
      return true;
    case "OrderReplaceRequested":
      if (!isPositiveSafeInt(cmd.qty)) return false;
      if (cmd.price !== null && !isPositiveSafeInt(cmd.price)) return false;
      return true;
    default:
      return true;
  }
}

const SLOT = 40;
const SLOT_WORDS = SLOT / 4;

/**
 * The last `size` distinct ids (oldest evicted first), keyed by their UTF-8
 * bytes: a ring of slots (short ids kept as words, longer ones as a copy) and
 * an open-addressing table over it (linear probing) whose entries are never
 * deleted one by one (ADR 107). An entry is a hash tag and a slot: it counts
 * only if the slot's current id has the same hash and bytes, so an entry left
 * behind by an evicted id can only point at a live id equal to the one looked
 * up (a right answer). Every `size` insertions the table is rebuilt from the
 * ring, which keeps it at most half full: no probe and no shift to delete the
 * oldest id (they were ~25% of the window's time, cache misses mostly).
 * Ids with non-ASCII bytes are normalised through a JS string first, so two
 * byte sequences that decode to the same string are the same id, as in
 * PartitionMatcher's Set<string>.
 */
export class IdWindow {
  readonly #size: number;
  /** Ids of up to SLOT bytes as little-endian words, SLOT_WORDS per slot. */
  readonly #words: Int32Array;
  readonly #len: Int32Array;
  readonly #hash: Int32Array;
  readonly #long: (Buffer | undefined)[];
  /** Entries: the hash's bits above the slot field, and slot + 1 (0: empty). */
  readonly #table: Int32Array;
  readonly #mask: number;
  readonly #slotMask: number;
  #count = 0;
  #next = 0;
  /** Insertions until the next rebuild of the table. */
  #untilRebuild: number;
  // A little-endian view of the last buffer seen (the decode worker passes one block buffer for many ids).
  #viewOf: Buffer | undefined;
  #view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  constructor(size: number) {
    if (!(size >= 1 && size < 2 ** 24)) throw new RangeError(`dedupe window of ${size}`);
    this.#size = size;
    this.#words = new Int32Array(size * SLOT_WORDS);
    this.#len = new Int32Array(size);
    this.#hash = new Int32Array(size);
    this.#long = new Array(size).fill(undefined);
    let slotMask = 1;
    while (slotMask <= size) slotMask = slotMask * 2 + 1;
    this.#slotMask = slotMask;
    // At most size live + size left behind between rebuilds: a table of 4 x size is at most half full.
    let cap = 1;
    while (cap < size * 4) cap *= 2;
    this.#table = new Int32Array(cap);
    this.#mask = cap - 1;
    this.#untilRebuild = size;
  }

  /** True when the id was not in the window (and is now its newest entry). */
  addIfAbsent(buf: Buffer, start: number, end: number): boolean {
    // FNV-1a over 4-byte little-endian words (the tail zero-padded), OR-ing every
    // byte to spot non-ASCII. A short id's words are compared and stored straight
    // from its bytes (just read, still in a cache): no scratch copy per word.
    const len = end - start;
    const short = len <= SLOT;
    let h = 0x811c9dc5;
    let high = 0;
    let i = start;
    let k = 0;
    if (buf !== this.#viewOf) {
      this.#viewOf = buf;
      this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const view = this.#view;
    for (; i + 4 <= end; i += 4) {
      const w = view.getInt32(i, true);
      high |= w;
      h = Math.imul(h ^ w, 0x01000193);
    }
    k = (i - start) >> 2;
    let tail = 0;
    if (i < end) {
      let w = 0;
      for (let s = 0; i < end; i++, s += 8) w |= buf[i]! << s;
      high |= w;
      h = Math.imul(h ^ w, 0x01000193);
      tail = w;
    }
    // Finaliser (murmur3's): the table index uses the low bits, which FNV leaves poorly mixed.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    high &= 0x80808080;
    if (high !== 0) {
      const canonical = Buffer.from(buf.toString("utf8", start, end), "utf8");
      if (!canonical.equals(buf.subarray(start, end))) {
        return this.addIfAbsent(canonical, 0, canonical.length);
      }
    }
    const table = this.#table;
    const mask = this.#mask;
    const slotMask = this.#slotMask;
    const tag = h & ~slotMask;
    const words = this.#words;
    let t = h & mask;
    for (; ; t = (t + 1) & mask) {
      const e = table[t]!;
      if (e === 0) break;
      if ((e & ~slotMask) !== tag) continue;
      const s = (e & slotMask) - 1;
      if (this.#hash[s] !== h || this.#len[s] !== len) continue;
      if (!short) {
        if (this.#long[s]!.equals(buf.subarray(start, end))) return false;
        continue;
      }
      // Whole words straight from the id's bytes (just read, still in a cache), then the padded tail.
      const o = s * SLOT_WORDS;
      let j = 0;
      while (j < k && words[o + j] === view.getInt32(start + 4 * j, true)) j++;
      if (j === k && (k * 4 === len || words[o + k] === tail)) return false;
    }
    // Absent: the oldest slot (when full) takes it; its old entry stays behind until the rebuild.
    if (this.#count < this.#size) this.#count++;
    const slot = this.#next;
    this.#next = slot + 1 === this.#size ? 0 : slot + 1;
    this.#hash[slot] = h;
    this.#len[slot] = len;
    if (short) {
      const o = slot * SLOT_WORDS;
      for (let j = 0; j < k; j++) words[o + j] = view.getInt32(start + 4 * j, true);
      if (k * 4 !== len) words[o + k] = tail;
      if (this.#long[slot] !== undefined) this.#long[slot] = undefined;
    } else {
      this.#long[slot] = Buffer.from(buf.subarray(start, end));
    }
    if (--this.#untilRebuild === 0) this.#rebuild();
    else table[t] = tag | (slot + 1);
    return true;
  }

  /** The table again from the ring's live ids only (every `size` insertions). */
  #rebuild(): void {
    const table = this.#table;
    const mask = this.#mask;
    const slotMask = this.#slotMask;
    const hash = this.#hash;
    table.fill(0);
    for (let s = 0; s < this.#count; s++) {
      const h = hash[s]!;
      let t = h & mask;
      while (table[t] !== 0) t = (t + 1) & mask;
      table[t] = (h & ~slotMask) | (s + 1);
    }
    this.#untilRebuild = this.#size;
  }
}
