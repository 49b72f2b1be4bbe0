// Matcher inputs as a compact columnar tape in shared memory (ADR 089): the
// book-from-OCF decode worker writes it straight from the Avro bytes (a
// reader compiled in tape form), the engine's thread reads it back into one
// reused input object per type, so the engine's thread does no Avro decoding,
// no validation and no dedupe, and nothing is structured-cloned per input.
// Per entry: 12 int32 (kind and flags, record number, account id, offset and
// length of orderId, clOrdId, origClOrdId, enum codes and null flags, offset
// and length of an account's name the first time it appears), 3 float64
// (price, qty, minQty), 2 int64 (transactTime, expireTime), string bytes.
import type { MatcherInput, MatcherOutputSink, MatchingEngine } from "@fxcore/domain";
import { ASCII_MAX, ascii } from "../codec/ascii.ts";
import type { TapeLayout, TapeTarget } from "../codec/avro-compiler.ts";
import type { AvroNode } from "../codec/avro-schema.ts";

// 2,048 entries (~290 KiB with strings) per tape, a few in flight: what the engine's
// thread reads was written moments before and is still in a cache (8,192 per
// tape cost both threads ~0.1-0.15 µs more per input, alternated runs, loaded host).
export const TAPE_ENTRIES = 2048;
const STRING_BYTES = TAPE_ENTRIES * 48;
const STRIDE = 12;

// Entry kinds (low byte of slot 0): the four inputs, and inputs the gate kept from the engine.
export const K_ACCEPTED = 0;
export const K_CANCEL = 1;
export const K_REPLACE = 2;
export const K_TIME = 3;
export const K_DUPLICATE = 4;
export const K_POISON = 5;
export const KIND_OF_RECORD: ReadonlyMap<string, number> = new Map([
  ["fx.events.OrderAccepted", K_ACCEPTED],
  ["fx.events.OrderCancelRequested", K_CANCEL],
  ["fx.events.OrderReplaceRequested", K_REPLACE],
  ["fx.events.TimeAdvanced", K_TIME],
]);
const ASCII = 1 << 8; // every string of the entry is ASCII
const NEW_ACCOUNT = 1 << 9; // slots 10-11 hold the name of a new account id
// Enum codes and null flags (slot 9).
const POST_ONLY = 1 << 16;
const PRICE_NULL = 1 << 17;
const MIN_QTY_NULL = 1 << 18;
const EXPIRE_NULL = 1 << 19;

/** One tape's columns, in shared memory: the writer's thread fills it, the engine's thread reads it. */
export interface TapeBuffers {
  readonly i: SharedArrayBuffer;
  readonly f: SharedArrayBuffer;
  readonly t: SharedArrayBuffer;
  readonly s: SharedArrayBuffer;
}

// Control array: per tape [state, entries, string areas grown], then the stop
// flag, the worker's CPU µs at its end, and the two wake slots (wakeSlot,
// freeWakeSlot). States:
export const TAPE_CONTROL = 3;
export const TAPE_FREE = 0;
export const TAPE_FULL = 1;
/** The writer is done: no more tapes (the entries slot holds the number of records read). */
export const TAPE_END = 2;
export const TAPE_STOP = 1;
/** A tape state: the engine's thread ended the job early; the writer stops. */
export const TAPE_STOPPED = 3;
export const controlBytes = (tapes: number) => 4 * (TAPE_CONTROL * tapes + 4);
/**
 * Index of the wake slot: 0, or 1 + the tape whose hand-over should wake the
 * engine's thread (set by that thread before it waits). The writer notifies
 * only then, and at its end: a wake-up of a waiting event loop costs the
 * writer ~0.4-1 ms of wall time, so the engine's thread asks to be woken once
 * a few tapes are full rather than at every tape.
 */
export const wakeSlot = (tapes: number) => TAPE_CONTROL * tapes + 2;
/** The writer's wake slot, the other way round: 1 + the tape whose freeing should wake a writer waiting for tapes. */
export const freeWakeSlot = (tapes: number) => TAPE_CONTROL * tapes + 3;

export const newTapeBuffers = (stringBytes = STRING_BYTES): TapeBuffers => ({
  i: new SharedArrayBuffer(TAPE_ENTRIES * STRIDE * 4),
  f: new SharedArrayBuffer(TAPE_ENTRIES * 3 * 8),
  t: new SharedArrayBuffer(TAPE_ENTRIES * 2 * 8),
  s: new SharedArrayBuffer(stringBytes),
});

