import { type BatchRecord, encodeProduceBody, encodeRecordBatch } from "./record-batch.ts";

// kafkajs's Produce request (v3; v4-v7 reuse it) for every plain and
// idempotent producer, with the record batches written in one pass
// (record-batch.ts: ~1.4 µs per record instead of kafkajs's ~7, a zeroed
// 512-byte buffer and several copies per record). The bytes are the ones
// kafkajs writes (tested); anything this path does not mirror exactly —
// compression, mixed or unusual timestamps, other value types, empty
// partitions — keeps kafkajs's encoder.

interface ProduceMessage {
  readonly key?: unknown;
  readonly value?: unknown;
  readonly headers?: unknown;
  readonly timestamp?: unknown;
}

export interface ProduceRequestArgs {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId?: string | null;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly compression?: number;
  readonly topicData: ReadonlyArray<{
    readonly topic: string;
    readonly partitions: ReadonlyArray<{
      readonly partition: number;
      readonly firstSequence?: number;
      readonly messages: readonly ProduceMessage[];
    }>;
  }>;
}

interface ProduceRequest {
  encode: () => Promise<unknown>;
}

const isBytes = (v: unknown): boolean => v === null || typeof v === "string" || Buffer.isBuffer(v);

/** kafkajs writes header values that are Buffers or strings (a null one makes it throw). */
const isHeaderValue = (v: unknown): boolean => typeof v === "string" || Buffer.isBuffer(v);

function headersOk(h: unknown): boolean {
  if (h === undefined) return true;
  if (h === null || typeof h !== "object") return false;
  for (const v of Object.values(h as Record<string, unknown>)) {
    if (Array.isArray(v)) {
      if (!v.every(isHeaderValue)) return false;
    } else if (!isHeaderValue(v)) return false;
  }
  return true;
}

/**
 * Messages whose batch this path writes as kafkajs does: key/value/header
 * values Buffer, string or null; timestamps either all absent or all decimal
 * strings of one length (kafkajs sorts them as strings, we compare numbers).
 */
function leanable(messages: readonly ProduceMessage[]): boolean {
  if (messages.length === 0) return false;
  const first = messages[0]!.timestamp;
  const withTime = first !== undefined && first !== null;
  const len = withTime ? String(first).length : 0;
  for (const m of messages) {
    if (m.key !== undefined && !isBytes(m.key)) return false;
    if (!isBytes(m.value) || !headersOk(m.headers)) return false;
    const t = m.timestamp;
    if (withTime) {
      if (typeof t !== "string" || t.length !== len || !/^[1-9][0-9]*$/.test(t)) return false;
    } else if (t !== undefined && t !== null) return false;
  }
  return true;
}

/** Wraps kafkajs's produce/v3/request module export. */
export function leanProduceRequest(
  original: (args: ProduceRequestArgs) => ProduceRequest,
): (args: ProduceRequestArgs) => ProduceRequest {
  return (args) => {
    const request = original(args);
    if ((args.compression ?? 0) !== 0) return request;
    if (!args.topicData.every((t) => t.partitions.every((p) => leanable(p.messages))))
      return request;
    const kafkajsEncode = request.encode;
    request.encode = async () => {
      const now = Date.now();
      const transactionalId = args.transactionalId ?? null;
      const pid = args.producerId;
      const producerId =
        pid === undefined
          ? -1
          : typeof pid === "number" || typeof pid === "string"
            ? pid
            : String(pid);
      if (!/^-?[0-9]+$/.test(String(producerId))) return kafkajsEncode();
      const body = encodeProduceBody(
        transactionalId,
        args.acks,
        args.timeout,
        args.topicData.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => ({
            partition: p.partition,
            batch: encodeRecordBatch(
              {
                producerId,
                producerEpoch: args.producerEpoch ?? 0,
                baseSequence: p.firstSequence ?? 0,
                transactional: transactionalId !== null && transactionalId !== "",
                now,
              },
              p.messages as readonly BatchRecord[],
            ),
          })),
        })),
      );
      // kafkajs's request framing takes any object carrying the bytes as `buf`/`buffer`.
      return { buf: body, buffer: body };
    };
    return request;
  };
}
