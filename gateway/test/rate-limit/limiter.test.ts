import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../../src/rate-limit/limiter.ts";

const limits = { ratePerSec: 10, burst: 5 };
const config = {
  perKey: { order: limits, query: { ratePerSec: 1, burst: 2 } },
  perAccount: { order: { ratePerSec: 10, burst: 7 }, query: limits },
};

describe("rate limiter", () => {
  it("allows a burst, then refuses with Retry-After, then refills", () => {
    const rl = createRateLimiter(config);
    for (let i = 0; i < 5; i++) expect(rl.take("order", "k1", ["A"], 0).allowed).toBe(true);
    const refused = rl.take("order", "k1", ["A"], 0);
    expect(refused).toMatchObject({
      allowed: false,
      scope: "key",
      limit: 5,
      remaining: 0,
      retryAfterSec: 1,
    });
    expect(rl.take("order", "k1", ["A"], 100).allowed).toBe(true); // 10/s: one token after 100 ms
    expect(rl.take("order", "k1", ["A"], 100).allowed).toBe(false);
  });

  it("keeps order entry and queries in separate buckets", () => {
    const rl = createRateLimiter(config);
    for (let i = 0; i < 5; i++) rl.take("order", "k1", ["A"], 0);
    expect(rl.take("order", "k1", ["A"], 0).allowed).toBe(false);
    expect(rl.take("query", "k1", ["A"], 0).allowed).toBe(true);
  });

  it("limits an account across keys, without a refusal draining other buckets", () => {
    const rl = createRateLimiter(config);
    for (let i = 0; i < 5; i++) expect(rl.take("order", "k1", ["A"], 0).allowed).toBe(true);
    expect(rl.take("order", "k2", ["A"], 0).allowed).toBe(true);
    expect(rl.take("order", "k2", ["A"], 0).allowed).toBe(true);
    const refused = rl.take("order", "k2", ["A"], 0);
    expect(refused).toMatchObject({ allowed: false, scope: "account", limit: 7 });
    // k2 was refused by the account: its own bucket still has 3 tokens for account B.
    for (let i = 0; i < 3; i++) expect(rl.take("order", "k2", ["B"], 0).allowed).toBe(true);
    expect(rl.take("order", "k2", ["B"], 0).allowed).toBe(false);
  });

  it("reports remaining tokens and seconds to full", () => {
    const rl = createRateLimiter(config);
    const d = rl.take("order", "k9", ["Z"], 0);
    expect(d).toMatchObject({ allowed: true, limit: 5, remaining: 4, resetSec: 1 });
  });
});
