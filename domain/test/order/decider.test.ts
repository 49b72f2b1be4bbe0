import { describe, expect, it } from "vitest";
import {
  type CancelOrder,
  clOrdId,
  CxlRejReason,
  nextSessionClose,
  notional,
  OrdRejReason,
  orderId,
  type PlaceOrder,
  priceTicks,
  qty,
  timestampNs,
} from "../../src/index.ts";
import { accepted, cancelled, replaced, replaceRequested, trade } from "../support/events.ts";
import {
  ACCOUNT,
  cancel,
  cancelContext,
  place,
  placeContext,
  profile,
  replace,
  replaceContext,
  riskContext,
  SECOND,
  T0,
} from "../support/fixtures.ts";
import { given } from "../support/given-when-then.ts";

const rejected = (reason: number, text: RegExp = /./, command: PlaceOrder = place()) => ({
  type: "OrderRejected",
  orderId: command.orderId,
  clOrdId: command.clOrdId,
  account: command.account,
  symbol: command.symbol,
  side: command.side,
  reason,
  text: expect.stringMatching(text),
  transactTime: command.transactTime,
});

describe("PlaceOrder", () => {
  it("accepts a valid GTC limit order, converting price and quantity exactly", () => {
    given()
      .when(place(), placeContext())
      .then(accepted({ price: priceTicks(110_000), qty: qty(1_000_000), expireTime: null }));
  });

  it("stamps a DAY order with the next 17:00 New York close", () => {
    const [e] = given()
      .when(place({ tif: "DAY" }), placeContext())
      .then(accepted({ tif: "DAY", expireTime: nextSessionClose(T0) }));
    // T0 is Monday 2024-06-10 12:00 UTC: the close is 21:00 UTC the same day (EDT).
    expect(e?.type === "OrderAccepted" && e.expireTime).toBe(
      timestampNs(1_718_053_200_000_000_000n),
    );
  });

  it("keeps a GTD order's ExpireTime", () => {
    const expireTime = timestampNs(T0 + 3600n * SECOND);
    given()
      .when(place({ tif: "GTD", expireTime }), placeContext())
      .then(accepted({ tif: "GTD", expireTime }));
  });

  it("accepts a MARKET IOC order with no price, MinQty on IOC, post-only GTC, STP modes", () => {
    given()
      .when(place({ ordType: "MARKET", price: null, tif: "IOC", minQty: "5000" }), placeContext())
      .then(accepted({ ordType: "MARKET", price: null, tif: "IOC", minQty: qty(5_000) }));
    given()
      .when(place({ postOnly: true, stpMode: "CANCEL_OLDEST" }), placeContext())
      .then(accepted({ postOnly: true, stpMode: "CANCEL_OLDEST" }));
  });

  describe("rejects", () => {
    it.each([
      [
        "duplicate ClOrdID (6)",
        place(),
        placeContext({ duplicateClOrdId: true }),
        OrdRejReason.DuplicateOrder,
        /duplicate ClOrdID C-1/,
      ],
      [
        "unknown symbol (1)",
        place({ symbol: "EURXYZ" }),
        placeContext(),
        OrdRejReason.UnknownSymbol,
        /unknown symbol/,
      ],
      [
        "display-form symbol (1)",
        place({ symbol: "EUR/USD" }),
        placeContext(),
        OrdRejReason.UnknownSymbol,
        /unknown symbol/,
      ],
      [
        "instrument disabled (2)",
        place({ symbol: "USDTRY" }),
        placeContext(),
        OrdRejReason.ExchangeClosed,
        /not open/,
      ],
      [
        "unknown account (15)",
        place(),
        placeContext({ risk: riskContext({ profile: null }) }),
        OrdRejReason.UnknownAccount,
        /unknown account/,
      ],
      [
        "profile of another account (15)",
        place(),
        placeContext({ risk: riskContext({ profile: profile({ account: "ACC-2" as never }) }) }),
        OrdRejReason.UnknownAccount,
        /unknown account/,
      ],
      [
        "disabled account (99)",
        place(),
        placeContext({ risk: riskContext({ profile: profile({ enabled: false }) }) }),
        OrdRejReason.Other,
        /disabled/,
      ],
      [
        "price on a MARKET order (11)",
        place({ ordType: "MARKET", tif: "IOC" }),
        placeContext(),
        OrdRejReason.UnsupportedOrderCharacteristic,
        /no price/,
      ],
      [
        "post-only MARKET (11)",
        place({ ordType: "MARKET", price: null, tif: "IOC", postOnly: true }),
        placeContext(),
        OrdRejReason.UnsupportedOrderCharacteristic,
        /post-only/,
      ],
      [
        "MARKET GTC (11)",
        place({ ordType: "MARKET", price: null, tif: "GTC" }),
        placeContext(),
        OrdRejReason.UnsupportedOrderCharacteristic,
        /GTC/,
      ],
      [
        "post-only IOC (11)",
        place({ tif: "IOC", postOnly: true }),
        placeContext(),
        OrdRejReason.UnsupportedOrderCharacteristic,
        /must rest/,
      ],
      [
        "FOK with MinQty (11)",
        place({ tif: "FOK", minQty: "1000" }),
        placeContext(),
        OrdRejReason.UnsupportedOrderCharacteristic,
        /MinQty/,
      ],
      [
        "ExpireTime without GTD (11)",
        place({ expireTime: timestampNs(T0 + SECOND) }),
        placeContext(),
        OrdRejReason.UnsupportedOrderCharacteristic,
        /only allowed with GTD/,
      ],
      [
        "unknown TimeInForce (11)",
        place({ tif: "GTX" as never }),
        placeContext(),
        OrdRejReason.UnsupportedOrderCharacteristic,
        /TimeInForce/,
      ],
      [
        "unknown OrdType (11)",
        place({ ordType: "STOP" as never }),
        placeContext(),
        OrdRejReason.UnsupportedOrderCharacteristic,
        /OrdType/,
      ],
      [
        "unknown STP mode (11)",
        place({ stpMode: "DECREMENT" as never }),
        placeContext(),
        OrdRejReason.UnsupportedOrderCharacteristic,
        /self-trade/,
      ],
      [
        "empty ClOrdID (99)",
        place({ clOrdId: clOrdId("") }),
        placeContext(),
        OrdRejReason.Other,
        /ClOrdID/,
      ],
      [
        "LIMIT without price (99)",
        place({ price: null }),
        placeContext(),
        OrdRejReason.Other,
        /requires a price/,
      ],
      [
        "malformed quantity (13)",
        place({ orderQty: "1e6" }),
        placeContext(),
        OrdRejReason.IncorrectQuantity,
        /quantity/,
      ],
      [
        "zero quantity (13)",
        place({ orderQty: "0" }),
        placeContext(),
        OrdRejReason.IncorrectQuantity,
        /greater than zero/,
      ],
      [
        "negative quantity (13)",
        place({ orderQty: "-1000" }),
        placeContext(),
        OrdRejReason.IncorrectQuantity,
        /greater than zero/,
      ],
      [
        "fractional quantity (13)",
        place({ orderQty: "1000.5" }),
        placeContext(),
        OrdRejReason.IncorrectQuantity,
        /decimals/,
      ],
      [
        "off-lot quantity (13)",
        place({ orderQty: "1500" }),
        placeContext(),
        OrdRejReason.IncorrectQuantity,
        /lot/,
      ],
      [
        "above the instrument maximum (13)",
        place({ orderQty: "60000000" }),
        placeContext(),
        OrdRejReason.IncorrectQuantity,
        /maximum/,
      ],
      [
        "quantity beyond 2^53 (13)",
        place({ orderQty: "9007199254740993" }),
        placeContext(),
        OrdRejReason.IncorrectQuantity,
        /too large/,
      ],
      [
        "MinQty above OrderQty (13)",
        place({ minQty: "2000000" }),
        placeContext(),
        OrdRejReason.IncorrectQuantity,
        /MinQty/,
      ],
      [
        "MinQty off lot (13)",
        place({ minQty: "1500" }),
        placeContext(),
        OrdRejReason.IncorrectQuantity,
        /MinQty/,
      ],
      [
        "malformed price (99)",
        place({ price: "1,10000" }),
        placeContext(),
        OrdRejReason.Other,
        /price/,
      ],
      [
        "too many price decimals (99)",
        place({ price: "1.100001" }),
        placeContext(),
        OrdRejReason.Other,
        /5 decimals/,
      ],
      [
        "off-tick price (99)",
        place({ symbol: "EURGBP", price: "0.85001" }),
        placeContext({ risk: riskContext({ referencePrice: null }) }),
        OrdRejReason.Other,
        /tick/,
      ],
      [
        "zero price (99)",
        place({ price: "0" }),
        placeContext(),
        OrdRejReason.Other,
        /greater than zero/,
      ],
      [
        "GTD without ExpireTime (99)",
        place({ tif: "GTD" }),
        placeContext(),
        OrdRejReason.Other,
        /GTD requires/,
      ],
      [
        "GTD expiring at TransactTime (99)",
        place({ tif: "GTD", expireTime: T0 }),
        placeContext(),
        OrdRejReason.Other,
        /after TransactTime/,
      ],
      [
        "above the account's max quantity (3)",
        place(),
        placeContext({ risk: riskContext({ profile: profile({ maxOrderQty: qty(999_000) }) }) }),
        OrdRejReason.OrderExceedsLimit,
        /maximum order quantity/,
      ],
      [
        "above the account's max notional (3)",
        place(),
        placeContext({ risk: riskContext({ profile: profile({ maxNotional: 1_000_000n }) }) }),
        OrdRejReason.OrderExceedsLimit,
        /notional/,
      ],
      [
        "outside the price band (3)",
        place({ price: "1.20000" }),
        placeContext(),
        OrdRejReason.OrderExceedsLimit,
        /reference price/,
      ],
      [
        "over the credit limit (3)",
        place(),
        placeContext({
          risk: riskContext({ openExposure: notional(priceTicks(110_000), qty(45_000_000)) }),
        }),
        OrdRejReason.OrderExceedsLimit,
        /credit limit/,
      ],
    ])("%s", (_name, command, context, reason, text) => {
      given()
        .when(command, context)
        .then(rejected(reason, text, command));
    });

    it("a reused order id, without attaching the reject to the existing order", () => {
      given(accepted())
        .when(place({ clOrdId: clOrdId("C-9") }), placeContext())
        .then({
          ...rejected(OrdRejReason.DuplicateOrder, /already in use/),
          orderId: null,
          clOrdId: "C-9",
        });
    });

    it("checks in a fixed order: duplicate before symbol before characteristics before quantity", () => {
      const bad = place({ symbol: "NOPE", orderQty: "x", ordType: "MARKET" });
      const eur = { ...bad, symbol: "EURUSD" };
      given()
        .when(bad, placeContext({ duplicateClOrdId: true }))
        .then(rejected(OrdRejReason.DuplicateOrder, /duplicate/, bad));
      given()
        .when(bad, placeContext())
        .then(rejected(OrdRejReason.UnknownSymbol, /symbol/, bad));
      given()
        .when(eur, placeContext())
        .then(rejected(OrdRejReason.UnsupportedOrderCharacteristic, /price/, eur));
      const limit = { ...eur, ordType: "LIMIT" as const };
      given()
        .when(limit, placeContext())
        .then(rejected(OrdRejReason.IncorrectQuantity, /quantity/, limit));
    });
  });
});

