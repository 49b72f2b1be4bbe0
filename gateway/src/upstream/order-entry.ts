// The gateway's port to the command side. Outcomes are values, and the one
// that matters most is "unknown": after a timeout or a 5xx the order may have
// been committed, so the gateway must not claim it failed — the client resends
// the same ClOrdID (idempotent) or GETs it by ClOrdID.

import type { Context } from "@opentelemetry/api";
import type { Principal } from "../auth/principal.ts";
import type { FixMessage } from "../fix/message.ts";
import type {
  CancelOrderRequest,
  OrderStatusRequest,
  PlaceOrderRequest,
  ReplaceOrderRequest,
} from "../orders/requests.ts";

export interface CommandAnswer {
  /** ExecutionReport (8) or OrderCancelReject (9), ready to send. */
  readonly report: FixMessage;
  /** Global position of the answer in the event store, for read-your-writes on the read side. */
  readonly position: string | null;
}

export type UpstreamOutcome =
  | { readonly kind: "answer"; readonly answer: CommandAnswer }
  /** Status of a ClOrdID the account never used. */
  | { readonly kind: "not-found" }
  /** Definitely not processed (connection refused, 503 before acceptance). */
  | { readonly kind: "unavailable"; readonly reason: string }
  /** Refused by the command side's own checks; definitely not applied. */
  | { readonly kind: "invalid"; readonly reason: string }
  /** May or may not have been committed (timeout, 5xx, broken connection). */
  | { readonly kind: "unknown"; readonly reason: string };

/** `trace`: the context whose span the call belongs to (default: the active one). */
export interface OrderEntry {
  place(r: PlaceOrderRequest, caller: Principal, trace?: Context): Promise<UpstreamOutcome>;
  cancel(r: CancelOrderRequest, caller: Principal, trace?: Context): Promise<UpstreamOutcome>;
  replace(r: ReplaceOrderRequest, caller: Principal, trace?: Context): Promise<UpstreamOutcome>;
  status(
    r: Pick<OrderStatusRequest, "account" | "clOrdId">,
    caller: Principal,
    trace?: Context,
  ): Promise<UpstreamOutcome>;
  ready(): Promise<boolean>;
  /** Releases connections (called when the gateway closes). */
  close?(): Promise<void>;
}
