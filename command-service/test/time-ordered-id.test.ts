import { describe, expect, it } from "vitest";
import { uuidV7 } from "../src/commands/time-ordered-id.ts";

describe("uuidV7", () => {
  it("is a version 7, variant 10 UUID carrying the millisecond timestamp", () => {
    const ms = 1_763_000_123_456;
    const id = uuidV7(ms);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(ms);
  });
  it("sorts by creation time and never repeats", () => {
    const ids = Array.from({ length: 5_000 }, (_, i) =>
      uuidV7(1_763_000_000_000 + Math.floor(i / 10)),
    );
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 10; i < ids.length; i += 10)
      expect((ids[i - 10] as string) < (ids[i] as string)).toBe(true);
  });
});