/** The reader schemas' enum symbols; a tape carries their index. */
export interface TapeEnums {
  readonly side: readonly string[];
  readonly ordType: readonly string[];
  readonly tif: readonly string[];
  readonly stpMode: readonly string[];
}

/** Where the compiled tape reader puts each field. */
export function tapeLayout(enums: TapeEnums): TapeLayout {
  return {
    stride: STRIDE,
    asciiFlag: ASCII,
    flagsSlot: 9,
    postOnly: POST_ONLY,
    strings: { orderId: 3, clOrdId: 5, origClOrdId: 7 },
    enums: {
      side: { codes: enums.side, shift: 0 },
      ordType: { codes: enums.ordType, shift: 4 },
      tif: { codes: enums.tif, shift: 8 },
      stpMode: { codes: enums.stpMode, shift: 12 },
    },
    numbers: {
      price: { col: 0, nullFlag: PRICE_NULL },
      qty: { col: 1, nullFlag: 0 },
      minQty: { col: 2, nullFlag: MIN_QTY_NULL },
    },
    times: {
      transactTime: { col: 0, nullFlag: 0 },
      expireTime: { col: 1, nullFlag: EXPIRE_NULL },
    },
  };
}

// The fields of each input as the current reader schemas have them. A schema
// that differs (a new field, another type) is not carried by the tape: the
// caller reads the file in one thread instead.
const SHAPES: Record<string, Record<string, string>> = {
  OrderAccepted: {
    orderId: "string",
    clOrdId: "string",
    account: "string",
    symbol: "string",
    side: "enum",
    ordType: "enum",
    price: "null|long",
    qty: "long",
    tif: "enum",
    expireTime: "null|long:timestamp-nanos",
    minQty: "null|long",
    postOnly: "boolean",
    stpMode: "enum",
    transactTime: "long:timestamp-nanos",
  },
  OrderCancelRequested: {
    orderId: "string",
    clOrdId: "string",
    origClOrdId: "string",
    account: "string",
    symbol: "string",
    side: "enum",
    transactTime: "long:timestamp-nanos",
  },
  OrderReplaceRequested: {
    orderId: "string",
    clOrdId: "string",
    origClOrdId: "string",
    account: "string",
    symbol: "string",
    side: "enum",
    price: "null|long",
    qty: "long",
    transactTime: "long:timestamp-nanos",
  },
  TimeAdvanced: { symbol: "string", transactTime: "long:timestamp-nanos" },
};

const kindOf = (n: AvroNode): string => {
  if (n.k === "union") return n.branches.map(kindOf).join("|");
  if (n.k === "long") return n.logical === undefined ? "long" : `long:${n.logical}`;
  if (n.k === "enum") return n.logical === undefined ? "enum" : `enum:${n.logical}`;
  return n.k;
};

/** The enum tables when every input's reader schema has the tape's shape; undefined otherwise. */
export function tapeEnums(readers: ReadonlyMap<string, AvroNode>): TapeEnums | undefined {
  const enums = new Map<string, readonly string[]>();
  for (const [type, shape] of Object.entries(SHAPES)) {
    const r = readers.get(type);
    if (r?.k !== "record") return undefined;
    const fields = r.fields.filter((f) => f.name !== "meta");
    if (fields.length !== Object.keys(shape).length) return undefined;
    for (const f of fields) {
      if (shape[f.name] !== kindOf(f.type) || f.optional) return undefined;
      if (f.type.k !== "enum") continue;
      const seen = enums.get(f.name);
      if (f.type.symbols.length > 15) return undefined;
      if (seen !== undefined && seen.join() !== f.type.symbols.join()) return undefined;
      enums.set(f.name, f.type.symbols);
    }
  }
  const side = enums.get("side");
  const ordType = enums.get("ordType");
  const tif = enums.get("tif");
  const stpMode = enums.get("stpMode");
  if (!side || !ordType || !tif || !stpMode) return undefined;
  return { side, ordType, tif, stpMode };
}

/**
 * The worker's side: a TapeTarget the compiled tape reader writes into, and
 * the commit of an entry (its account interned, the entry counted) or of a
 * mark (duplicate, poison).
 */
export class TapeWriter implements TapeTarget {
  n = 0;
  s = 0;
  I!: Int32Array<SharedArrayBuffer>;
  F!: Float64Array<SharedArrayBuffer>;
  T!: Int32Array<SharedArrayBuffer>;
  S!: Buffer<SharedArrayBuffer>;
  #buffers!: TapeBuffers;
  readonly #accounts = new AccountIds();
  readonly #ordTypeLimit: number;
  readonly #ordTypeMarket: number;
  #limit = TAPE_ENTRIES;

