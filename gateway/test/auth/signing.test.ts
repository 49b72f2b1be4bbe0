import { createHash, createHmac, createSecretKey, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ActiveKey, authenticate } from "../../src/auth/authenticate.ts";
import { resolveAccount, readableAccounts } from "../../src/auth/principal.ts";
import { createReplayCache } from "../../src/auth/replay-cache.ts";
import { open, parseMasterKey, seal } from "../../src/auth/secret-box.ts";
import { canonicalString, hmacSha256Hex, sign, signedHeaders } from "../../src/auth/signing.ts";

const secret = randomBytes(32);
const key: ActiveKey = {
  principal: { keyId: "k1", accounts: ["ACC1"], roles: ["trader"] },
  secret,
};
const keys = { find: async (id: string) => (id === "k1" ? key : null) };
const body = '{"MsgType":"D"}';
const NOW = 1_790_000_000_000;

const request = (
  headers: Record<string, string>,
  over: Partial<{ method: string; url: string; body: string }> = {},
) => ({
  headers,
  method: over.method ?? "POST",
  url: over.url ?? "/v1/fix",
  body: over.body ?? body,
});

describe("request signing", () => {
  it("is HMAC-SHA256 over timestamp, method, path and body hash", () => {
    const bodyHash = createHash("sha256").update(body).digest("hex");
    expect(canonicalString("123", "post", "/v1/fix?x=1", body)).toBe(
      `123\nPOST\n/v1/fix?x=1\n${bodyHash}`,
    );
    const expected = createHmac("sha256", secret)
      .update(`123\nPOST\n/v1/fix\n${bodyHash}`)
      .digest("hex");
    expect(sign(secret, "123", "POST", "/v1/fix", body)).toBe(expected);
  });

  it("signs the canonical string exactly, whatever the method, path and body (written in place)", () => {
    // sign() writes the four parts of the canonical string into the key's
    // buffer instead of building the string: it must equal the HMAC of it.
    const raw = randomBytes(32);
    const keys = [raw, createSecretKey(raw)];
    fc.assert(
      fc.property(
        fc.string({ maxLength: 15 }),
        fc.oneof(
          fc.constantFrom("POST", "GET", "post", "Get", "straße"),
          fc.string({ maxLength: 8 }),
        ),
        fc.oneof(fc.constant("/v1/fix"), fc.string({ unit: "grapheme", maxLength: 300 })),
        fc.oneof(fc.string({ unit: "binary", maxLength: 400 }), fc.uint8Array({ maxLength: 200 })),
        fc.nat(1),
        (ts, method, path, b, k) => {
          const body = typeof b === "string" ? b : Buffer.from(b);
          const expected = createHmac("sha256", raw)
            .update(canonicalString(ts, method, path, body))
            .digest("hex");
          expect(sign(keys[k]!, ts, method, path, body)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("computes HMAC-SHA256 as node's createHmac does, for every key and message length class", () => {
    // Keys shorter than, equal to and longer than a block (hashed first); the
    // same key again with longer messages (its scratch buffer grows), UTF-8.
    for (const keyLength of [0, 1, 32, 63, 64, 65, 200]) {
      const raw = randomBytes(keyLength);
      for (const k of [raw, createSecretKey(keyLength === 0 ? Buffer.alloc(0) : raw)]) {
        for (const message of [
          "",
          "a",
          "x".repeat(255),
          "é€😀\n".repeat(40),
          "y".repeat(5000),
          "z",
        ])
          expect(hmacSha256Hex(k, message)).toBe(
            createHmac("sha256", raw).update(message).digest("hex"),
          );
      }
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 130 }), fc.string({ maxLength: 600 }), (k, m) => {
        const raw = Buffer.from(k);
        expect(hmacSha256Hex(raw, m)).toBe(createHmac("sha256", raw).update(m).digest("hex"));
      }),
      { numRuns: 300 },
    );
  });

  it("accepts a fresh signature once and refuses its replay", async () => {
    const cache = createReplayCache({ retentionMs: 10_000, maxEntries: 100 });
    const h = signedHeaders("k1", secret, "POST", "/v1/fix", body, NOW);
    expect(await authenticate(request(h), keys, cache, NOW + 100)).toEqual({
      ok: true,
      principal: key.principal,
    });
    expect(await authenticate(request(h), keys, cache, NOW + 200)).toMatchObject({
      ok: false,
      error: { code: "REPLAYED_SIGNATURE" },
    });
  });

  it("refuses any tampering with method, path, body, key or signature", async () => {
    fc.assert(
      fc.asyncProperty(fc.constantFrom("method", "url", "body", "sig", "key"), async (what) => {
        const cache = createReplayCache({ retentionMs: 10_000, maxEntries: 100 });
        const h = signedHeaders("k1", secret, "POST", "/v1/fix", body, NOW);
        const r =
          what === "method"
            ? request(h, { method: "PUT" })
            : what === "url"
              ? request(h, { url: "/v1/fix?a=1" })
              : what === "body"
                ? request(h, { body: body.replace("D", "F") })
                : what === "sig"
                  ? request({
                      ...h,
                      "fx-signature": sign(
                        randomBytes(32),
                        h["fx-timestamp"]!,
                        "POST",
                        "/v1/fix",
                        body,
                      ),
                    })
                  : request({ ...h, "fx-key": "k2" });
        const out = await authenticate(r, keys, cache, NOW);
        expect(out.ok).toBe(false);
        if (!out.ok) expect(out.error.code).toBe(what === "key" ? "UNKNOWN_KEY" : "BAD_SIGNATURE");
      }),
      { numRuns: 20 },
    );
  });

  it("answers clock skew beyond ±5 s with the server time", async () => {
    const cache = createReplayCache({ retentionMs: 10_000, maxEntries: 100 });
    for (const skew of [-5_001, 5_001, 60_000]) {
      const h = signedHeaders("k1", secret, "POST", "/v1/fix", body, NOW + skew);
      expect(await authenticate(request(h), keys, cache, NOW)).toEqual({
        ok: false,
        error: expect.objectContaining({ code: "CLOCK_SKEW", serverTime: NOW }),
      });
    }
    const edge = signedHeaders("k1", secret, "POST", "/v1/fix", body, NOW - 5_000);
    expect((await authenticate(request(edge), keys, cache, NOW)).ok).toBe(true);
  });

  it("names missing credentials", async () => {
    const cache = createReplayCache({ retentionMs: 10_000, maxEntries: 100 });
    expect(await authenticate(request({}), keys, cache, NOW)).toMatchObject({
      ok: false,
      error: { code: "MISSING_CREDENTIALS" },
    });
  });
});

describe("replay cache", () => {
  it("remembers for at least one retention period, forgets after two, and is bounded", () => {
    const c = createReplayCache({ retentionMs: 10_000, maxEntries: 3 });
    expect(c.check("a", 0)).toBe("fresh");
    expect(c.check("a", 9_999)).toBe("replayed");
    expect(c.check("b", 10_000)).toBe("fresh"); // rotation: "a" now in the old generation
    expect(c.check("a", 19_999)).toBe("replayed");
    expect(c.check("a", 20_000)).toBe("fresh"); // a second rotation dropped it
    expect(c.check("c", 20_001)).toBe("fresh"); // holds a, b (old generation), c
    expect(c.check("d", 20_002)).toBe("full");
    expect(c.size).toBe(3);
  });

  it("tells every signature of a busy window from its replay, across growth and rotation", () => {
    const c = createReplayCache({ retentionMs: 10_000, maxEntries: 1_000_000 });
    const sigs = Array.from({ length: 50_000 }, () => randomBytes(32).toString("hex"));
    for (const [i, s] of sigs.entries()) expect(c.check(s, i % 10_000)).toBe("fresh");
    expect(c.size).toBe(50_000);
    for (const s of sigs) expect(c.check(s, 9_999)).toBe("replayed");
    expect(c.check(sigs[7]!, 15_000)).toBe("replayed"); // in the old generation now
    expect(c.check(randomBytes(32).toString("hex"), 15_000)).toBe("fresh");
    expect(c.check(sigs[7]!, 25_000)).toBe("fresh"); // two rotations later: forgotten
  });
});

describe("secrets at rest", () => {
  const master = randomBytes(32);
  it("seals with AES-GCM bound to the key id", () => {
    const s = seal(master, "k1", secret);
    expect(s.ciphertext.equals(secret)).toBe(false);
    expect(open(master, "k1", s)?.equals(secret)).toBe(true);
    expect(open(master, "k2", s)).toBeNull();
    expect(open(randomBytes(32), "k1", s)).toBeNull();
  });
  it("takes a 32-byte master key as hex or base64 only", () => {
    expect(parseMasterKey(master.toString("hex"))).toEqual({ ok: true, key: master });
    expect(parseMasterKey(master.toString("base64"))).toEqual({ ok: true, key: master });
    expect(parseMasterKey(undefined).ok).toBe(false);
    expect(parseMasterKey("c2hvcnQ=").ok).toBe(false);
  });
});

describe("account scoping", () => {
  const trader = { keyId: "t", accounts: ["ACC1"], roles: ["trader"] as const };
  it("a trader acts on its own account only", () => {
    expect(resolveAccount(trader, "trade", "ACC1")).toEqual({ ok: true, account: "ACC1" });
    expect(resolveAccount(trader, "trade", undefined)).toEqual({ ok: true, account: "ACC1" });
    expect(resolveAccount(trader, "trade", "ACC2")).toEqual({ ok: false, why: "account" });
    expect(resolveAccount(trader, "read", "ACC2")).toEqual({ ok: false, why: "account" });
    expect(resolveAccount({ ...trader, accounts: ["ACC1", "ACC2"] }, "trade", undefined)).toEqual({
      ok: false,
      why: "ambiguous",
    });
  });
  it("readers cannot trade; only a regulator's * reads everything", () => {
    const dash = { keyId: "d", accounts: ["ACC1"], roles: ["dashboard"] as const };
    expect(resolveAccount(dash, "trade", "ACC1")).toEqual({ ok: false, why: "role" });
    expect(
      resolveAccount({ keyId: "o", accounts: ["ACC1"], roles: ["ops"] }, "read", "ACC1"),
    ).toEqual({ ok: false, why: "role" });
    const reg = { keyId: "r", accounts: ["*"], roles: ["regulator"] as const };
    expect(resolveAccount(reg, "read", "ANY")).toEqual({ ok: true, account: "ANY" });
    expect(resolveAccount(reg, "trade", "ANY")).toEqual({ ok: false, why: "role" });
    expect(readableAccounts(reg)).toBeNull();
    expect(readableAccounts({ keyId: "x", accounts: ["*"], roles: ["trader"] })).toEqual([]);
  });
});
