// The Node runtime flags the matcher is started with, wherever it runs: its
// deployment's container command and spawnMatcher (the bench, the fault and
// scale tests) pass exactly these. They must be on the command line: V8 sizes
// the young generation when the heap is set up, so main.ts cannot set them.
//
// Why (ADR 102): the matcher allocates ~4.6 kB per input (~46 MB/s at
// 10,000 inputs/s) and V8 grows the young generation only gradually, so it
// scavenged about every 0.4 s, copying the in-flight transactions and the
// dedupe window each time; a young generation fixed at 128 MB per semi-space
// scavenges every ~3 s, and most of what a scavenge used to copy has died by
// then (alternated runs at 10,000/s: 62-65 -> 7-8 scavenges per run, 742-775
// -> 171-274 ms of scavenge pauses).
export const MATCHER_NODE_FLAGS: readonly string[] = [
  "--min-semi-space-size=128",
  "--max-semi-space-size=128",
];
