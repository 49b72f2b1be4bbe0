// The KurrentDB (EventStoreDB) adapter of the EventStore port, on the official
// Node client. Payloads are stored as binary events (the Avro bytes
// unchanged); schema id/version ride in the event's JSON metadata. No
// KurrentDB server can run on this machine: this adapter is type-checked and
// runs the contract suite only when EVENTSTORE_URL is set (see README).
import {
  ANY,
  binaryEvent,
  excludeSystemEvents,
  FORWARDS,
  type KurrentDBClient,
  NO_STREAM,
  type Position,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from "@kurrent/kurrentdb-client";
import type {
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  LogCheckpoint,
  NewEvent,
  ReadStreamOptions,
  RecordedEvent,
  StreamId,
  SubscribeOptions,
  Subscription,
} from "../port/event-store.ts";

/** Kurrent's log position, as this port's opaque checkpoint: "<commit>:<prepare>". */
const encode = (p: Position): LogCheckpoint => `${p.commit}:${p.prepare}` as LogCheckpoint;
const decode = (c: LogCheckpoint): Position | undefined => {
  if (c === "") return undefined;
  const m = /^(\d+):(\d+)$/.exec(c);
  if (m === null || m[1] === undefined || m[2] === undefined)
    throw new Error(`not a KurrentDB log checkpoint: ${JSON.stringify(c)}`);
  return { commit: BigInt(m[1]), prepare: BigInt(m[2]) };
};

interface StoredMetadata extends EventMetadata {
  readonly $schemaId: number;
  readonly $schemaVersion: number;
}

type AnyRecorded = {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  created: Date;
  data: unknown;
  metadata: unknown;
  position?: Position;
};

const toRecorded = (e: AnyRecorded): RecordedEvent => {
  const meta = (e.metadata ?? {}) as StoredMetadata;
  const { $schemaId, $schemaVersion, ...metadata } = meta;
  const position = e.position ?? { commit: 0n, prepare: 0n };
  return {
    eventId: e.id as RecordedEvent["eventId"],
    type: e.type,
    schemaId: $schemaId,
    schemaVersion: $schemaVersion,
    payload: e.data as Uint8Array,
    metadata,
    streamId: e.streamId as StreamId,
    streamVersion: e.revision,
    globalPosition: position.prepare,
    checkpoint: encode(position),
    recordedAt: e.created,
  };
};

const streamState = (e: ExpectedVersion) => (e === "any" ? ANY : e === "no-stream" ? NO_STREAM : e);

export class KurrentDbEventStore implements EventStore {
  readonly #client: KurrentDBClient;
  constructor(client: KurrentDBClient) {
    this.#client = client;
  }

  async append(
    stream: StreamId,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
  ): Promise<AppendResult> {
    try {
      const r = await this.#client.appendToStream(
        stream,
        events.map((e) =>
          binaryEvent({
            id: e.eventId,
            type: e.type,
            data: e.payload,
            metadata: {
              ...e.metadata,
              $schemaId: e.schemaId,
              $schemaVersion: e.schemaVersion,
            } as Record<string, unknown>,
          }),
        ),
        { streamState: streamState(expected) },
      );
      // Kurrent reports only the append's last position: read the batch back for each event's own.
      const first = r.nextExpectedRevision - BigInt(events.length - 1);
      const written = await this.readStream(stream, { fromVersion: first, limit: events.length });
      return {
        ok: true,
        value: {
          nextExpectedVersion: r.nextExpectedRevision,
          globalPositions: written.map((e) => e.globalPosition),
        },
      };
    } catch (e) {
      if (e instanceof WrongExpectedVersionError) {
        const actual = typeof e.actualState === "bigint" ? e.actualState : -1n;
        return {
          ok: false,
          error: { type: "WrongExpectedVersion", streamId: stream, expected, actual },
        };
      }
      throw e;
    }
  }

  async readStream(
    stream: StreamId,
    options: ReadStreamOptions = {},
  ): Promise<readonly RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    try {
      for await (const r of this.#client.readStream(stream, {
        direction: FORWARDS,
        fromRevision: options.fromVersion ?? START,
        maxCount: options.limit ?? Number.MAX_SAFE_INTEGER,
      })) {
        if (r.event !== undefined) out.push(toRecorded(r.event as AnyRecorded));
      }
    } catch (e) {
      if (e instanceof StreamNotFoundError) return [];
      throw e;
    }
    return out;
  }

  async readAll(after: LogCheckpoint, limit: number): Promise<readonly RecordedEvent[]> {
    const from = decode(after);
    const out: RecordedEvent[] = [];
    // fromPosition is inclusive: read one more and drop the event we resume after.
    for await (const r of this.#client.readAll({
      direction: FORWARDS,
      fromPosition: from ?? START,
      maxCount: limit + 1,
      filter: excludeSystemEvents(),
    })) {
      if (r.event === undefined) continue;
      const e = toRecorded(r.event as AnyRecorded);
      if (e.checkpoint === after) continue;
      out.push(e);
      if (out.length === limit) break;
    }
    return out;
  }

  subscribeToAll(
    from: LogCheckpoint,
    handler: (event: RecordedEvent) => Promise<void> | void,
    _options: SubscribeOptions = {},
  ): Subscription {
    const position = decode(from);
    const sub = this.#client.subscribeToAll({
      fromPosition: position ?? START,
      filter: excludeSystemEvents(),
    });
    const done = (async () => {
      for await (const r of sub) {
        if (r.event === undefined) continue;
        const e = toRecorded(r.event as AnyRecorded);
        if (e.checkpoint === from) continue; // the start position is inclusive too
        await handler(e);
      }
    })();
    done.catch(() => {});
    return {
      done,
      close: async () => {
        await sub.unsubscribe();
        await done.catch(() => {});
      },
    };
  }

  async close(): Promise<void> {
    await this.#client.dispose();
  }
}
