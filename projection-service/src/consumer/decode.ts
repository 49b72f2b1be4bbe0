// Kafka record → what the projector needs. A record the serde cannot read, or
// one carrying a command or an unknown event, is a poison record for the DLQ.
import { DOMAIN_EVENT_TYPES, type DomainEvent } from "@fxcore/domain";
import type { ConsumedRecord, DecodeResult } from "@fxcore/infra";
import type { Serde } from "@fxcore/schemas";
import { describeDecodeError, unframe } from "@fxcore/schemas";
import type { DecodedEvent } from "../projector/project-batch.ts";

export const EVENT_TYPES: ReadonlySet<string> = new Set<string>(DOMAIN_EVENT_TYPES);

export const decodeWith =
  (serde: Serde) =>
  async (record: ConsumedRecord): Promise<DecodeResult<DecodedEvent>> => {
    const r = await serde.decode(record.value);
    if (!r.ok) return { ok: false, reason: describeDecodeError(r.error) };
    const { meta, payload } = r.value;
    if (!EVENT_TYPES.has(payload.type))
      return { ok: false, reason: `NOT_AN_EVENT: ${payload.type} on ${record.topic}` };
    const framed = unframe(record.value);
    const schemaId = framed.ok ? framed.value.schemaId : 0;
    return {
      ok: true,
      value: {
        envelope: { eventId: meta.eventId, event: payload as DomainEvent, position: null },
        raw: {
          value: record.value as Buffer,
          schemaId,
          schemaVersion: serde.catalog.current(payload.type)?.version ?? 0,
        },
      },
    };
  };
