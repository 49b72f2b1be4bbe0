import { defineConfig } from "vitest/config";

// One vitest run covers every workspace. Each workspace has its own
// vitest.config.ts; those with integration tests add the shared infra
// globalSetup (started once, reused by the others).
export default defineConfig({
  test: {
    projects: ["*/vitest.config.ts"],
  },
});
