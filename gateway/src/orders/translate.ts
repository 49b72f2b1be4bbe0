// Valid FIX → the command side's requests. Runs after validate(), so every
// field here is present when required, well-formed and in range; what is left
// are the venue's own rules (dealt currency) as BusinessMessageRejects.

import {
  type AccountId,
  type OrdType,
  type Result,
  type Side,
  type TimeInForce,
  clOrdId,
  err,
  ok,
} from "@fxcore/domain";
import { Tag } from "../fix/fields.ts";
import { type BusinessReject, BusinessRejectReason, businessReject } from "../fix/rejects.ts";
import { parseUtcTimestamp } from "../fix/timestamp.ts";
import type { ValidMessage } from "../fix/validate.ts";
import type { GatewayRequest } from "./requests.ts";

const SIDE: Readonly<Record<string, Side>> = { "1": "BUY", "2": "SELL" };
const ORD_TYPE: Readonly<Record<string, OrdType>> = { "1": "MARKET", "2": "LIMIT" };
const TIF: Readonly<Record<string, TimeInForce>> = {
  "0": "DAY",
  "1": "GTC",
  "3": "IOC",
  "4": "FOK",
  "6": "GTD",
};

/** The account a message names (tag 1), if any. Authorisation decides what a missing one means. */
export const accountOf = (m: ValidMessage): string | undefined => m.values.get(Tag.Account);

export const toRequest = (
  m: ValidMessage,
  account: AccountId,
): Result<GatewayRequest, BusinessReject> => {
  const v = (tag: number): string => m.values.get(tag) ?? "";
  const opt = (tag: number): string | null => m.values.get(tag) ?? null;
  const side = SIDE[v(Tag.Side)]!;
  switch (m.def.msgType) {
    case "D": {
      const currency = opt(Tag.Currency);
      const symbol = v(Tag.Symbol);
      if (currency !== null && currency !== symbol.slice(0, 3)) {
        return err(
          businessReject(
            BusinessRejectReason.Other,
            "D",
            `Currency ${currency}: only quantities in the base currency of ${symbol} are accepted`,
            v(Tag.ClOrdID),
          ),
        );
      }
      const ordType = ORD_TYPE[v(Tag.OrdType)]!;
      const expire = opt(Tag.ExpireTime);
      return ok({
        type: "PlaceOrder",
        clOrdId: clOrdId(v(Tag.ClOrdID)),
        account,
        symbol,
        side,
        ordType,
        // A market order's stray Price is ignored, as FIX engines do.
        price: ordType === "LIMIT" ? opt(Tag.Price) : null,
        orderQty: v(Tag.OrderQty),
        tif: TIF[opt(Tag.TimeInForce) ?? "0"]!,
        expireTime: expire === null ? null : parseUtcTimestamp(expire),
        minQty: opt(Tag.MinQty),
        postOnly: (opt(Tag.ExecInst) ?? "").split(" ").includes("6"),
      });
    }
    case "F":
      return ok({
        type: "CancelOrder",
        clOrdId: clOrdId(v(Tag.ClOrdID)),
        origClOrdId: clOrdId(v(Tag.OrigClOrdID)),
        account,
        symbol: v(Tag.Symbol),
        side,
      });
    case "G": {
      const ordType = ORD_TYPE[v(Tag.OrdType)]!;
      return ok({
        type: "ReplaceOrder",
        clOrdId: clOrdId(v(Tag.ClOrdID)),
        origClOrdId: clOrdId(v(Tag.OrigClOrdID)),
        account,
        symbol: v(Tag.Symbol),
        side,
        ordType,
        price: ordType === "LIMIT" ? opt(Tag.Price) : null,
        orderQty: v(Tag.OrderQty),
      });
    }
    case "H":
      return ok({
        type: "OrderStatus",
        clOrdId: v(Tag.ClOrdID),
        account,
        symbol: v(Tag.Symbol),
        side,
        ordStatusReqId: opt(Tag.OrdStatusReqID),
      });
    default:
      return err(
        businessReject(
          BusinessRejectReason.UnsupportedMessageType,
          m.def.msgType,
          `MsgType ${m.def.msgType} is not accepted here`,
        ),
      );
  }
};
