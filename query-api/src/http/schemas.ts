// JSON Schemas of every request and response: Fastify validates requests
// with them, serialises responses with them, and @fastify/swagger turns them
// into the OpenAPI 3 document.

const str = { type: "string" } as const;
const strOrNull = { type: ["string", "null"] } as const;
const int = { type: "integer" } as const;
const intOrNull = { type: ["integer", "null"] } as const;

export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 100;

export const symbolParam = {
  type: "string",
  pattern: "^[A-Z]{6}$",
  description: "Pair code, e.g. EURUSD",
} as const;
export const accountParam = {
  type: "string",
  minLength: 1,
  maxLength: 64,
  pattern: "^[A-Za-z0-9_.-]+$",
} as const;
export const limitParam = {
  type: "integer",
  minimum: 1,
  maximum: MAX_LIMIT,
  default: DEFAULT_LIMIT,
} as const;
export const cursorParam = {
  type: "string",
  maxLength: 200,
  description: "Opaque cursor from a previous page's nextCursor",
} as const;
export const minPositionParam = {
  type: "string",
  pattern: "^[0-9]{1,18}$",
  description:
    "Read-your-writes: wait (bounded) until the projection has applied the event at this event-store position",
} as const;

export const order = {
  $id: "Order",
  type: "object",
  properties: {
    orderId: str,
    clOrdId: str,
    origClOrdId: strOrNull,
    account: str,
    symbol: str,
    side: str,
    ordType: strOrNull,
    timeInForce: strOrNull,
    price: strOrNull,
    orderQty: intOrNull,
    ordStatus: {
      type: "string",
      description: "FIX 39: 0 new, 1 partial, 2 filled, 4 canceled, 8 rejected, C expired",
    },
    cumQty: int,
    leavesQty: int,
    avgPx: str,
    text: strOrNull,
    createdAt: strOrNull,
    updatedAt: strOrNull,
  },
} as const;

export const execution = {
  $id: "Execution",
  type: "object",
  properties: {
    seq: { type: "integer", description: "Gapless per-account sequence; resume cursor" },
    account: str,
    execId: str,
    msgType: { type: "string", description: "8 ExecutionReport, 9 OrderCancelReject" },
    execType: strOrNull,
    ordStatus: strOrNull,
    orderId: strOrNull,
    clOrdId: str,
    origClOrdId: strOrNull,
    symbol: str,
    side: strOrNull,
    ordType: strOrNull,
    price: strOrNull,
    orderQty: intOrNull,
    lastQty: intOrNull,
    lastPx: strOrNull,
    cumQty: int,
    leavesQty: int,
    avgPx: str,
    rejectReason: intOrNull,
    cxlRejResponseTo: strOrNull,
    text: strOrNull,
    transactTime: strOrNull,
  },
} as const;

export const trade = {
  $id: "Trade",
  type: "object",
  properties: {
    symbol: str,
    seq: int,
    execId: str,
    price: str,
    qty: int,
    aggressorSide: str,
    transactTime: str,
  },
} as const;

export const level = {
  $id: "Level",
  type: "object",
  properties: { price: str, qty: str, orders: int },
} as const;

export const candle = {
  $id: "Candle",
  type: "object",
  properties: {
    symbol: str,
    interval: str,
    start: str,
    open: str,
    high: str,
    low: str,
    close: str,
    volume: str,
    trades: int,
  },
} as const;

export const position = {
  $id: "Position",
  type: "object",
  properties: {
    account: str,
    symbol: str,
    netQty: str,
    avgPx: strOrNull,
    realisedPnl: { type: "string", description: "In the quote currency" },
    boughtQty: str,
    soldQty: str,
  },
} as const;

export const balance = {
  $id: "Balance",
  type: "object",
  properties: { currency: str, amount: str },
} as const;

export const ref = (id: string) => ({ $ref: `${id}#` }) as const;
export const page = (item: string) =>
  ({
    type: "object",
    properties: { items: { type: "array", items: ref(item) }, nextCursor: strOrNull },
  }) as const;

export const errorResponses = {
  400: ref("Problem"),
  401: ref("Problem"),
  403: ref("Problem"),
  503: ref("Problem"),
} as const;
