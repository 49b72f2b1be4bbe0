import { setImmediate as nextTurn } from "node:timers/promises";
import type { SnapshotOrder, SnapshotState } from "@fxcore/domain";
import type { CapturedState } from "./snapshot-in-slices.ts";

// A captured state in a form that crosses to the snapshot thread cheaply
// (ADR 103): a structured clone of an object per resting order costs the
// sending thread about as much as encoding it, while one long string and a few
// typed arrays are copied (or moved) in bulk. Strings keep their UTF-16 code
// units exactly (lone surrogates included), so the thread encodes the same
// bytes the engine would.

/** Strings end to end, STRINGS_PER_TEXT to a text, with each one's length (UTF-16 units). */
export interface PackedStrings {
  readonly texts: readonly string[];
  readonly lengths: Int32Array;
}

export interface PackedBook {
  readonly symbol: string;
  readonly seq: number;
  readonly nextPrio: number;
  readonly terminalGeneration: number;
  /** orderId, clOrdId, account of each order. */
  readonly ids: PackedStrings;
  /** side, tif, stp, postOnly, hasExpire of each order. */
  readonly small: Uint8Array;
  /** price, qty, cumQty, prio of each order. */
  readonly numbers: Float64Array;
  readonly expireTimes: BigInt64Array;
  readonly terminalPrevious: PackedStrings;
  readonly terminalCurrent: PackedStrings;
}

export interface PackedState {
  readonly nextOffset: string;
  /** Each book's name in the partition and its packed state. */
  readonly books: readonly { readonly symbol: string; readonly book: PackedBook }[];
  readonly recentInputIds: PackedStrings;
}

/** Strings joined per event-loop turn (~1 ms): a book's ids are tens of thousands. */
const STRINGS_PER_TEXT = 4_096;

async function packStrings(list: readonly string[]): Promise<PackedStrings> {
  const lengths = new Int32Array(list.length);
  const texts: string[] = [];
  for (let at = 0; at < list.length; at += STRINGS_PER_TEXT) {
    if (at > 0) await nextTurn();
    const end = Math.min(at + STRINGS_PER_TEXT, list.length);
    for (let i = at; i < end; i++) lengths[i] = list[i]!.length;
    texts.push(list.slice(at, end).join(""));
  }
  return { texts, lengths };
}

function unpackStrings(p: PackedStrings): string[] {
  const n = p.lengths.length;
  const out = new Array<string>(n);
  for (let t = 0; t < p.texts.length; t++) {
    const text = p.texts[t]!;
    const end = Math.min((t + 1) * STRINGS_PER_TEXT, n);
    let at = 0;
    for (let i = t * STRINGS_PER_TEXT; i < end; i++) {
      const to = at + p.lengths[i]!;
      out[i] = text.slice(at, to);
      at = to;
    }
  }
  return out;
}

async function packBook(state: SnapshotState): Promise<PackedBook> {
  const orders = state.orders;
  const n = orders.length;
  const ids = new Array<string>(n * 3);
  const small = new Uint8Array(n * 5);
  const numbers = new Float64Array(n * 4);
  const expireTimes = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const o = orders[i]!;
    ids[i * 3] = o.orderId;
    ids[i * 3 + 1] = o.clOrdId;
    ids[i * 3 + 2] = o.account;
    small[i * 5] = o.side;
    small[i * 5 + 1] = o.tif;
    small[i * 5 + 2] = o.stp;
    small[i * 5 + 3] = o.postOnly ? 1 : 0;
    small[i * 5 + 4] = o.expireTime === null ? 0 : 1;
    numbers[i * 4] = o.price;
    numbers[i * 4 + 1] = o.qty;
    numbers[i * 4 + 2] = o.cumQty;
    numbers[i * 4 + 3] = o.prio;
    expireTimes[i] = o.expireTime ?? 0n;
  }
  await nextTurn();
  return {
    symbol: state.symbol,
    seq: state.seq,
    nextPrio: state.nextPrio,
    terminalGeneration: state.terminalGeneration,
    ids: await packStrings(ids),
    small,
    numbers,
    expireTimes,
    terminalPrevious: await packStrings(state.terminalPrevious),
    terminalCurrent: await packStrings(state.terminalCurrent),
  };
}

function unpackBook(p: PackedBook): SnapshotState {
  const ids = unpackStrings(p.ids);
  const n = p.expireTimes.length;
  const orders = new Array<SnapshotOrder>(n);
  for (let i = 0; i < n; i++) {
    orders[i] = {
      orderId: ids[i * 3]!,
      clOrdId: ids[i * 3 + 1]!,
      account: ids[i * 3 + 2]!,
      side: p.small[i * 5]!,
      tif: p.small[i * 5 + 1]!,
      stp: p.small[i * 5 + 2]!,
      postOnly: p.small[i * 5 + 3] === 1,
      price: p.numbers[i * 4]!,
      qty: p.numbers[i * 4 + 1]!,
      cumQty: p.numbers[i * 4 + 2]!,
      prio: p.numbers[i * 4 + 3]!,
      expireTime: p.small[i * 5 + 4] === 1 ? p.expireTimes[i]! : null,
    };
  }
  return {
    symbol: p.symbol,
    seq: p.seq,
    nextPrio: p.nextPrio,
    orders,
    terminalGeneration: p.terminalGeneration,
    terminalPrevious: unpackStrings(p.terminalPrevious),
    terminalCurrent: unpackStrings(p.terminalCurrent),
  };
}

/** Packs a captured state a few thousand orders or ids per event-loop turn. */
export async function packCapturedState(captured: CapturedState): Promise<PackedState> {
  const books: { symbol: string; book: PackedBook }[] = [];
  for (const { symbol, state } of captured.books) {
    books.push({ symbol, book: await packBook(state) });
  }
  return {
    nextOffset: captured.nextOffset.toString(),
    books,
    recentInputIds: await packStrings(captured.recentInputIds),
  };
}

/** The typed arrays' buffers, to move rather than copy. */
export function transferablesOf(packed: PackedState): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  const add = (a: { buffer: ArrayBufferLike }) => {
    if (a.buffer instanceof ArrayBuffer) out.push(a.buffer);
  };
  for (const { book: b } of packed.books) {
    for (const a of [
      b.ids.lengths,
      b.small,
      b.numbers,
      b.expireTimes,
      b.terminalPrevious.lengths,
      b.terminalCurrent.lengths,
    ])
      add(a);
  }
  add(packed.recentInputIds.lengths);
  return out;
}

export function unpackCapturedState(packed: PackedState): CapturedState {
  return {
    nextOffset: BigInt(packed.nextOffset),
    books: packed.books.map(({ symbol, book }) => ({ symbol, state: unpackBook(book) })),
    recentInputIds: unpackStrings(packed.recentInputIds),
  };
}
