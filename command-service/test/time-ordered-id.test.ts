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
  it("fills every random digit of the tail with varying hex (none fixed, none out of range)", () => {
    const ids = Array.from({ length: 2_000 }, () => uuidV7(1_763_000_000_000));
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (const id of ids) for (let i = 0; i < 36; i++) seen[i]?.add(id[i] as string);
    // 13..35: "-7xxx-yxxx-xxxxxxxxxxxx"; dashes and the version fixed, y one of 8 9 a b.
    for (let i = 14; i < 36; i++) {
      const values = [...(seen[i] as Set<string>)].sort().join("");
      if (i === 18 || i === 23) expect(values).toBe("-");
      else if (i === 14) expect(values).toBe("7");
      else if (i === 19) expect(values).toBe("89ab");
      else expect(values).toBe("0123456789abcdef");
    }
  });
});