  constructor(enums: TapeEnums, buffers: TapeBuffers, limit = TAPE_ENTRIES) {
    this.#ordTypeLimit = enums.ordType.indexOf("LIMIT");
    this.#ordTypeMarket = enums.ordType.indexOf("MARKET");
    this.reset(buffers, limit);
  }

  /** Starts writing `buffers` from the top; the tape counts as full at `limit` entries. */
  reset(buffers: TapeBuffers, limit = TAPE_ENTRIES): void {
    this.#limit = limit;
    this.#buffers = buffers;
    this.I = new Int32Array(buffers.i);
    this.F = new Float64Array(buffers.f);
    this.T = new Int32Array(buffers.t);
    this.S = Buffer.from(buffers.s);
    this.n = 0;
    this.s = 0;
  }

  get buffers(): TapeBuffers {
    return this.#buffers;
  }

  get full(): boolean {
    return this.n >= this.#limit;
  }

  /** Replaces an empty tape's string area with one of at least `bytes` (an entry that does not fit at all). */
  growStrings(bytes: number): void {
    this.reset(
      { ...this.#buffers, s: new SharedArrayBuffer(Math.max(bytes, 2 * this.S.length)) },
      this.#limit,
    );
  }

  /** The entry written at n is valid by PartitionMatcher's input rules (its validateInput). */
  valid(): boolean {
    const x = this.n * STRIDE;
    const kind = this.I[x]! & 255;
    if (kind === K_CANCEL || kind === K_TIME) return true;
    const flags = this.I[x + 9]!;
    const f = this.n * 3;
    // Longs come off the tape reader as safe integers: "positive safe integer" is "> 0".
    if (!(this.F[f + 1]! > 0)) return false;
    const priceNull = (flags & PRICE_NULL) !== 0;
    const price = this.F[f]!;
    if (kind === K_REPLACE) return priceNull || price > 0;
    const ordType = (flags >> 4) & 15;
    if (ordType === this.#ordTypeLimit && (priceNull || !(price > 0))) return false;
    if (ordType === this.#ordTypeMarket && !priceNull) return false;
    if ((flags & MIN_QTY_NULL) === 0 && !(this.F[f + 2]! > 0)) return false;
    return true;
  }

  /**
   * Whether the entry written at n can be committed in this tape: its account
   * is known, or its name fits after the entry's strings. (Asked before the
   * dedupe window sees the id, so a record read again is not a duplicate.)
   */
  accountFits(stringsEnd: number, buf: Buffer, accountStart: number, accountEnd: number): boolean {
    if ((this.I[this.n * STRIDE]! & 255) === K_TIME) return true;
    this.#account = this.#accounts.find(buf, accountStart, accountEnd);
    return this.#account >= 0 || stringsEnd + (accountEnd - accountStart) <= this.S.length;
  }
  #account = -1;

  /** Commits the entry written at n (after accountFits), its strings ending at `stringsEnd`. */
  commit(
    record: number,
    stringsEnd: number,
    buf: Buffer,
    accountStart: number,
    accountEnd: number,
  ): void {
    const x = this.n * STRIDE;
    const I = this.I;
    I[x + 1] = record;
    if ((I[x]! & 255) !== K_TIME) {
      let id = this.#account;
      if (id < 0) {
        // First sight of an account: its name rides on this entry.
        const len = accountEnd - accountStart;
        id = this.#accounts.add(buf, accountStart, accountEnd);
        buf.copy(this.S, stringsEnd, accountStart, accountEnd);
        I[x] = I[x]! | NEW_ACCOUNT;
        I[x + 10] = stringsEnd;
        I[x + 11] = len;
        stringsEnd += len;
      }
      I[x + 2] = id;
    }
    this.n++;
    this.s = stringsEnd;
  }

  /** An input the gate kept from the engine (counted, not applied). */
  mark(kind: typeof K_DUPLICATE | typeof K_POISON, record: number): void {
    const x = this.n++ * STRIDE;
    this.I[x] = kind;
    this.I[x + 1] = record;
  }
}

/** Account ids by the name's bytes: a small hashed table of the few accounts a log holds. */
class AccountIds {
  readonly #names: Buffer[] = [];
  #table = new Int32Array(1024).fill(-1);

  #hash(buf: Buffer, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    return h;
  }

  /** The id of these bytes, or -1. */
  find(buf: Buffer, start: number, end: number): number {
    const mask = this.#table.length - 1;
    for (let t = this.#hash(buf, start, end) & mask; ; t = (t + 1) & mask) {
      const id = this.#table[t]!;
      if (id < 0) return -1;
      const name = this.#names[id]!;
      if (name.length !== end - start) continue;
      // A byte loop: names this short compare faster here than through a native call.
      let i = 0;
      while (i < name.length && name[i] === buf[start + i]) i++;
      if (i === name.length) return id;
    }
  }

  add(buf: Buffer, start: number, end: number): number {
    const id = this.#names.length;
    this.#names.push(Buffer.from(buf.subarray(start, end)));
    if (2 * this.#names.length > this.#table.length) {
      // Half full: twice the table, every name placed again.
      this.#table = new Int32Array(this.#table.length * 2).fill(-1);
      this.#names.forEach((name, i) => {
        this.#place(name, 0, name.length, i);
      });
    } else this.#place(buf, start, end, id);
    return id;
  }

