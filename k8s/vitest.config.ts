import { defineProject } from "vitest/config";

export default defineProject({
  // Compiling the CRD schemas takes a few seconds on a busy 2-core machine.
  test: { name: "k8s", include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
});
