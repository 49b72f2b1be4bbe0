import type { IHeaders, RecordMetadata } from "kafkajs";
import type { ConsumedRecord, OutgoingRecord } from "./records.ts";

// Dead-letter routing: a record that cannot be decoded is copied (key, value
// and headers unchanged) to the dead-letter topic with headers saying why and
// where it came from, so the partition keeps moving and nothing is lost.

export const DEFAULT_DLQ_TOPIC = "fx.dlq";

export const DLQ_HEADERS = {
  reason: "fx-dlq-reason",
  sourceTopic: "fx-dlq-source-topic",
  sourcePartition: "fx-dlq-source-partition",
  sourceOffset: "fx-dlq-source-offset",
  consumerGroup: "fx-dlq-consumer-group",
} as const;

export function deadLetterRecord(
  record: ConsumedRecord,
  reason: string,
  consumerGroup: string,
): OutgoingRecord {
  const headers: IHeaders = {
    ...record.headers,
    [DLQ_HEADERS.reason]: reason,
    [DLQ_HEADERS.sourceTopic]: record.topic,
    [DLQ_HEADERS.sourcePartition]: String(record.partition),
    [DLQ_HEADERS.sourceOffset]: record.offset,
    [DLQ_HEADERS.consumerGroup]: consumerGroup,
  };
  return { key: record.key, value: record.value, headers };
}

export interface DeadLetterSink {
  send(topic: string, records: readonly OutgoingRecord[]): Promise<RecordMetadata[]>;
}

export async function sendToDeadLetter(
  sink: DeadLetterSink,
  record: ConsumedRecord,
  reason: string,
  options: { consumerGroup: string; topic?: string },
): Promise<void> {
  await sink.send(options.topic ?? DEFAULT_DLQ_TOPIC, [
    deadLetterRecord(record, reason, options.consumerGroup),
  ]);
}
