import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "k8s",
    include: ["test/**/*.test.ts"],
    // Files share a worker, so the overlays are rendered and the CRD schemas
    // compiled once; the tests only read them (mutations work on copies).
    isolate: false,
    // Compiling the CRD schemas takes a few seconds on a busy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
