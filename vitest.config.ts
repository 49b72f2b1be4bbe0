import { defineConfig } from "vitest/config";

// One vitest run covers every workspace. Each workspace has its own
// vitest.config.ts; those with integration tests (*.it.test.ts) add the shared
// infra globalSetup, which starts real Kafka, registry and Postgres once and
// lets every other project reuse them.
export default defineConfig({
  test: {
    projects: ["*/vitest.config.ts"],
    reporters: ["default", "./scripts/vitest-summary-reporter.ts"],
  },
});
