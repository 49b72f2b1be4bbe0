// Commands as the command side receives them (parsed from FIX by the gateway).
// Prices and quantities are still the client's decimal strings: converting
// them exactly to ticks/units, and rejecting what does not convert, is the
// decider's job. Ids and time come with the command: the domain makes none.

import type {
  AccountId,
  ClOrdId,
  OrderId,
  OrdType,
  Side,
  StpMode,
  TimeInForce,
  TimestampNs,
} from "./values.ts";

/** What a new order and a replace both state: whose order, which pair and side, its type, price and quantity. */
interface OrderTerms {
  readonly account: AccountId;
  readonly symbol: string;
  readonly side: Side;
  readonly ordType: OrdType;
  /** Decimal string, required for LIMIT, absent for MARKET. */
  readonly price: string | null;
  readonly orderQty: string;
}

export interface PlaceOrder extends OrderTerms {
  readonly type: "PlaceOrder";
  /** Assigned by the command side before deciding. */
  readonly orderId: OrderId;
  readonly clOrdId: ClOrdId;
  readonly tif: TimeInForce;
  readonly expireTime: TimestampNs | null;
  readonly minQty: string | null;
  readonly postOnly: boolean;
  readonly stpMode: StpMode;
  /** Stamped once, at acceptance, by the shell. */
  readonly transactTime: TimestampNs;
}

export interface CancelOrder {
  readonly type: "CancelOrder";
  readonly clOrdId: ClOrdId;
  readonly origClOrdId: ClOrdId;
  readonly account: AccountId;
  readonly symbol: string;
  readonly side: Side;
  readonly transactTime: TimestampNs;
}

export interface ReplaceOrder extends OrderTerms {
  readonly type: "ReplaceOrder";
  readonly clOrdId: ClOrdId;
  readonly origClOrdId: ClOrdId;
  readonly transactTime: TimestampNs;
}

export type Command = PlaceOrder | CancelOrder | ReplaceOrder;