describe("CancelOrder", () => {
  const requested = {
    type: "OrderCancelRequested",
    orderId: "O-1",
    clOrdId: "C-2",
    origClOrdId: "C-1",
    account: ACCOUNT,
    symbol: "EURUSD",
    side: "BUY",
    transactTime: T0 + SECOND,
  };
  const cxlRejected = (
    reason: number,
    text: RegExp,
    id: string | null = "O-1",
    command: CancelOrder = cancel(),
  ) => ({
    type: "CancelRejected",
    orderId: id,
    clOrdId: command.clOrdId,
    origClOrdId: command.origClOrdId,
    account: command.account,
    symbol: command.symbol,
    reason,
    text: expect.stringMatching(text),
    transactTime: T0 + SECOND,
  });

  it("on a live order becomes a request for the matcher", () => {
    given(accepted()).when(cancel(), cancelContext()).then(requested);
  });

  it("on an order the command side believes filled is still only a request: the matcher answers", () => {
    given(accepted(), trade(1_000_000, 1_000_000, 0))
      .when(cancel(), cancelContext())
      .then(requested);
  });

  it("by any ClOrdID of the order's chain, or of a request still pending", () => {
    const c3 = clOrdId("C-3");
    const c4 = clOrdId("C-4");
    // C-1 accepted, replaced by C-2; C-3 is a replace still pending.
    const history = [
      accepted(),
      replaced(2_000_000, 0),
      replaceRequested({ clOrdId: c3, origClOrdId: clOrdId("C-2") }),
    ];
    for (const orig of ["C-1", "C-2", "C-3"]) {
      given(...history)
        .when(cancel({ clOrdId: c4, origClOrdId: clOrdId(orig) }), cancelContext())
        .then({ ...requested, clOrdId: c4, origClOrdId: orig });
    }
    given(...history)
      .when(cancel({ clOrdId: c4, origClOrdId: clOrdId("C-9") }), cancelContext())
      .then(expect.objectContaining({ type: "CancelRejected", reason: CxlRejReason.UnknownOrder }));
  });

  it.each([
    ["unknown order (1)", [], cancel(), CxlRejReason.UnknownOrder, /unknown order/, null],
    [
      "order rejected at entry (1)",
      "REJECTED",
      cancel(),
      CxlRejReason.UnknownOrder,
      /unknown order/,
      "O-1",
    ],
    [
      "another account's order (1)",
      [accepted()],
      cancel({ account: "ACC-2" as never }),
      CxlRejReason.UnknownOrder,
      /unknown order/,
      "O-1",
    ],
    [
      "OrigClOrdID not of this order (1)",
      [accepted()],
      cancel({ origClOrdId: clOrdId("C-7") }),
      CxlRejReason.UnknownOrder,
      /unknown order/,
      "O-1",
    ],
    [
      "symbol mismatch (99)",
      [accepted()],
      cancel({ symbol: "GBPUSD" }),
      CxlRejReason.Other,
      /symbol/,
      "O-1",
    ],
    [
      "side mismatch (99)",
      [accepted()],
      cancel({ side: "SELL" }),
      CxlRejReason.Other,
      /side/,
      "O-1",
    ],
  ] as const)("rejects: %s", (_name, history, command, reason, text, id) => {
    const events =
      history === "REJECTED"
        ? [{ ...rejected(OrdRejReason.Other), symbol: "EURUSD", text: "x" } as never]
        : [...history];
    given(...events)
      .when(command, cancelContext())
      .then(cxlRejected(reason, text, id, command));
  });

  it("rejects a duplicate ClOrdID (6) before anything else", () => {
    given()
      .when(cancel(), cancelContext({ duplicateClOrdId: true }))
      .then(cxlRejected(CxlRejReason.DuplicateClOrdId, /duplicate/, null));
  });
});

