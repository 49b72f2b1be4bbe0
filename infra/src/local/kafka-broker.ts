import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createKafka } from "../kafka/client.ts";
import { type BrokerJdk, brokerJdk, ensureKafkaLibs } from "./distributions.ts";
import { killPid, run, spawnDetached, stopPid, waitUntil } from "./process.ts";

// Apache Kafka in KRaft combined mode (each node is broker + controller),
// started from the Maven Central classpath. One node by default; three on one
// host for replication and failover tests.

export interface KafkaClusterSpec {
  /** 1 or 3 nodes. */
  readonly nodes: number;
  /** Node i listens on basePort + 2i (clients) and basePort + 2i + 1 (controller). */
  readonly basePort: number;
  /** Holds data, configs and logs; wiped on a fresh start. */
  readonly dir: string;
  readonly heapMb?: number;
  /**
   * C1-only JIT: quicker start and less CPU, lower peak throughput. Default:
   * on for one node on JDK 17 (the shared local broker, see launchNode), off
   * for three and on JDK 25 (ADR 114).
   */
  readonly quickStart?: boolean;
  /** The JDK to run; default brokerJdk(): a JDK 25 when the machine has one, else `java` (17). */
  readonly jdk?: BrokerJdk;
  /** Extra JVM flags after the defaults (a later flag wins); for A/B runs on a private broker. */
  readonly jvmOptions?: readonly string[];
  /** Broker properties that override the defaults (a later key wins in server.properties). */
  readonly props?: Readonly<Record<string, string>>;
}

export interface KafkaNode {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly propsFile: string;
  readonly logFile: string;
  pid: number;
}

export interface KafkaCluster {
  readonly spec: KafkaClusterSpec;
  readonly clusterId: string;
  readonly brokers: string;
  readonly nodes: KafkaNode[];
  readonly libs: string;
  readonly jdk: BrokerJdk;
}

/** Kafka's Uuid format: 16 random bytes, base64url, never starting with '-'. */
function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

