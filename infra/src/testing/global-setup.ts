import type { TestProject } from "vitest/node";
import { acquireInfra } from "../local/infra-source.ts";
import type { InfraSettings } from "../local/local-infra.ts";
import "./provided-context.ts";

// vitest globalSetup for workspaces with *.it.test.ts: starts (or reuses) the
// shared Kafka, schema registry and Postgres once per run and provides their
// settings to tests (inject("KAFKA_BROKERS") etc., or infraSettings() from
// "@fxcore/infra/testing"); process.env is set too, for child processes.
// At the end, infra the harness started is stopped by the last run using it,
// unless FXCORE_KEEP_INFRA=1 (then `npm run infra:down` stops it).

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const handle = await acquireInfra();
  const settings: InfraSettings = handle.settings;
  for (const [key, value] of Object.entries(settings)) {
    process.env[key] = value;
    project.provide(key as keyof InfraSettings, value);
  }
  project.provide("FXCORE_INFRA_SOURCE", handle.source);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await handle.release({ keep: process.env.FXCORE_KEEP_INFRA === "1" });
  };
  // Ctrl-C during a run: give the infra back (the last user stops it) before exiting.
  const onSignal = (signal: NodeJS.Signals) => {
    void release().finally(() => process.kill(process.pid, signal));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return async () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await release();
  };
}
