// Public trade tape per pair: no accounts, only what the market may see.
import type { Side, TradeExecuted } from "@fxcore/domain";

export interface TapeTrade {
  readonly symbol: string;
  readonly seq: number;
  readonly execId: string;
  readonly price: number;
  readonly qty: number;
  readonly aggressorSide: Side;
  readonly transactTime: bigint;
}

export const tapeTrade = (e: TradeExecuted): TapeTrade => ({
  symbol: e.symbol,
  seq: e.seq,
  execId: e.execId,
  price: e.price,
  qty: e.qty,
  aggressorSide: e.aggressorSide,
  transactTime: e.transactTime,
});
