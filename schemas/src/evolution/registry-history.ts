// The same evolution check against the registry: register every committed
// version of every type in order under its subject; with BACKWARD_TRANSITIVE
// each registration is checked against all earlier ones by the registry itself.

import type { SchemaCatalog, SchemaVersion } from "../catalog/catalog.ts";
import {
  type RegistrationRefused,
  type RegistryClient,
  registerSchema,
  subjectName,
} from "../serde/registry.ts";

export interface RegistrationOutcome {
  readonly subject: string;
  readonly version: number;
  readonly result:
    | { readonly ok: true; readonly value: number }
    | { readonly ok: false; readonly error: RegistrationRefused };
}

export async function registerVersions(
  registry: RegistryClient,
  topic: string,
  versions: readonly SchemaVersion[],
): Promise<RegistrationOutcome[]> {
  const out: RegistrationOutcome[] = [];
  for (const v of versions) {
    const subject = subjectName(topic, v.fullName);
    out.push({ subject, version: v.version, result: await registerSchema(registry, subject, v) });
  }
  return out;
}

export async function registerHistory(
  registry: RegistryClient,
  topic: string,
  catalog: SchemaCatalog,
): Promise<RegistrationOutcome[]> {
  const out: RegistrationOutcome[] = [];
  for (const name of catalog.names) {
    out.push(...(await registerVersions(registry, topic, catalog.versions(name))));
  }
  return out;
}
