// @fxcore/matcher: the partitioned Kafka worker around the domain engine.
export { homePairsOf, matcherConfigSpec } from "./matcher-config.ts";
export { createMatcherMetrics, type MatcherMetrics } from "./matcher-metrics.ts";
export { type MatcherWorkerOptions, type RunningMatcher, startMatcher } from "./matcher-worker.ts";
export {
  COMMAND_SIDE_OUTCOMES,
  DEDUPE_WINDOW,
  type InputOutcome,
  MATCHER_INPUT_TYPES,
  outputEventId,
  PartitionMatcher,
  type PartitionMatcherOptions,
} from "./partition-matcher.ts";
export {
  decodePartitionSnapshot,
  encodePartitionSnapshot,
  type PartitionSnapshot,
} from "./partition-snapshot.ts";
