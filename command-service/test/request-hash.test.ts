import { describe, expect, it } from "vitest";
import { requestHash } from "../src/index.ts";

describe("requestHash (resend detection)", () => {
  const body = {
    clOrdId: "c1",
    account: "A",
    symbol: "EURUSD",
    side: "BUY",
    orderQty: "1000",
    price: "1.1",
  };
  it("ignores key order", () => {
    const reordered = {
      price: "1.1",
      orderQty: "1000",
      side: "BUY",
      symbol: "EURUSD",
      account: "A",
      clOrdId: "c1",
    };
    expect(requestHash("PLACE", reordered)).toBe(requestHash("PLACE", body));
  });
  it("changes with any value, and with the kind of request", () => {
    expect(requestHash("PLACE", { ...body, price: "1.10" })).not.toBe(requestHash("PLACE", body));
    expect(requestHash("PLACE", { ...body, postOnly: false })).not.toBe(requestHash("PLACE", body));
    expect(requestHash("CANCEL", body)).not.toBe(requestHash("PLACE", body));
  });
});
