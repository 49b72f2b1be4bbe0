// Writes a session into a test database the way the live system does:
// command-side events through PostgresEventStore with their outbox row (key =
// pair), matcher outputs into `executions-<PAIR>` at revision seq − 1 as
// projection-service's sink does, and (optionally) the audit trail through
// projection-service's own appendAudit in the same transaction.
import type { DomainEvent } from "@fxcore/domain";
import { eventId, type PostgresEventStore, streamId } from "@fxcore/event-store";
import { type PgPool, withTransaction } from "@fxcore/infra";
import { canonicalBytes } from "@fxcore/projection-service";
import type { Envelope, Serde } from "@fxcore/schemas";
// Not exported by projection-service (yet): the audit append its projector uses.
import { appendAudit } from "../../../projection-service/src/audit/audit-store.ts";
import type { Session } from "./session.ts";

export const ORDERS_TOPIC = "fx.orders";
export const EXECUTIONS_TOPIC = "fx.executions";

const schemaIdOf = (framed: Buffer): number => framed.readInt32BE(1);

async function stored(serde: Serde, topic: string, env: Envelope) {
  const bytes = await serde.encode(topic, env);
  return {
    eventId: eventId(env.meta.eventId),
    type: env.payload.type,
    schemaId: schemaIdOf(bytes),
    schemaVersion: serde.catalog.current(env.payload.type)?.version ?? 0,
    payload: bytes,
  };
}

const auditRow = (env: Envelope) => {
  const event = env.payload as DomainEvent;
  return {
    pair: "symbol" in event ? event.symbol : "",
    eventId: env.meta.eventId,
    eventType: event.type,
    canonical: canonicalBytes({ eventId: env.meta.eventId, event }),
  };
};

export async function seedSession(
  pool: PgPool,
  store: PostgresEventStore,
  serde: Serde,
  session: Session,
  options: { readonly audit: boolean },
): Promise<void> {
  for (const step of session.steps) {
    const input = step.input;
    const event = input.payload as DomainEvent;
    const account = "account" in event ? event.account : undefined;
    const clOrd = "clOrdId" in event ? event.clOrdId : undefined;
    const e = await stored(serde, ORDERS_TOPIC, input);
    await withTransaction(pool, async (tx) => {
      const [r] = await store.appendBatch(
        [
          {
            stream: streamId(step.stream),
            expected:
              event.type === "OrderAccepted" || event.type === "OrderRejected"
                ? "no-stream"
                : "any",
            events: [
              {
                ...e,
                metadata: {
                  correlationId: input.meta.correlationId,
                  ...(account === undefined ? {} : { account }),
                  ...(clOrd === undefined ? {} : { clOrdId: clOrd }),
                },
                publish: { topic: ORDERS_TOPIC, key: event.symbol },
              },
            ],
          },
        ],
        { via: tx },
      );
      if (!r?.ok) throw new Error(`append of ${event.type} to ${step.stream} failed`);
      if (options.audit) await appendAudit(tx, [auditRow(input)]);
    });
    if (step.outputs.length === 0) continue;
    const first = step.outputs[0]!;
    const pair = (first.payload as { symbol: string }).symbol;
    const seq = Number(first.meta.pairSeq);
    const events = await Promise.all(
      step.outputs.map(async (o) => ({
        ...(await stored(serde, EXECUTIONS_TOPIC, o)),
        metadata: { pairSeq: Number(o.meta.pairSeq) },
      })),
    );
    await withTransaction(pool, async (tx) => {
      const [r] = await store.appendBatch(
        [
          {
            stream: streamId(`executions-${pair}`),
            expected: seq === 1 ? "no-stream" : BigInt(seq - 2),
            events,
          },
        ],
        { via: tx },
      );
      if (!r?.ok) throw new Error(`sink append of ${pair} seq ${seq} failed`);
      if (options.audit) await appendAudit(tx, step.outputs.map(auditRow));
    });
  }
}
