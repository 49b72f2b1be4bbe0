// What the gateway asks of the command side, translated from valid FIX. These
// are the domain commands minus what the command side stamps itself (OrderID,
// TransactTime) and minus account-level settings (self-trade prevention).

import type { CancelOrder, PlaceOrder, ReplaceOrder } from "@fxcore/domain";

export type PlaceOrderRequest = Omit<PlaceOrder, "orderId" | "transactTime" | "stpMode">;
export type CancelOrderRequest = Omit<CancelOrder, "transactTime">;
export type ReplaceOrderRequest = Omit<ReplaceOrder, "transactTime">;

export interface OrderStatusRequest {
  readonly type: "OrderStatus";
  readonly clOrdId: string;
  readonly account: string;
  readonly symbol: string;
  readonly side: "BUY" | "SELL";
  /** Echoed in the answer (FIX 790). */
  readonly ordStatusReqId: string | null;
}

export type GatewayRequest =
  | PlaceOrderRequest
  | CancelOrderRequest
  | ReplaceOrderRequest
  | OrderStatusRequest;

/** Order entry spends the "order" rate-limit bucket; status requests the "query" one. */
export const bucketOf = (r: GatewayRequest): "order" | "query" =>
  r.type === "OrderStatus" ? "query" : "order";