  #place(buf: Buffer, start: number, end: number, id: number): void {
    const mask = this.#table.length - 1;
    let t = this.#hash(buf, start, end) & mask;
    while (this.#table[t]! >= 0) t = (t + 1) & mask;
    this.#table[t] = id;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Reads a tape back into inputs on the engine's thread: one reused object per input type. */
export class TapeReader {
  readonly #enums: TapeEnums;
  readonly #accounts: string[] = [];
  readonly #accepted: Mutable<Extract<MatcherInput, { type: "OrderAccepted" }>>;
  readonly #cancel: Mutable<Extract<MatcherInput, { type: "OrderCancelRequested" }>>;
  readonly #replace: Mutable<Extract<MatcherInput, { type: "OrderReplaceRequested" }>>;
  readonly #time: Mutable<Extract<MatcherInput, { type: "TimeAdvanced" }>>;
  #I: Int32Array<ArrayBufferLike> = new Int32Array(0);
  #F: Float64Array<ArrayBufferLike> = new Float64Array(0);
  #T: BigInt64Array<ArrayBufferLike> = new BigInt64Array(0);
  #S: Buffer<ArrayBufferLike> = Buffer.alloc(0);

  /** Every entry on a tape is for `symbol` (the writer keeps only the pair's inputs). */
  constructor(enums: TapeEnums, symbol: string) {
    this.#enums = enums;
    const sym = symbol as MatcherInput["symbol"];
    const side = enums.side[0] as never;
    // Field order as the compiled readers build them (same hidden class, same key order).
    this.#accepted = {
      type: "OrderAccepted",
      orderId: "" as never,
      clOrdId: "" as never,
      account: "" as never,
      symbol: sym,
      side,
      ordType: enums.ordType[0] as never,
      price: null,
      qty: 0 as never,
      tif: enums.tif[0] as never,
      expireTime: null,
      minQty: null,
      postOnly: false,
      stpMode: enums.stpMode[0] as never,
      transactTime: 0n as never,
    };
    this.#cancel = {
      type: "OrderCancelRequested",
      orderId: "" as never,
      clOrdId: "" as never,
      origClOrdId: "" as never,
      account: "" as never,
      symbol: sym,
      side,
      transactTime: 0n as never,
    };
    this.#replace = {
      type: "OrderReplaceRequested",
      orderId: "" as never,
      clOrdId: "" as never,
      origClOrdId: "" as never,
      account: "" as never,
      symbol: sym,
      side,
      price: null,
      qty: 0 as never,
      transactTime: 0n as never,
    };
    this.#time = { type: "TimeAdvanced", symbol: sym, transactTime: 0n as never };
  }

  /** Switches to a tape (its buffers may be new: a grown string area). */
  load(buffers: TapeBuffers): void {
    if (this.#buffers === buffers) return;
    this.#buffers = buffers;
    this.#I = new Int32Array(buffers.i);
    this.#F = new Float64Array(buffers.f);
    this.#T = new BigInt64Array(buffers.t);
    this.#S = Buffer.from(buffers.s);
  }
  #buffers: TapeBuffers | undefined;

  kind(k: number): number {
    return this.#I[k * STRIDE]! & 255;
  }

  /** Record number (1-based, in the file) of entry k. */
  record(k: number): number {
    return this.#I[k * STRIDE + 1]!;
  }

  /**
   * Entry k as an input (valid until the next call); null for a duplicate or
   * poison entry. `stateOnly` (for a sink that discards its events): fields
   * that only shape an event are not made and keep a blank value — an
   * accepted order's and a cancel/replace's transactTime, a cancel's clOrdId
   * and origClOrdId, a replace's origClOrdId (the strings and bigints are
   * ~10% of this thread; the engine reads them only into events, see
   * MatcherOutputSink.discards).
   */
  input(k: number, stateOnly = false): MatcherInput | null {
    const I = this.#I;
    const x = k * STRIDE;
    const head = I[x]!;
    const kind = head & 255;
    if (kind === K_TIME) {
      const t = this.#time;
      t.transactTime = this.#T[k * 2] as never;
      return t;
    }
    if (kind > K_TIME) return null;
    const S = this.#S;
    const asc = (head & ASCII) !== 0;
    if ((head & NEW_ACCOUNT) !== 0) {
      this.#accounts[I[x + 2]!] = S.toString("utf8", I[x + 10]!, I[x + 10]! + I[x + 11]!);
    }
    const p0 = I[x + 3]!;
    const n0 = I[x + 4]!;
    const orderId = asc && n0 <= ASCII_MAX ? ascii(S, p0, n0) : S.toString("utf8", p0, p0 + n0);
    let clOrdId = "";
    if (!stateOnly || kind !== K_CANCEL) {
      const p1 = I[x + 5]!;
      const n1 = I[x + 6]!;
      clOrdId = asc && n1 <= ASCII_MAX ? ascii(S, p1, n1) : S.toString("utf8", p1, p1 + n1);
    }
    const account = this.#accounts[I[x + 2]!]!;
    const flags = I[x + 9]!;
    const side = this.#enums.side[flags & 15];
    if (kind === K_ACCEPTED) {
      const a = this.#accepted;
      a.orderId = orderId as never;
      a.clOrdId = clOrdId as never;
      a.account = account as never;
      a.side = side as never;
      a.ordType = this.#enums.ordType[(flags >> 4) & 15] as never;
      a.price = (flags & PRICE_NULL) !== 0 ? null : (this.#F[k * 3] as never);
      a.qty = this.#F[k * 3 + 1] as never;
      a.tif = this.#enums.tif[(flags >> 8) & 15] as never;
      a.expireTime = (flags & EXPIRE_NULL) !== 0 ? null : (this.#T[k * 2 + 1] as never);
      a.minQty = (flags & MIN_QTY_NULL) !== 0 ? null : (this.#F[k * 3 + 2] as never);
      a.postOnly = (flags & POST_ONLY) !== 0;
      a.stpMode = this.#enums.stpMode[(flags >> 12) & 15] as never;
      a.transactTime = (stateOnly ? 0n : this.#T[k * 2]) as never;
      return a;
    }
    let orig = "";
    if (!stateOnly) {
      const p2 = I[x + 7]!;
      const n2 = I[x + 8]!;
      orig = asc && n2 <= ASCII_MAX ? ascii(S, p2, n2) : S.toString("utf8", p2, p2 + n2);
    }
    const c = kind === K_CANCEL ? this.#cancel : this.#replace;
    c.orderId = orderId as never;
    c.clOrdId = clOrdId as never;
    c.origClOrdId = orig as never;
    c.account = account as never;
    c.side = side as never;
    c.transactTime = (stateOnly ? 0n : this.#T[k * 2]) as never;
    if (kind === K_REPLACE) {
      const r = this.#replace;
      r.price = (flags & PRICE_NULL) !== 0 ? null : (this.#F[k * 3] as never);
      r.qty = this.#F[k * 3 + 1] as never;
    }
    return c;
  }
}

/** What applying a batch did; `stopped` when the engine reached the wanted seq. */
export interface TapeProgress {
  applied: number;
  duplicates: number;
  poison: number;
  /** Record number of the last entry consumed. */
  lastRecord: number;
  stopped: boolean;
}

/** Feeds a loaded batch to the engine, stopping after the input that reaches `stopSeq` (0: never). */
export function applyTape(
  reader: TapeReader,
  n: number,
  engine: MatchingEngine,
  stopSeq: number,
  progress: TapeProgress,
  sink: MatcherOutputSink,
): void {
  const stateOnly = sink.discards === true;
  for (let k = 0; k < n; k++) {
    const input = reader.input(k, stateOnly);
    if (input === null) {
      if (reader.kind(k) === K_DUPLICATE) progress.duplicates++;
      else progress.poison++;
      continue;
    }
    engine.applyInto(input, sink);
    progress.applied++;
    if (stopSeq > 0 && engine.seq >= stopSeq) {
      progress.lastRecord = reader.record(k);
      progress.stopped = true;
      return;
    }
  }
  if (n > 0) progress.lastRecord = reader.record(n - 1);
}
