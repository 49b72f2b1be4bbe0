// The JSON bodies of the internal API, as JSON Schemas (Fastify validates
// them before a handler runs: a malformed body is a 400 with the reasons) and
// as the TypeScript types the handlers receive.
import type { OrdType, Side, StpMode, TimeInForce } from "@fxcore/domain";

const id = { type: "string", minLength: 1, maxLength: 64, pattern: "^[\\x21-\\x7e]+$" } as const;
const decimal = {
  type: "string",
  minLength: 1,
  maxLength: 32,
  pattern: "^[0-9]+(\\.[0-9]+)?$",
} as const;
const side = { type: "string", enum: ["BUY", "SELL"] } as const;
const ordType = { type: "string", enum: ["LIMIT", "MARKET"] } as const;
const symbolField = { type: "string", minLength: 1, maxLength: 16 } as const;

export const placeSchema = {
  type: "object",
  additionalProperties: false,
  required: ["clOrdId", "account", "symbol", "side", "ordType", "orderQty"],
  properties: {
    clOrdId: id,
    account: id,
    symbol: symbolField,
    side,
    ordType,
    price: decimal,
    orderQty: decimal,
    timeInForce: { type: "string", enum: ["DAY", "GTC", "IOC", "FOK", "GTD"] },
    /** ns since the epoch, as a decimal string. */
    expireTime: { type: "string", pattern: "^[0-9]{1,20}$" },
    minQty: decimal,
    postOnly: { type: "boolean" },
    stpMode: { type: "string", enum: ["NONE", "CANCEL_NEWEST", "CANCEL_OLDEST", "CANCEL_BOTH"] },
  },
} as const;

export const cancelSchema = {
  type: "object",
  additionalProperties: false,
  required: ["clOrdId", "origClOrdId", "account", "symbol", "side"],
  properties: { clOrdId: id, origClOrdId: id, account: id, symbol: symbolField, side },
} as const;

export const replaceSchema = {
  type: "object",
  additionalProperties: false,
  required: ["clOrdId", "origClOrdId", "account", "symbol", "side", "ordType", "orderQty"],
  properties: {
    clOrdId: id,
    origClOrdId: id,
    account: id,
    symbol: symbolField,
    side,
    ordType,
    price: decimal,
    orderQty: decimal,
  },
} as const;

export interface PlaceRequest {
  readonly clOrdId: string;
  readonly account: string;
  readonly symbol: string;
  readonly side: Side;
  readonly ordType: OrdType;
  readonly price?: string;
  readonly orderQty: string;
  readonly timeInForce?: TimeInForce;
  readonly expireTime?: string;
  readonly minQty?: string;
  readonly postOnly?: boolean;
  readonly stpMode?: StpMode;
}

export interface CancelRequest {
  readonly clOrdId: string;
  readonly origClOrdId: string;
  readonly account: string;
  readonly symbol: string;
  readonly side: Side;
}

export interface ReplaceRequest {
  readonly clOrdId: string;
  readonly origClOrdId: string;
  readonly account: string;
  readonly symbol: string;
  readonly side: Side;
  readonly ordType: OrdType;
  readonly price?: string;
  readonly orderQty: string;
}
