import { expect, test } from "vitest";
import { hello } from "../src/index.ts";
test("hello", () => { expect(hello(2)).toBe("hi 2"); });