describe("ReplaceOrder", () => {
  const requested = {
    type: "OrderReplaceRequested",
    orderId: "O-1",
    clOrdId: "C-2",
    origClOrdId: "C-1",
    account: ACCOUNT,
    symbol: "EURUSD",
    side: "BUY",
    price: 110_010,
    qty: 2_000_000,
    transactTime: T0 + SECOND,
  };
  const rplRejected = (reason: number, text: RegExp, id: string | null = "O-1") => ({
    type: "ReplaceRejected",
    orderId: id,
    clOrdId: "C-2",
    origClOrdId: "C-1",
    account: ACCOUNT,
    symbol: "EURUSD",
    reason,
    text: expect.stringMatching(text),
    transactTime: T0 + SECOND,
  });

  it("on a known order becomes a request with converted price and total quantity", () => {
    given(accepted()).when(replace(), replaceContext()).then(requested);
  });

  it("after a partial fill, still a request (the matcher checks the new quantity against CumQty)", () => {
    given(accepted(), trade(400_000, 400_000, 600_000))
      .when(replace({ orderQty: "1000" }), replaceContext())
      .then({ ...requested, qty: 1_000 });
  });

  it.each([
    [
      "unknown order (1)",
      false,
      replace(),
      replaceContext(),
      CxlRejReason.UnknownOrder,
      /unknown order/,
    ],
    [
      "duplicate ClOrdID (6)",
      true,
      replace(),
      replaceContext({ duplicateClOrdId: true }),
      CxlRejReason.DuplicateClOrdId,
      /duplicate/,
    ],
    [
      "OrdType change (99)",
      true,
      replace({ ordType: "MARKET", price: null }),
      replaceContext(),
      CxlRejReason.Other,
      /OrdType/,
    ],
    [
      "missing price (99)",
      true,
      replace({ price: null }),
      replaceContext(),
      CxlRejReason.Other,
      /requires a price/,
    ],
    [
      "off-tick/too many decimals price (99)",
      true,
      replace({ price: "1.100105" }),
      replaceContext(),
      CxlRejReason.Other,
      /decimals/,
    ],
    [
      "malformed price (99)",
      true,
      replace({ price: "abc" }),
      replaceContext(),
      CxlRejReason.Other,
      /price/,
    ],
    [
      "zero quantity (99)",
      true,
      replace({ orderQty: "0" }),
      replaceContext(),
      CxlRejReason.Other,
      /quantity/,
    ],
    [
      "off-lot quantity (99)",
      true,
      replace({ orderQty: "1234" }),
      replaceContext(),
      CxlRejReason.Other,
      /lot/,
    ],
    [
      "over the account's limit (99)",
      true,
      replace({ orderQty: "20000000" }),
      replaceContext(),
      CxlRejReason.Other,
      /maximum order quantity/,
    ],
    [
      "outside the price band (99)",
      true,
      replace({ price: "1.30000" }),
      replaceContext(),
      CxlRejReason.Other,
      /reference price/,
    ],
    [
      "disabled account (99)",
      true,
      replace(),
      replaceContext({ risk: riskContext({ profile: profile({ enabled: false }) }) }),
      CxlRejReason.Other,
      /disabled/,
    ],
  ] as const)("rejects: %s", (_name, known, command, context, reason, text) => {
    given(...(known ? [accepted()] : []))
      .when(command, context)
      .then(rplRejected(reason, text, known ? "O-1" : null));
  });

  it("of a MARKET order keeps no price", () => {
    given(accepted({ ordType: "MARKET", price: null, tif: "IOC" }))
      .when(replace({ ordType: "MARKET", price: null }), replaceContext())
      .then({ ...requested, price: null });
  });

  it("after the order was cancelled is still a request (too late is the matcher's answer)", () => {
    given(accepted(), cancelled(1_000_000, 0))
      .when(replace({ origClOrdId: clOrdId("C-1"), clOrdId: clOrdId("C-3") }), replaceContext())
      .then({
        ...requested,
        clOrdId: "C-3",
      });
  });
});

it("decide never touches an order id other than the stream's", () => {
  const events = given(accepted()).when(cancel(), cancelContext()).events;
  expect(events.every((e) => "orderId" in e && e.orderId === orderId("O-1"))).toBe(true);
});
