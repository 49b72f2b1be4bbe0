// The serde every producer and consumer uses: envelopes to Confluent-framed
// Avro and back, resolving each writer's schema (fetched by id, cached) into
// this reader's current schema.

import type { Result } from "@fxcore/domain";
import { loadCatalog, type SchemaCatalog } from "../catalog/catalog.ts";
import type { Envelope, PayloadType } from "../envelope/envelope.ts";
import { planRead, type ReaderPlan, readBody, writeBody } from "./avro-body.ts";
import { type DecodeError, decodeError, EncodeError } from "./decode-error.ts";
import { createRegistryClient, registerSchema, subjectName, writerSchemaById } from "./registry.ts";
import { frame, unframe } from "./wire.ts";

export interface SerdeOptions {
  /** SCHEMA_REGISTRY_URL, the Confluent-compatible base URL. */
  readonly registryUrl: string;
  readonly catalog?: SchemaCatalog;
}

export interface Serde {
  /** Confluent-framed Avro for the envelope; registers the payload type's current schema under `<topic>-fx.events.<Type>` on first use. */
  encode(topic: string, envelope: Envelope): Promise<Buffer>;
  /** The envelope, or why the bytes cannot be one. Throws RegistryUnavailableError only when the registry cannot be asked. */
  decode(bytes: Buffer | null | undefined): Promise<Result<Envelope, DecodeError>>;
  /** Registers the current schema of a type under a topic's subject; returns its id. */
  register(topic: string, type: PayloadType): Promise<number>;
  readonly catalog: SchemaCatalog;
}

export function createSerde(options: SerdeOptions): Serde {
  const catalog = options.catalog ?? loadCatalog();
  const registry = createRegistryClient(options.registryUrl);
  const ids = new Map<string, Promise<number>>();
  const plans = new Map<number, Result<ReaderPlan, DecodeError>>();

  const register = (topic: string, type: PayloadType): Promise<number> => {
    const version = catalog.current(type);
    if (version === undefined) return Promise.reject(new EncodeError(`no schema for ${type}`, []));
    const subject = subjectName(topic, version.fullName);
    let id = ids.get(subject);
    if (id === undefined) {
      id = registerSchema(registry, subject, version).then((r) => {
        if (!r.ok) throw new EncodeError(`registry refused ${subject}: ${r.error.message}`, []);
        return r.value;
      });
      id.catch(() => ids.delete(subject));
      ids.set(subject, id);
    }
    return id;
  };

  const planFor = async (schemaId: number): Promise<Result<ReaderPlan, DecodeError>> => {
    const cached = plans.get(schemaId);
    if (cached !== undefined) return cached;
    const writer = await writerSchemaById(registry, schemaId);
    if (writer === undefined) {
      // Not cached: an id unknown now stays a poison record, asking again is cheap.
      return {
        ok: false,
        error: decodeError("UNKNOWN_SCHEMA_ID", `registry has no schema ${schemaId}`, schemaId),
      };
    }
    const plan = planRead(catalog, writer, schemaId);
    plans.set(schemaId, plan);
    return plan;
  };

  return {
    catalog,
    register,
    async encode(topic, envelope) {
      const body = writeBody(catalog, envelope);
      return frame(await register(topic, envelope.payload.type), body);
    },
    async decode(bytes) {
      const framed = unframe(bytes);
      if (!framed.ok) return framed;
      const plan = await planFor(framed.value.schemaId);
      if (!plan.ok) return plan;
      return readBody(framed.value.body, plan.value, framed.value.schemaId);
    },
  };
}
