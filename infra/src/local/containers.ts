import { GenericContainer, type StartedTestContainer, Wait } from "testcontainers";
import { KAFKA_VERSION, APICURIO_VERSION } from "./distributions.ts";
import type { InfraSettings } from "./local-infra.ts";
import { localPorts } from "./local-infra.ts";
import { PG_DATABASE, PG_PASSWORD, PG_USER } from "./postgres-server.ts";

// Where a Docker daemon exists, the same three parts as containers. Kafka's
// advertised listener must be the address clients dial, so its host port is
// fixed (the usual local port) rather than random.
//
// Not exercised on the development machines of this project (no Docker); the
// local-process path is the tested one.

export async function startContainers(): Promise<{
  settings: InfraSettings;
  stop(): Promise<void>;
}> {
  const ports = localPorts();
  const started: StartedTestContainer[] = [];
  const track = (c: StartedTestContainer) => {
    started.push(c);
    return c;
  };
  try {
    const [kafka, registry, postgres] = await Promise.all([
      new GenericContainer(`apache/kafka:${KAFKA_VERSION}`)
        .withExposedPorts({ container: 9092, host: ports.kafka })
        .withEnvironment({
          KAFKA_NODE_ID: "1",
          KAFKA_PROCESS_ROLES: "broker,controller",
          KAFKA_LISTENERS: "PLAINTEXT://:9092,CONTROLLER://:9093",
          KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${ports.kafka}`,
          KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
          KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9093",
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
          KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
        })
        .withWaitStrategy(Wait.forLogMessage("Kafka Server started"))
        .start()
        .then(track),
      new GenericContainer(`apicurio/apicurio-registry:${APICURIO_VERSION}`)
        .withExposedPorts(8080)
        .withWaitStrategy(Wait.forHttp("/apis/ccompat/v7/subjects", 8080))
        .start()
        .then(track),
      new GenericContainer("postgres:15")
        .withExposedPorts(5432)
        .withEnvironment({
          POSTGRES_USER: PG_USER,
          POSTGRES_PASSWORD: PG_PASSWORD,
          POSTGRES_DB: PG_DATABASE,
        })
        .withCommand([
          "postgres",
          "-c",
          "fsync=off",
          "-c",
          "idle_in_transaction_session_timeout=60s",
          "-c",
          "max_connections=300",
        ])
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
        .start()
        .then(track),
    ]);
    return {
      settings: {
        KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
        SCHEMA_REGISTRY_URL: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
        DATABASE_URL: `postgres://${PG_USER}:${PG_PASSWORD}@${postgres.getHost()}:${postgres.getMappedPort(5432)}/${PG_DATABASE}`,
      },
      stop: async () => {
        await Promise.all([kafka.stop(), registry.stop(), postgres.stop()]);
      },
    };
  } catch (err) {
    await Promise.all(started.map((c) => c.stop().catch(() => {})));
    throw err;
  }
}
