import type { IHeaders, KafkaMessage } from "kafkajs";

// The record shapes the wrapper speaks, independent of kafkajs's types.

export interface OutgoingRecord {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: IHeaders;
  readonly partition?: number;
  readonly timestamp?: string;
}

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
  readonly timestamp: string;
}

export function consumedRecord(topic: string, partition: number, m: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key,
    value: m.value,
    headers: m.headers ?? {},
    timestamp: m.timestamp,
  };
}

/** A header as text (first value if repeated), or undefined. */
export function headerValue(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return undefined;
  return typeof first === "string" ? first : first.toString("utf8");
}