function nodeProps(spec: KafkaClusterSpec, nodeId: number): string {
  const voters = Array.from(
    { length: spec.nodes },
    (_, i) => `${i + 1}@127.0.0.1:${spec.basePort + 2 * i + 1}`,
  ).join(",");
  const port = spec.basePort + 2 * (nodeId - 1);
  const rf = Math.min(spec.nodes, 3);
  const minIsr = spec.nodes >= 3 ? 2 : 1;
  return [
    "process.roles=broker,controller",
    `node.id=${nodeId}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    `log.dirs=${join(spec.dir, `node-${nodeId}`, "data")}`,
    "num.partitions=1",
    `default.replication.factor=${rf}`,
    `offsets.topic.replication.factor=${rf}`,
    // Fewer internal partitions than the defaults (50): much faster first group join.
    "offsets.topic.num.partitions=6",
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    "transaction.state.log.num.partitions=6",
    `min.insync.replicas=${minIsr}`,
    "group.initial.rebalance.delay.ms=0",
    "auto.create.topics.enable=false",
    "delete.topic.enable=true",
    "log.flush.interval.messages=9223372036854775807",
    "num.network.threads=2",
    "num.io.threads=4",
    "num.recovery.threads.per.data.dir=1",
    "log.retention.hours=24",
    // The log cleaner's 128 MiB default dedupe buffer sat in the old gen of a
    // 512 MiB heap (G1 marked concurrently all along); local compacted topics
    // (offsets, transactions, snapshots) need far less (ADR 094).
    "log.cleaner.dedupe.buffer.size=16777216",
    "share.coordinator.state.topic.replication.factor=" + rf,
    "share.coordinator.state.topic.min.isr=" + minIsr,
    ...Object.entries(spec.props ?? {}).map(([k, v]) => `${k}=${v}`),
    "",
  ].join("\n");
}

const log4j2 = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
# Per-topic/per-group chatter (thousands of lines an hour under test churn).
logger.logmgr.name = kafka.log
logger.logmgr.level = WARN
logger.storage.name = org.apache.kafka.storage.internals.log
logger.storage.level = WARN
logger.partition.name = kafka.cluster
logger.partition.level = WARN
logger.group.name = org.apache.kafka.coordinator.group
logger.group.level = WARN
logger.replication.name = org.apache.kafka.controller.ReplicationControlManager
logger.replication.level = WARN
logger.configctl.name = org.apache.kafka.controller.ConfigurationControlManager
logger.configctl.level = WARN
logger.fetchers.name = kafka.server.ReplicaFetcherManager
logger.fetchers.level = WARN
logger.alterdirs.name = kafka.server.ReplicaAlterLogDirsManager
logger.alterdirs.level = WARN
`;

/** Formats fresh storage for every node and starts them all. */
export async function startKafkaCluster(spec: KafkaClusterSpec): Promise<KafkaCluster> {
  const libs = await ensureKafkaLibs();
  const jdk = spec.jdk ?? brokerJdk();
  rmSync(spec.dir, { recursive: true, force: true });
  mkdirSync(spec.dir, { recursive: true });
  writeFileSync(join(spec.dir, "log4j2.properties"), log4j2);
  const clusterId = kafkaClusterId();
  const nodes: KafkaNode[] = [];
  for (let nodeId = 1; nodeId <= spec.nodes; nodeId++) {
    const nodeDir = join(spec.dir, `node-${nodeId}`);
    mkdirSync(nodeDir, { recursive: true });
    const propsFile = join(nodeDir, "server.properties");
    writeFileSync(propsFile, nodeProps(spec, nodeId));
    const port = spec.basePort + 2 * (nodeId - 1);
    nodes.push({
      nodeId,
      port,
      controllerPort: port + 1,
      propsFile,
      logFile: join(nodeDir, "kafka.log"),
      pid: 0,
    });
  }
  // Formatting is one short JVM per node; run them side by side.
  await Promise.all(
    nodes.map((n) =>
      run(jdk.java, [
        "-Xmx128m",
        "-XX:TieredStopAtLevel=1",
        `-Dlog4j2.configurationFile=${join(spec.dir, "log4j2.properties")}`,
        "-cp",
        join(libs, "*"),
        "kafka.tools.StorageTool",
        "format",
        "-t",
        clusterId,
        "-c",
        n.propsFile,
        "--ignore-formatted",
      ]),
    ),
  );
  const cluster: KafkaCluster = {
    spec,
    clusterId,
    brokers: nodes.map((n) => `127.0.0.1:${n.port}`).join(","),
    nodes,
    libs,
    jdk,
  };
  for (const node of nodes) launchNode(cluster, node);
  try {
    await waitForKafka(cluster);
  } catch (err) {
    await stopKafkaCluster(cluster);
    throw err;
  }
  return cluster;
}

function launchNode(cluster: KafkaCluster, node: KafkaNode): void {
  const heap = cluster.spec.heapMb ?? (cluster.spec.nodes > 1 ? 384 : 512);
  const single = cluster.spec.nodes === 1;
  const modern = (cluster.jdk.major ?? 0) >= 25;
  node.pid = spawnDetached(
    cluster.jdk.java,
    [
      // One broker (the shared local one): ZGC, whose pauses are well under a
      // millisecond; G1 paused it 15-55 ms about twice a second under
      // bench:pipeline, on the path of every request in flight (ADR 094). On
      // JDK 25 ZGC is generational and object headers are 8 bytes (ADR 114).
      ...(single
        ? [
            `-Xms${heap}m`,
            `-Xmx${heap}m`,
            "-XX:+UseZGC",
            ...(modern ? ["-XX:+UseCompactObjectHeaders"] : []),
          ]
        : [
            `-Xms${Math.min(heap, 256)}m`,
            `-Xmx${heap}m`,
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
          ]),
      // One broker on JDK 17, on a 2-core box: C2 recompiled the broker's
      // hottest methods at every burst after an idle minute (ADR 093), so C1
      // only. JDK 25 has no code-cache sweeper and its C2 code costs about half
      // of C1's per transaction once warm: full tiered JIT there (ADR 114).
      ...((cluster.spec.quickStart ?? (single && !modern)) ? ["-XX:TieredStopAtLevel=1"] : []),
      ...(cluster.spec.jvmOptions ?? []),
      "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${join(cluster.spec.dir, "log4j2.properties")}`,
      `-Dkafka.logs.dir=${join(cluster.spec.dir, `node-${node.nodeId}`)}`,
      "-cp",
      join(cluster.libs, "*"),
      "kafka.Kafka",
      node.propsFile,
    ],
    node.logFile,
  );
}

/** Ready when a metadata request answers and every node is registered. */
export async function waitForKafka(cluster: KafkaCluster, timeoutMs = 90_000): Promise<void> {
  const expected = cluster.nodes.length;
  for (const node of cluster.nodes) {
    await waitUntil(
      `kafka node ${node.nodeId}`,
      () => kafkaAnswers(`127.0.0.1:${node.port}`, expected),
      {
        timeoutMs,
        pid: node.pid,
        logFile: node.logFile,
      },
    );
  }
}

export async function kafkaAnswers(broker: string, expectedBrokers = 1): Promise<boolean> {
  const admin = createKafka({
    clientId: "fxcore-infra-probe",
    brokers: [broker],
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 2000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length >= expectedBrokers && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Stops one node (graceful unless `crash`), keeping its data for a restart. */
export async function stopKafkaNode(
  node: KafkaNode,
  options: { crash?: boolean } = {},
): Promise<void> {
  if (options.crash) await killPid(node.pid);
  else await stopPid(node.pid, 30_000);
}

/** Restarts a stopped node on its existing storage and waits until it answers. */
export async function restartKafkaNode(cluster: KafkaCluster, node: KafkaNode): Promise<void> {
  launchNode(cluster, node);
  await waitUntil(
    `kafka node ${node.nodeId}`,
    () => kafkaAnswers(`127.0.0.1:${node.port}`, cluster.nodes.length),
    {
      timeoutMs: 90_000,
      pid: node.pid,
      logFile: node.logFile,
    },
  );
}

export async function stopKafkaCluster(
  cluster: KafkaCluster,
  options: { wipe?: boolean } = {},
): Promise<void> {
  // Nodes of a multi-node cluster wait for each other's controlled shutdown;
  // stop them together so none waits for a peer that is already gone.
  await Promise.all(cluster.nodes.map((n) => stopPid(n.pid, 30_000)));
  if (options.wipe) rmSync(cluster.spec.dir, { recursive: true, force: true });
}
