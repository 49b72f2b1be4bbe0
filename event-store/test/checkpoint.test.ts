import { describe, expect, it } from "vitest";
import { decodeCheckpoint, encodeCheckpoint, type LogCheckpoint, logStart } from "../src/index.ts";

describe("Postgres log checkpoint", () => {
  it("round-trips transaction id and position, beyond 2^53", () => {
    const c = encodeCheckpoint(9_007_199_254_740_993n, 42n);
    expect(c).toBe("9007199254740993/42");
    expect(decodeCheckpoint(c)).toEqual({ transactionId: 9_007_199_254_740_993n, position: 42n });
  });
  it("the start of the log is before everything", () => {
    expect(decodeCheckpoint(logStart)).toEqual({ transactionId: 0n, position: 0n });
  });
  it("refuses what is not a checkpoint", () => {
    for (const bad of ["12", "a/b", "1/2/3", "-1/2", " 1/2", "1:2"])
      expect(() => decodeCheckpoint(bad as LogCheckpoint)).toThrow(/not a Postgres log checkpoint/);
  });
});
