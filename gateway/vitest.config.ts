import { existsSync } from "node:fs";
import { defineProject } from "vitest/config";

// Integration tests (*.it.test.ts) need real Postgres: the shared infra
// globalSetup starts it once for every project, when it exists.
const globalSetup = "../infra/src/testing/global-setup.ts";

export default defineProject({
  test: {
    name: "gateway",
    include: ["test/**/*.test.ts"],
    globalSetup: existsSync(new URL(globalSetup, import.meta.url)) ? [globalSetup] : [],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
