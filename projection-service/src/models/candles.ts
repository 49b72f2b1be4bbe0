// OHLCV candles per pair and interval, from the trade tape. A candle of one
// trade merged with another candle is associative, so a batch can be folded
// in memory and upserted with the same rule in SQL.
import type { TradeExecuted } from "@fxcore/domain";

export const INTERVALS = {
  "1s": 1_000_000_000n,
  "1m": 60_000_000_000n,
  "1h": 3_600_000_000_000n,
} as const;
export type Interval = keyof typeof INTERVALS;
export const intervalNames = Object.keys(INTERVALS) as Interval[];

export interface Candle {
  readonly symbol: string;
  readonly interval: Interval;
  /** Bucket start, ns since epoch (UTC). */
  readonly start: bigint;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: bigint;
  /** Σ qty × price, ticks × units (VWAP = notional / volume). */
  readonly notional: bigint;
  readonly trades: number;
  /** Pair seqs of the first and last trade: decide open and close on merge. */
  readonly firstSeq: number;
  readonly lastSeq: number;
}

export const bucketStart = (t: bigint, interval: Interval): bigint => t - (t % INTERVALS[interval]);

export const tradeCandles = (e: TradeExecuted): Candle[] =>
  intervalNames.map((interval) => ({
    symbol: e.symbol,
    interval,
    start: bucketStart(e.transactTime, interval),
    open: e.price,
    high: e.price,
    low: e.price,
    close: e.price,
    volume: BigInt(e.qty),
    notional: BigInt(e.qty) * BigInt(e.price),
    trades: 1,
    firstSeq: e.seq,
    lastSeq: e.seq,
  }));

/** Merge of two candles of the same bucket (associative, commutative). */
export const mergeCandle = (a: Candle, b: Candle): Candle => ({
  ...a,
  open: a.firstSeq <= b.firstSeq ? a.open : b.open,
  close: a.lastSeq >= b.lastSeq ? a.close : b.close,
  high: Math.max(a.high, b.high),
  low: Math.min(a.low, b.low),
  volume: a.volume + b.volume,
  notional: a.notional + b.notional,
  trades: a.trades + b.trades,
  firstSeq: Math.min(a.firstSeq, b.firstSeq),
  lastSeq: Math.max(a.lastSeq, b.lastSeq),
});

export const candleKey = (c: { symbol: string; interval: Interval; start: bigint }): string =>
  `${c.symbol}|${c.interval}|${c.start}`;
