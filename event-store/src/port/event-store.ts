// The EventStore port: what command-service, projection-service and the
// regulator replay need from an append-only log of streams. Two adapters
// implement it (Postgres, KurrentDB); both run the contract suite in
// src/testing/contract.ts.

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type StreamId = Brand<string, "StreamId">;
export const streamId = (s: string): StreamId => s as StreamId;

/** Unique id of an event forever (a UUID); consumers deduplicate on it. */
export type EventId = Brand<string, "EventId">;
export const eventId = (s: string): EventId => s as EventId;

/**
 * Where a reader stands in the global log. Opaque: a store defines its own
 * encoding (Postgres: commit transaction id + position; KurrentDB: commit +
 * prepare position). Persist it as a string, hand it back unchanged.
 */
export type LogCheckpoint = Brand<string, "LogCheckpoint">;
/** Before the first event of the log. */
export const logStart = "" as LogCheckpoint;

/**
 * Stream revisions start at 0. `"no-stream"`: the stream must not exist yet;
 * `"any"`: no check; a bigint: the stream's current last revision.
 */
export type ExpectedVersion = bigint | "no-stream" | "any";

/** Event metadata carried next to the payload (stored as JSON). */
export interface EventMetadata {
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly clOrdId?: string;
  /** W3C trace context of the command that produced the event. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** When the command reached the venue, ns since epoch, as a decimal string (JSON has no bigint). */
  readonly receivedAtNs?: string;
  readonly [key: string]: string | number | boolean | null | undefined;
}

/** An event to append: the payload is already encoded (Avro bytes as written to Kafka). */
export interface NewEvent {
  readonly eventId: EventId;
  readonly type: string;
  /** Schema registry id of the writer schema the payload was encoded with. */
  readonly schemaId: number;
  readonly schemaVersion: number;
  readonly payload: Uint8Array;
  readonly metadata: EventMetadata;
}

export interface RecordedEvent extends NewEvent {
  readonly streamId: StreamId;
  readonly streamVersion: bigint;
  /** Unique, increasing in allocation order; a read-your-writes token. Not the read order of the log: use `checkpoint`. */
  readonly globalPosition: bigint;
  /** Resume reading the global log right after this event. */
  readonly checkpoint: LogCheckpoint;
  readonly recordedAt: Date;
}

export interface AppendSuccess {
  /** The stream's last revision after the append (expected version for the next one). */
  readonly nextExpectedVersion: bigint;
  /** Global position of each appended event, in order. */
  readonly globalPositions: readonly bigint[];
}

/** The optimistic concurrency check failed: nothing of this append was stored. */
export interface WrongExpectedVersion {
  readonly type: "WrongExpectedVersion";
  readonly streamId: StreamId;
  readonly expected: ExpectedVersion;
  /** The stream's last revision as seen after the failure; -1n when it has none. */
  readonly actual: bigint;
}
export type AppendError = WrongExpectedVersion;

export type AppendResult =
  | { readonly ok: true; readonly value: AppendSuccess }
  | { readonly ok: false; readonly error: AppendError };

export interface ReadStreamOptions {
  /** First revision to return (default 0). */
  readonly fromVersion?: bigint;
  readonly limit?: number;
}

export interface Subscription {
  /** Stops delivery; resolves when the in-flight handler call (if any) has returned. */
  close(): Promise<void>;
  /** Resolves when the subscription stops (closed, or failed: then rejects with the error). */
  readonly done: Promise<void>;
}

export interface SubscribeOptions {
  /** Events per read while catching up. */
  readonly batchSize?: number;
}

export interface EventStore {
  append(
    stream: StreamId,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
  ): Promise<AppendResult>;
  /** Events of one stream in revision order; empty when the stream does not exist. */
  readStream(stream: StreamId, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]>;
  /**
   * The next events of the global log after `after`, in log order. Never
   * skips an event that commits later than one already returned.
   */
  readAll(after: LogCheckpoint, limit: number): Promise<readonly RecordedEvent[]>;
  /**
   * Catch-up then live: every event after `from`, in log order, one handler
   * call at a time. A handler that throws stops the subscription (`done` rejects).
   */
  subscribeToAll(
    from: LogCheckpoint,
    handler: (event: RecordedEvent) => Promise<void> | void,
    options?: SubscribeOptions,
  ): Subscription;
  close(): Promise<void>;
}
