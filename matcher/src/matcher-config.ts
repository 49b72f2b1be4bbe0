import {
  bool,
  int,
  kafkaConfig,
  observabilityConfig,
  optional,
  regionConfig,
  schemaRegistryConfig,
  str,
  httpConfig,
} from "@fxcore/infra";

export const matcherConfigSpec = {
  ...kafkaConfig,
  ...schemaRegistryConfig,
  ...observabilityConfig,
  ...regionConfig,
  ...httpConfig(8083),
  /** Comma-separated pairs this region is home for; unset = every pair. */
  FXCORE_HOME_PAIRS: optional(str()),
  /** Generation of this writer; raise it on every switchover of a pair. */
  FXCORE_WRITER_EPOCH: int({ default: 1, min: 0 }),
  MATCHER_GROUP_ID: str({ default: "fxcore.matcher" }),
  MATCHER_INPUT_TOPIC: str({ default: "fx.orders" }),
  MATCHER_OUTPUT_TOPIC: str({ default: "fx.executions" }),
  MATCHER_SNAPSHOT_TOPIC: str({ default: "fx.snapshots" }),
  MATCHER_DLQ_TOPIC: str({ default: "fx.dlq" }),
  /** A snapshot of a deep book costs ~100 ms; recovery replays ≤ this many inputs (~1 s at 100k). */
  MATCHER_SNAPSHOT_EVERY: int({ default: 100_000, min: 1 }),
  MATCHER_CONCURRENCY: int({ default: 1, min: 1, max: 64 }),
  MATCHER_MAX_TXN_INPUTS: int({ default: 5_000, min: 1 }),
  /** Least ms between two transactions of a partition (unless a full one waits); bounds the broker's per-transaction work. */
  MATCHER_TXN_INTERVAL_MS: int({ default: 15, min: 0 }),
  /** Catching up on a backlog: a transaction waits up to this long to be full (fewer, larger transactions; 0: off). */
  MATCHER_CATCH_UP_FILL_MS: int({ default: 1_000, min: 0 }),
  /** Snapshots encoded on a worker thread (ADR 103); false: in slices on the partition's thread (ADR 091). */
  MATCHER_SNAPSHOT_THREAD: bool({ default: true }),
  /** Must stay below the snapshot topic's max.message.bytes (10 MiB in topics.json). */
  MATCHER_SNAPSHOT_MAX_BYTES: int({ default: 9 * 1024 * 1024, min: 1024 }),
  /** Group liveness: how soon a crashed instance's partitions move to another. */
  MATCHER_SESSION_TIMEOUT_MS: int({ default: 30_000, min: 1_000 }),
  MATCHER_HEARTBEAT_MS: int({ default: 3_000, min: 100 }),
};

export const homePairsOf = (raw: string | undefined): ReadonlySet<string> | undefined =>
  raw === undefined
    ? undefined
    : new Set(
        raw
          .split(",")
          .map((s) => s.trim().toUpperCase())
          .filter(Boolean),
      );
