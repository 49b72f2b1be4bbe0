// Stored payloads → envelopes through the one serde (@fxcore/schemas): the
// bytes carry their writer schema id, resolved into the current schemas.
// Bulk replays (book at T) use `payloads`: the same resolution compiled once
// per writer schema id (ADR 084), the serde for whatever it does not model.
import type { DomainEvent } from "@fxcore/domain";
import type { Envelope, EnvelopeMeta, Serde } from "@fxcore/schemas";
import { type PayloadDecoder, payloadDecoder } from "../codec/payload-decoder.ts";
import type { StoredEvent } from "./event-log.ts";
import { ReplayFailure } from "./replay-error.ts";

export interface DecodedEvent {
  readonly stored: StoredEvent;
  readonly meta: EnvelopeMeta;
  readonly event: DomainEvent;
}

export interface EventDecoder {
  (stored: StoredEvent): Promise<DecodedEvent>;
  readonly serde: Serde;
  /** Compiled readers per writer schema id (all left to the serde without a registry URL). */
  readonly payloads: PayloadDecoder;
}

/** Throws ReplayFailure(UNDECODABLE) for bytes that are not an event: a replay must not skip one silently. */
export function eventDecoder(
  serde: Serde,
  options: { readonly registryUrl?: string | undefined } = {},
): EventDecoder {
  const decode = async (stored: StoredEvent): Promise<DecodedEvent> => {
    const r = await serde.decode(stored.payload);
    if (!r.ok) {
      throw new ReplayFailure({
        kind: "UNDECODABLE",
        message: unreadable(stored, `${r.error.kind}: ${r.error.message}`),
      });
    }
    const envelope: Envelope = r.value;
    return { stored, meta: envelope.meta, event: envelope.payload as DomainEvent };
  };
  return Object.assign(decode, {
    serde,
    payloads: payloadDecoder({ serde, registryUrl: options.registryUrl }),
  });
}

export const unreadable = (
  stored: Pick<StoredEvent, "eventId" | "streamId" | "streamVersion" | "globalPosition">,
  why: string,
): string =>
  `event ${stored.eventId} (${stored.streamId}@${stored.streamVersion}, position ${stored.globalPosition}) is unreadable: ${why}`;
