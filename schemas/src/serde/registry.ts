// The registry as the serde needs it, through @kafkajs/confluent-schema-registry
// (Confluent API; locally Apicurio's ccompat API). Registration goes through
// the library so the subject's compatibility is pinned on first use.

import { COMPATIBILITY, SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { err, ok, type Result } from "@fxcore/domain";
import type { AvroType } from "../catalog/avro-types.ts";
import type { SchemaVersion } from "../catalog/catalog.ts";
import { RegistryUnavailableError } from "./decode-error.ts";

/** Every subject is checked against ALL its earlier versions (ADR 021). */
export const COMPATIBILITY_LEVEL = COMPATIBILITY.BACKWARD_TRANSITIVE;

/** TopicRecordNameStrategy: several record types share a topic, each evolves on its own (ADR 021). */
export const subjectName = (topic: string, recordFullName: string): string =>
  `${topic}-${recordFullName}`;

export interface RegistryClient {
  readonly url: string;
  readonly api: SchemaRegistry;
}

export function createRegistryClient(url: string): RegistryClient {
  const base = url.replace(/\/+$/, "");
  return {
    url: base,
    api: new SchemaRegistry({
      host: base,
      clientId: "fxcore-schemas",
      retry: { retries: 3, initialRetryTimeInSecs: 0.1, maxRetryTimeInSecs: 2 },
    }),
  };
}

const statusOf = (e: unknown): number | undefined =>
  typeof e === "object" && e !== null && typeof (e as { status?: unknown }).status === "number"
    ? (e as { status: number }).status
    : undefined;

export interface RegistrationRefused {
  readonly status: 409 | 422;
  readonly message: string;
}

/** Registers one schema version under a subject; a refusal (e.g. 409 incompatible) is a value. */
export async function registerSchema(
  registry: RegistryClient,
  subject: string,
  version: Pick<SchemaVersion, "schema">,
): Promise<Result<number, RegistrationRefused>> {
  const attempt = () =>
    registry.api.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(version.schema) },
      { subject, compatibility: COMPATIBILITY_LEVEL },
    );
  try {
    for (let tries = 1; ; tries++) {
      try {
        return ok((await attempt()).id);
      } catch (e) {
        // Another process registering the same new subject pinned it between
        // our register and our pin: the subject is fine now, ask again.
        if (isConcurrentPin(e) && tries < 5) continue;
        if (!isLevelMismatch(e) || tries >= 5) throw e;
        // Apicurio reports NONE for a subject that exists but was never pinned
        // (e.g. a concurrent first registration that has not pinned it yet): pin it and retry.
        // Pinned to our level by then (that registration caught up): just ask again.
        const level = await getCompatibility(registry.url, subject);
        if (level === "NONE") await setCompatibility(registry.url, COMPATIBILITY_LEVEL, subject);
        else if (level !== COMPATIBILITY_LEVEL) throw e;
      }
    }
  } catch (e) {
    if (isLevelMismatch(e)) {
      // Pinned to another level on purpose: a deployment error, not a transient one.
      throw new Error(`${subject}: ${(e as Error).message}; expected ${COMPATIBILITY_LEVEL}`, {
        cause: e,
      });
    }
    const status = statusOf(e);
    // 409: incompatible with earlier versions; 422: not a valid schema. Anything else is the registry, not the schema.
    if (status !== 409 && status !== 422) {
      throw new RegistryUnavailableError(`registering ${subject}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return err({ status, message: (e as Error).message });
  }
}

/** Apicurio's 409 when two clients pin a new subject at once (not an incompatible schema). */
const isConcurrentPin = (e: unknown): boolean =>
  statusOf(e) === 409 && /rule named 'COMPATIBILITY' already exists/i.test((e as Error).message);

const isLevelMismatch = (e: unknown): boolean =>
  (e as Error | undefined)?.name === "ConfluentSchemaRegistryCompatibilityError";

/** The writer's schema for an id (the library caches by id); undefined when the registry has no such id. */
export async function writerSchemaById(
  registry: RegistryClient,
  id: number,
): Promise<AvroType | undefined> {
  try {
    return (await registry.api.getSchema(id)) as unknown as AvroType;
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw new RegistryUnavailableError(`fetching schema id ${id}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** PUT /config (global) or /config/{subject}: the compatibility the registry enforces. */
export async function setCompatibility(
  url: string,
  level: COMPATIBILITY = COMPATIBILITY_LEVEL,
  subject?: string,
): Promise<void> {
  const path = subject === undefined ? "/config" : `/config/${encodeURIComponent(subject)}`;
  const res = await fetch(`${url.replace(/\/+$/, "")}${path}`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify({ compatibility: level }),
  });
  if (res.ok) return;
  const text = await res.text();
  // Pinned by a concurrent client in the meantime: registration checks the level it set.
  if (res.status === 409 && /already exists/i.test(text)) return;
  throw new RegistryUnavailableError(`PUT ${path}: ${res.status} ${text}`);
}

export async function getCompatibility(url: string, subject?: string): Promise<string | undefined> {
  const path = subject === undefined ? "/config" : `/config/${encodeURIComponent(subject)}`;
  const res = await fetch(`${url.replace(/\/+$/, "")}${path}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new RegistryUnavailableError(`GET ${path}: ${res.status}`);
  return ((await res.json()) as { compatibilityLevel?: string }).compatibilityLevel;
}
