import { existsSync } from "node:fs";
import { defineProject } from "vitest/config";

const globalSetup = "../infra/src/testing/global-setup.ts";

export default defineProject({
  test: {
    name: "command-service",
    include: ["test/**/*.test.ts"],
    globalSetup: existsSync(new URL(globalSetup, import.meta.url)) ? [globalSetup] : [],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
