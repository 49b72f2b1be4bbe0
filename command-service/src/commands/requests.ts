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

/** Most items in one order batch (ADR 066); a gateway batch is one event-loop turn's orders (64 by default). */
export const MAX_BATCH_ITEMS = 256;

/** POST /orders/batch as a whole: only its shape; each item is validated on its own (a bad item is that item's 400). */
export const batchSchema = {
  type: "object",
  additionalProperties: false,
  required: ["items"],
  properties: {
    items: { type: "array", minItems: 1, maxItems: MAX_BATCH_ITEMS },
  },
} as const;

/** One batch item around its command: who calls (verified by the gateway) and the trace it continues. */
export const batchItemSchema = {
  type: "object",
  additionalProperties: false,
  required: ["caller", "command"],
  properties: {
    caller: {
      type: "object",
      additionalProperties: false,
      required: ["accounts"],
      properties: {
        keyId: { type: "string", maxLength: 128 },
        accounts: { type: "array", maxItems: 64, items: id },
        roles: { type: "array", maxItems: 16, items: { type: "string", maxLength: 64 } },
      },
    },
    traceparent: { type: "string", maxLength: 128 },
    tracestate: { type: "string", maxLength: 512 },
    correlationId: { type: "string", minLength: 1, maxLength: 128 },
    command: {
      type: "object",
      required: ["kind"],
      properties: { kind: { type: "string", enum: ["place", "cancel", "replace"] } },
    },
  },
} as const;

/** A single endpoint's body schema plus the batch's `kind` discriminator. */
const withKind = <S extends { required: readonly string[]; properties: object }>(
  kind: string,
  schema: S,
) => ({
  ...schema,
  required: [...schema.required, "kind"],
  properties: { ...schema.properties, kind: { type: "string", const: kind } },
});

export const batchCommandSchemas = {
  place: withKind("place", placeSchema),
  cancel: withKind("cancel", cancelSchema),
  replace: withKind("replace", replaceSchema),
} as const;

export interface BatchItem {
  readonly caller: {
    readonly keyId?: string;
    readonly accounts: readonly string[];
    readonly roles?: readonly string[];
  };
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly correlationId?: string;
  readonly command:
    | ({ readonly kind: "place" } & PlaceRequest)
    | ({ readonly kind: "cancel" } & CancelRequest)
    | ({ readonly kind: "replace" } & ReplaceRequest);
}
