import { existsSync } from "node:fs";
import { defineProject } from "vitest/config";

const globalSetup = new URL("../infra/src/testing/global-setup.ts", import.meta.url);

export default defineProject({
  test: {
    name: "projection-service",
    include: ["test/**/*.test.ts"],
    globalSetup: existsSync(globalSetup) ? [globalSetup.pathname] : [],
  },
});
