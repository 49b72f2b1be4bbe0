// Value types of the domain. Branded so a price can never be passed where a
// quantity is expected; all money is integers (DESIGN rule 1).

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Price in integer ticks of the instrument's price scale (EURUSD 1.10000 = 110000). */
export type PriceTicks = Brand<number, "PriceTicks">;
/** Quantity in integer units of the base currency (lot multiples). */
export type Qty = Brand<number, "Qty">;
/** Currency pair code without separator: "EURUSD". */
export type Symbol = Brand<string, "Symbol">;
export type ClOrdId = Brand<string, "ClOrdId">;
/** Venue order id, assigned by the command side, unique forever. */
export type OrderId = Brand<string, "OrderId">;
export type AccountId = Brand<string, "AccountId">;
/** Execution id, unique forever (FIX tag 17). */
export type ExecId = Brand<string, "ExecId">;
/** Nanoseconds since the Unix epoch, UTC. Never read from a clock inside the domain. */
export type TimestampNs = Brand<bigint, "TimestampNs">;
/** Gapless per-pair sequence number stamped by the matcher on its outputs. */
export type PairSeq = Brand<number, "PairSeq">;

export const priceTicks = (n: number): PriceTicks => n as PriceTicks;
export const qty = (n: number): Qty => n as Qty;
export const symbol = (s: string): Symbol => s as Symbol;
export const clOrdId = (s: string): ClOrdId => s as ClOrdId;
export const orderId = (s: string): OrderId => s as OrderId;
export const accountId = (s: string): AccountId => s as AccountId;
export const execId = (s: string): ExecId => s as ExecId;
export const timestampNs = (n: bigint): TimestampNs => n as TimestampNs;
export const pairSeq = (n: number): PairSeq => n as PairSeq;

export type Side = "BUY" | "SELL";
export type OrdType = "LIMIT" | "MARKET";
export type TimeInForce = "DAY" | "GTC" | "IOC" | "FOK" | "GTD";
/** Self-trade prevention per account: which side of a would-be self trade is cancelled. */
export type StpMode = "NONE" | "CANCEL_NEWEST" | "CANCEL_OLDEST" | "CANCEL_BOTH";

/** Errors are values where callers must handle them. */
export type Result<T, E> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };
export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
