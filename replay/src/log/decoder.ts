// Stored payloads → envelopes through the one serde (@fxcore/schemas): the
// bytes carry their writer schema id, resolved into the current schemas.
import type { DomainEvent } from "@fxcore/domain";
import type { Envelope, EnvelopeMeta, Serde } from "@fxcore/schemas";
import type { StoredEvent } from "./event-log.ts";
import { ReplayFailure } from "./replay-error.ts";

export interface DecodedEvent {
  readonly stored: StoredEvent;
  readonly meta: EnvelopeMeta;
  readonly event: DomainEvent;
}

export type EventDecoder = (stored: StoredEvent) => Promise<DecodedEvent>;

/** Throws ReplayFailure(UNDECODABLE) for bytes that are not an event: a replay must not skip one silently. */
export function eventDecoder(serde: Serde): EventDecoder {
  return async (stored) => {
    const r = await serde.decode(stored.payload);
    if (!r.ok) {
      throw new ReplayFailure({
        kind: "UNDECODABLE",
        message: `event ${stored.eventId} (${stored.streamId}@${stored.streamVersion}, position ${stored.globalPosition}) is unreadable: ${r.error.kind}: ${r.error.message}`,
      });
    }
    const envelope: Envelope = r.value;
    return { stored, meta: envelope.meta, event: envelope.payload as DomainEvent };
  };
}
