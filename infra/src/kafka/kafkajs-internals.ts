import { createRequire } from "node:module";
import type { IHeaders, Kafka, PartitionMetadata } from "kafkajs";
import { Partitioners } from "kafkajs";
import { leanProduceRequest } from "./produce-request.ts";
import { type KafkajsDecoder, leanRecordBatchDecoder } from "./record-batch-decoder.ts";

// The few kafkajs internals the transactional producer drives directly (ADR
// 091): a Cluster (metadata, connections) and its Brokers' protocol calls.
// kafkajs's own producer looks a coordinator up before every transactional
// request and sends them one after another; we keep the coordinators and
// overlap what the protocol allows. Only this wrapper touches these types.

export interface KafkajsMessage {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: IHeaders;
  readonly timestamp?: string;
}

export interface ProduceTopicData {
  readonly topic: string;
  readonly partitions: ReadonlyArray<{
    readonly partition: number;
    readonly firstSequence: number;
    readonly messages: readonly KafkajsMessage[];
  }>;
}

export interface KafkajsBroker {
  readonly nodeId: number;
  initProducerId(request: {
    transactionalId: string;
    transactionTimeout: number;
  }): Promise<{ producerId: string | number; producerEpoch: number }>;
  addPartitionsToTxn(request: {
    transactionalId: string;
    producerId: string | number;
    producerEpoch: number;
    topics: ReadonlyArray<{ topic: string; partitions: number[] }>;
  }): Promise<unknown>;
  addOffsetsToTxn(request: {
    transactionalId: string;
    producerId: string | number;
    producerEpoch: number;
    groupId: string;
  }): Promise<unknown>;
  txnOffsetCommit(request: {
    transactionalId: string;
    groupId: string;
    producerId: string | number;
    producerEpoch: number;
    topics: ReadonlyArray<{
      topic: string;
      partitions: ReadonlyArray<{ partition: number; offset: string }>;
    }>;
  }): Promise<unknown>;
  endTxn(request: {
    transactionalId: string;
    producerId: string | number;
    producerEpoch: number;
    transactionResult: boolean;
  }): Promise<unknown>;
  produce(request: {
    topicData: readonly ProduceTopicData[];
    transactionalId: string;
    producerId: string | number;
    producerEpoch: number;
    acks: number;
    timeout: number;
  }): Promise<unknown>;
}

export interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  /** Leader node id → partitions it leads. */
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(request: { nodeId: string | number }): Promise<KafkajsBroker>;
  findGroupCoordinator(request: {
    groupId: string;
    coordinatorType: number;
  }): Promise<KafkajsBroker>;
}

interface ProtocolRequest {
  readonly request: { readonly apiVersion: number; encode: () => Promise<unknown> };
}

interface BrokerInternals {
  lookupRequest(
    apiKey: number,
    definition: unknown,
  ): (args: Record<string, unknown>) => ProtocolRequest;
  readonly connectionPool: { send(request: ProtocolRequest): Promise<unknown> };
  disconnect(): Promise<void>;
}

const require = createRequire(import.meta.url);
const PRODUCE_API_KEY = 0;
const produceDefinition: unknown = (
  require("kafkajs/src/protocol/requests") as { requests: { Produce: unknown } }
).requests.Produce;

/**
 * Sends a Produce request whose body (record batches included) we encoded
 * ourselves; kafkajs frames it, matches the response and decodes it (errors
 * become KafkaJSProtocolErrors as usual). Needs Produce v3+ (magic 2 batches),
 * which every broker since Kafka 4.0 requires anyway.
 */
export async function sendProduceBody(broker: KafkajsBroker, body: Buffer): Promise<void> {
  const b = broker as unknown as BrokerInternals;
  const request = b.lookupRequest(
    PRODUCE_API_KEY,
    produceDefinition,
  )({
    acks: -1,
    timeout: 30_000,
    topicData: [],
  });
  if (request.request.apiVersion < 3)
    throw new Error(`broker offers Produce v${request.request.apiVersion}; v3+ needed`);
  // kafkajs's request framing takes any object with the encoded bytes as `buf`/`buffer`.
  request.request.encode = async () => ({ buf: body, buffer: body });
  try {
    await b.connectionPool.send(request);
  } catch (err) {
    if ((err as { name?: string }).name === "KafkaJSConnectionClosedError") await b.disconnect();
    throw err;
  }
}

