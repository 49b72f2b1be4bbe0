import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "replay",
    include: ["test/**/*.test.ts"],
    globalSetup: ["../infra/src/testing/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
