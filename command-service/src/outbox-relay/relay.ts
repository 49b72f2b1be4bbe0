// The outbox relay (ADR 052): publishes committed events to Kafka exactly in
// outbox order per lane (so per pair), through the infra producer (idempotent,
// acks=all). The payload is already the Confluent-framed Avro the command
// side encoded, so the relay never re-encodes. A lane's checkpoint moves only
// after the broker acknowledged: a crash republishes, never skips, and a
// republished record carries the same fx-event-id header.
import { type OutboxMessage, type OutboxSession, PostgresOutbox } from "@fxcore/event-store";
import type { FxProducer, Logger, OutgoingRecord, PgPool } from "@fxcore/infra";

export const EVENT_HEADERS = {
  eventId: "fx-event-id",
  eventType: "fx-event-type",
  streamId: "fx-stream-id",
  streamVersion: "fx-stream-version",
  globalPosition: "fx-global-position",
  schemaId: "fx-schema-id",
  correlationId: "fx-correlation-id",
} as const;

export interface RelayOptions {
  readonly pool: PgPool;
  readonly producer: Pick<FxProducer, "send">;
  readonly logger?: Logger;
  /** Most rows read per lane per round. */
  readonly perLane?: number;
  /** Most records in one produce request (default 500). */
  readonly maxPerSend?: number;
  /** Most lanes this instance owns (default all it can get). */
  readonly maxLanes?: number;
  /** Sleep when there is nothing to publish. */
  readonly idleMs?: number;
  /** How often to try to take over lanes nobody owns. */
  readonly claimEveryMs?: number;
  readonly onPublished?: (count: number) => void;
  /**
   * How often to delete published outbox rows. Default: never — the regulator
   * replay reads each pair's matcher input order from es_outbox (ADR 080).
   */
  readonly purgeEveryMs?: number;
  /** Failpoint for crash tests: runs after the broker acknowledged a send, before the outbox ack. */
  readonly afterSend?: () => void;
}

export const toRecord = (m: OutboxMessage): OutgoingRecord => {
  const e = m.event;
  const headers: Record<string, string> = {
    [EVENT_HEADERS.eventId]: e.eventId,
    [EVENT_HEADERS.eventType]: e.type,
    [EVENT_HEADERS.streamId]: e.streamId,
    [EVENT_HEADERS.streamVersion]: e.streamVersion.toString(),
    [EVENT_HEADERS.globalPosition]: e.globalPosition.toString(),
    [EVENT_HEADERS.schemaId]: String(e.schemaId),
  };
  if (typeof e.metadata.correlationId === "string")
    headers[EVENT_HEADERS.correlationId] = e.metadata.correlationId;
  // The command's own trace continues on the record (HTTP → event store → Kafka).
  if (typeof e.metadata.traceparent === "string") headers.traceparent = e.metadata.traceparent;
  if (typeof e.metadata.tracestate === "string") headers.tracestate = e.metadata.tracestate;
  return { key: m.key, value: Buffer.from(e.payload), headers };
};

export class OutboxRelay {
  readonly #o: RelayOptions;
  readonly #outbox: PostgresOutbox;
  #running = false;
  #loop: Promise<void> | undefined;
  #session: OutboxSession | undefined;
  #wake: (() => void) | undefined;

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#outbox = new PostgresOutbox(options.pool);
  }

  get ownedLanes(): readonly number[] {
    return this.#session?.ownedLanes ?? [];
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        this.#session = await this.#outbox.openSession();
        await this.#pump(this.#session);
      } catch (e) {
        this.#o.logger?.error({ err: e }, "outbox relay: restarting session");
        await this.#sleep(1000);
      } finally {
        // Closing the connection releases every lane lock at once.
        await this.#session?.close().catch(() => {});
        this.#session = undefined;
      }
    }
  }

  async #pump(session: OutboxSession): Promise<void> {
    const perLane = this.#o.perLane ?? 250;
    let lastClaim = 0;
    let lastPurge = Date.now();
    while (this.#running) {
      if (!session.healthy) throw new Error("outbox session connection lost");
      if (Date.now() - lastClaim >= (this.#o.claimEveryMs ?? 1000)) {
        const gained = await session.claimLanes(this.#o.maxLanes);
        if (gained.length > 0)
          this.#o.logger?.info({ lanes: gained }, "outbox relay: lanes claimed");
        lastClaim = Date.now();
      }
      const messages = await session.read(perLane);
      if (messages.length === 0) {
        await this.#sleep(this.#o.idleMs ?? 10);
        continue;
      }
      // Rows come ordered by lane, then log order; one send per topic keeps that order per key.
      const byTopic = new Map<string, OutboxMessage[]>();
      for (const m of messages) {
        const list = byTopic.get(m.topic);
        if (list === undefined) byTopic.set(m.topic, [m]);
        else list.push(m);
      }
      // Sequential sends in bounded chunks: a produce request stays under the
      // broker's message.max.bytes, and order per key holds across chunks.
      const chunk = this.#o.maxPerSend ?? 500;
      for (const [topic, list] of byTopic)
        for (let i = 0; i < list.length; i += chunk)
          await this.#o.producer.send(topic, list.slice(i, i + chunk).map(toRecord));
      this.#o.afterSend?.();
      const last = new Map<number, OutboxMessage>();
      const counts = new Map<number, number>();
      for (const m of messages) {
        last.set(m.lane, m);
        counts.set(m.lane, (counts.get(m.lane) ?? 0) + 1);
      }
      await session.ack([...last.values()], counts);
      this.#o.onPublished?.(messages.length);
      const purgeEvery = this.#o.purgeEveryMs;
      if (purgeEvery !== undefined && Date.now() - lastPurge >= purgeEvery) {
        lastPurge = Date.now();
        await this.#outbox.purgePublished();
      }
    }
  }
}