interface RequestQueueInternals {
  readonly pending: readonly unknown[];
  readonly throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

let idleTimerFixed = false;
/**
 * kafkajs 2.2.4 re-arms a timer on every connection after each check of its
 * request queue, empty or not: `throttledUntil` starts at -1, so the delay is
 * negative, Node clamps it to 1 ms, and every open connection wakes its
 * process ~1,000 times a second forever (an idle consumer: ~34 ms of CPU per
 * second; ~7 with this fix). With nothing pending and no throttle in force
 * there is nothing to check: a new request is sent at once or re-arms the
 * check itself (push), and a response or timeout checks the queue again.
 */
export function fixKafkajsIdleTimer(): void {
  if (idleTimerFixed) return;
  const RequestQueue = require("kafkajs/src/network/requestQueue/index.js") as {
    prototype: RequestQueueInternals;
  };
  const original = RequestQueue.prototype.scheduleCheckPendingRequests;
  if (typeof original !== "function")
    throw new Error("kafkajs internals changed: RequestQueue has no scheduleCheckPendingRequests");
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.pending.length === 0 && !(this.throttledUntil > Date.now())) return;
    original.call(this);
  };
  idleTimerFixed = true;
}

let leanDecoderInstalled = false;
/**
 * Puts the lean record batch decoder (record-batch-decoder.ts: same records,
 * ~1 µs less CPU per record) in place of kafkajs's in the module cache. Works
 * when it runs before kafkajs loads its fetch decoding (lazily, at the first
 * fetch), which createKafka ensures; if it is too late, kafkajs's stays.
 */
export function useLeanRecordBatchDecoder(): void {
  if (leanDecoderInstalled) return;
  leanDecoderInstalled = true;
  replaceKafkajsModule(
    "kafkajs/src/protocol/recordBatch/v0/decoder.js",
    "record batch decoder",
    (original: (d: KafkajsDecoder) => Promise<unknown>) => leanRecordBatchDecoder(original),
  );
}

/** Swaps a kafkajs module's function export in the module cache for `wrap(original)`. */
function replaceKafkajsModule<F>(
  module: string,
  what: string,
  wrap: (original: F) => unknown,
): void {
  const path = require.resolve(module);
  const original = require(path) as F;
  const cached = require.cache[path];
  if (cached === undefined || typeof original !== "function")
    throw new Error(`kafkajs internals changed: no ${what} module`);
  cached.exports = wrap(original);
}

let leanProduceInstalled = false;
/**
 * Puts the one-pass record batch writer (produce-request.ts) into kafkajs's
 * Produce v3 request, which v4-v7 reuse, for every plain and idempotent
 * producer: the same bytes at a fifth of the CPU per record. Like the
 * decoder, it takes effect when it runs before kafkajs loads that module
 * (lazily, at the first produce), which createKafka ensures.
 */
export function useLeanProduceRequest(): void {
  if (leanProduceInstalled) return;
  leanProduceInstalled = true;
  replaceKafkajsModule(
    "kafkajs/src/protocol/requests/produce/v3/request.js",
    "Produce v3 request",
    (original: Parameters<typeof leanProduceRequest>[0]) => leanProduceRequest(original),
  );
}

export const COORDINATOR_TYPE = { GROUP: 0, TRANSACTION: 1 } as const;

/**
 * A kafkajs Cluster built with the client's own settings (brokers, retry,
 * timeouts, logger): the same factory kafka.producer() uses internally.
 */
export function createCluster(kafka: Kafka): KafkajsCluster {
  const factory = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === "private:Kafka:createCluster",
  );
  const create =
    factory === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[factory];
  if (typeof create !== "function")
    throw new Error(
      "kafkajs internals changed: Kafka has no createCluster (pinned to kafkajs 2.2.x)",
    );
  return create({
    allowAutoTopicCreation: false,
    // Requests on one connection are sent (and answered) in order; we pipeline
    // only where order does not matter or is ours to keep.
    maxInFlightRequests: null,
    metadataMaxAge: 300_000,
  }) as KafkajsCluster;
}

type Partitioner = (args: {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: { key?: Buffer | string | null; value: Buffer | string | null; partition?: number };
}) => number;

/** kafkajs's default (murmur2 on the key) partitioner: the same partition a plain producer picks. */
export function defaultPartitioner(): Partitioner {
  return Partitioners.DefaultPartitioner() as unknown as Partitioner;
}
