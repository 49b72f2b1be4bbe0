import { existsSync } from "node:fs";
import { defineProject } from "vitest/config";

const globalSetup = "../infra/src/testing/global-setup.ts";

export default defineProject({
  test: {
    name: "schemas",
    include: ["test/**/*.test.ts"],
    globalSetup: existsSync(new URL(globalSetup, import.meta.url)) ? [globalSetup] : [],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
