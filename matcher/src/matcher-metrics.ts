import { Counter, Gauge, Histogram, type Registry } from "@fxcore/infra";

export interface MatcherMetrics {
  readonly inputs: Counter<"partition">;
  readonly outputs: Counter<"partition">;
  readonly deadLettered: Counter<"partition">;
  readonly duplicates: Counter<"partition">;
  readonly snapshots: Counter<"partition">;
  readonly snapshotsSkipped: Counter<"partition">;
  readonly recoveries: Counter;
  readonly inputLag: Gauge<"partition">;
  readonly batchSeconds: Histogram;
  readonly snapshotSeconds: Histogram;
  /** Time inside transactions by protocol stage (register, write, end). */
  readonly transactionStageSeconds: Counter<"stage">;
  readonly concurrentTransactionRetries: Counter;
}

export function createMatcherMetrics(registry: Registry): MatcherMetrics {
  const registers = [registry];
  return {
    inputs: new Counter({
      name: "fx_matcher_inputs_total",
      help: "Inputs applied and answered",
      labelNames: ["partition"],
      registers,
    }),
    outputs: new Counter({
      name: "fx_matcher_outputs_total",
      help: "Events produced to fx.executions",
      labelNames: ["partition"],
      registers,
    }),
    deadLettered: new Counter({
      name: "fx_matcher_dead_lettered_total",
      help: "Poison inputs sent to the dead-letter topic",
      labelNames: ["partition"],
      registers,
    }),
    duplicates: new Counter({
      name: "fx_matcher_duplicate_inputs_total",
      help: "Republished inputs dropped by event id",
      labelNames: ["partition"],
      registers,
    }),
    snapshotsSkipped: new Counter({
      name: "fx_matcher_snapshots_skipped_total",
      help: "Snapshots too large for the snapshot topic, not written",
      labelNames: ["partition"],
      registers,
    }),
    snapshots: new Counter({
      name: "fx_matcher_snapshots_total",
      help: "Partition snapshots written",
      labelNames: ["partition"],
      registers,
    }),
    recoveries: new Counter({
      name: "fx_matcher_recoveries_total",
      help: "Partitions recovered on assignment",
      registers,
    }),
    inputLag: new Gauge({
      name: "fx_matcher_input_lag",
      help: "Inputs not yet applied, per partition",
      labelNames: ["partition"],
      registers,
    }),
    batchSeconds: new Histogram({
      name: "fx_matcher_batch_seconds",
      help: "Time to apply and commit one input batch",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    transactionStageSeconds: new Counter({
      name: "fx_matcher_transaction_stage_seconds_total",
      help: "Time in committed transactions by stage: register (AddPartitions/AddOffsets), write (Produce, TxnOffsetCommit), end (EndTxn)",
      labelNames: ["stage"],
      registers,
    }),
    concurrentTransactionRetries: new Counter({
      name: "fx_matcher_concurrent_transactions_retries_total",
      help: "Transaction requests answered CONCURRENT_TRANSACTIONS (previous commit's markers still being written) and retried",
      registers,
    }),
    snapshotSeconds: new Histogram({
      name: "fx_matcher_snapshot_seconds",
      help: "Time to take one partition snapshot (engine state, encoding, gzip); the partition waits for it",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  };
}
