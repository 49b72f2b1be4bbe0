import { connect, isIP, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { type ISocketFactory, Kafka, type KafkaConfig, logLevel, type LogEntry } from "kafkajs";
import type { Logger } from "../logger/logger.ts";
import {
  fixKafkajsIdleTimer,
  useLeanProduceRequest,
  useLeanRecordBatchDecoder,
} from "./kafkajs-internals.ts";

// The one Kafka client factory. Brokers come from config (KAFKA_BROKERS);
// kafkajs's own log lines go to our structured logger.

export type { Kafka };

export interface KafkaClientOptions {
  /** host:port list, or the raw comma-separated KAFKA_BROKERS value. */
  readonly brokers: readonly string[] | string;
  readonly clientId: string;
  readonly logger?: Logger;
  /** Overrides for tests (e.g. a longer retry while a broker restarts). */
  readonly retry?: KafkaConfig["retry"];
  readonly requestTimeoutMs?: number;
  /** Probes fail fast on a broker that is not up yet. */
  readonly connectionTimeoutMs?: number;
}

export function brokerList(brokers: readonly string[] | string): string[] {
  const list = (typeof brokers === "string" ? brokers.split(",") : [...brokers])
    .map((b) => b.trim())
    .filter(Boolean);
  if (list.length === 0) throw new Error("no Kafka brokers given (KAFKA_BROKERS is empty)");
  return list;
}

/**
 * kafkajs's socket factory plus TCP_NODELAY, which Kafka's own clients and the
 * broker set and kafkajs does not. With Nagle's algorithm on, bytes written
 * while earlier ones are unacknowledged wait for that ACK, and the broker acks
 * with its response or after its delayed-ACK timer (~40 ms): the held tail of
 * a Produce request larger than one segment (~64 KiB on loopback) waited for
 * the timer, since the broker cannot answer a request it has not fully read
 * (a loopback probe: 40-340 ms stalls with Nagle, none without; ADR 099).
 */
export const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? connectTls({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : connect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  socket.setNoDelay(true);
  coalesceWrites(socket);
  return socket;
};

/**
 * Requests written in one event-loop callback (and the promise chains it
 * starts) leave in one send: kafkajs writes each request on its own, and on a
 * 2-core host every send wakes the broker's network thread, which then often
 * preempts the writer (the matcher's main thread: ~250 involuntary switches a
 * second at 10,000 inputs/s, ~16% of its wall time waiting to run again). A
 * transaction's AddPartitionsToTxn ∥ AddOffsetsToTxn and Produce ∥
 * TxnOffsetCommit each become one send (ADR 103). The socket is corked at a
 * callback's first write and uncorked once its microtasks have run (a
 * microtask that queues a tick: the tick runs after the microtask queue is
 * drained), so nothing waits for a later turn.
 */
export function coalesceWrites(socket: Socket): void {
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const uncorkAfterMicrotasks = () => process.nextTick(uncork);
  socket.write = function (this: Socket, ...args: Parameters<Socket["write"]>): boolean {
    if (!corked) {
      corked = true;
      socket.cork();
      queueMicrotask(uncorkAfterMicrotasks);
    }
    return write.apply(this, args);
  } as Socket["write"];
}

export function createKafka(options: KafkaClientOptions): Kafka {
  fixKafkajsIdleTimer();
  useLeanRecordBatchDecoder();
  useLeanProduceRequest();
  const logger = options.logger;
  return new Kafka({
    clientId: options.clientId,
    brokers: brokerList(options.brokers),
    socketFactory: noDelaySocketFactory,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: options.retry ?? { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
    // Without a logger kafkajs stays quiet: failures still surface as rejected promises.
    logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
    ...(logger
      ? {
          logCreator:
            () =>
            ({ level, log, namespace }: LogEntry) => {
              const { message, ...extra } = log;
              const fields = { kafkajs: namespace, ...extra };
              // kafkajs logs retriable protocol errors (coordinator loading, ...) as ERROR.
              if (level <= logLevel.WARN) logger.warn({ ...fields, kafkajs_level: level }, message);
              else logger.debug(fields, message);
            },
        }
      : {}),
  });
}
