import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { chainHash, extendChain, GENESIS_HASH } from "../../src/audit/chain.ts";

const reference = (prev: Buffer, canonical: Buffer) =>
  createHash("sha256")
    .update(Buffer.concat([prev, canonical]))
    .digest();

describe("audit chain hash", () => {
  it("given records of any size, then each hash is SHA-256(prev_hash || canonical bytes)", () => {
    for (const size of [0, 1, 360, 4063, 4064, 4065, 10_000, 50, 9_000, 3]) {
      const prev = randomBytes(32);
      const canonical = randomBytes(size);
      expect(chainHash(prev, canonical).equals(reference(prev, canonical))).toBe(true);
    }
  });

  it("given a chain of events, then each record links to the one before from the genesis hash", () => {
    const events = [10, 5000, 20].map((n, i) => ({
      eventId: `e${i}`,
      eventType: "OrderAccepted",
      canonical: randomBytes(n),
    }));
    const records = extendChain(undefined, "EURUSD", events);
    let prev = GENESIS_HASH;
    for (const [i, r] of records.entries()) {
      expect(r.chainSeq).toBe(i + 1);
      expect(r.prevHash.equals(prev)).toBe(true);
      expect(r.hash.equals(reference(prev, events[i]!.canonical))).toBe(true);
      prev = r.hash;
    }
  });
});
