// npm run bench:serde — cost of the Avro serde per message, registry excluded
// (after the first record of a schema id the registry is not asked again:
// ids and reader plans are cached, so this is the steady-state cost).
//
// Workload: the 17 sample envelopes of test/samples.ts (all 14 payload types,
// ns timestamps beyond 2^53, nulls and optional fields), cycled.
//   encode = writeBody (validate + Avro) + Confluent framing
//   decode = unframe + writer->reader resolution + envelope mapping
// Throughput: one timed loop of BENCH_OPS operations each (after a warm-up).
// Latency: every operation timed on its own with process.hrtime.bigint()
// into an HDR histogram (timer cost included).
// Env: BENCH_OPS (default 200000).

import { cpus, loadavg, totalmem } from "node:os";
import * as hdr from "hdr-histogram-js";
import { writerType } from "../src/catalog/avro-types.ts";
import { loadCatalog } from "../src/catalog/catalog.ts";
import { planRead, type ReaderPlan, readBody, writeBody } from "../src/serde/avro-body.ts";
import { frame, unframe } from "../src/serde/wire.ts";
import { sampleEnvelopes } from "../test/samples.ts";

const OPS = Number(process.env.BENCH_OPS ?? 200_000);
const catalog = loadCatalog();
const envs = sampleEnvelopes();

// One schema id per type, as a registry would hand out.
const ids = new Map(catalog.names.map((n, i) => [n, i + 1]));
const plans = new Map<number, ReaderPlan>();
for (const [name, id] of ids) {
  const plan = planRead(catalog, writerType(catalog.current(name)!.schema), id);
  if (!plan.ok) throw new Error(plan.error.message);
  plans.set(id, plan.value);
}

const encode = (i: number): Buffer => {
  const env = envs[i % envs.length]!;
  return frame(ids.get(env.payload.type)!, writeBody(catalog, env));
};
const frames = envs.map((_, i) => encode(i));
const decode = (i: number): void => {
  const f = unframe(frames[i % frames.length]!);
  if (!f.ok) throw new Error(f.error.message);
  const r = readBody(f.value.body, plans.get(f.value.schemaId)!);
  if (!r.ok) throw new Error(r.error.message);
};

function throughput(op: (i: number) => unknown): number {
  for (let i = 0; i < 20_000; i++) op(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) op(i);
  return OPS / (Number(process.hrtime.bigint() - start) / 1e9);
}

function latency(op: (i: number) => unknown) {
  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 1e9,
    numberOfSignificantValueDigits: 3,
  });
  for (let i = 0; i < OPS; i++) {
    const t0 = process.hrtime.bigint();
    op(i);
    h.recordValue(Number(process.hrtime.bigint() - t0));
  }
  const us = (ns: number) => (ns / 1000).toFixed(2);
  return `p50 ${us(h.getValueAtPercentile(50))} µs, p99 ${us(h.getValueAtPercentile(99))} µs, p99.9 ${us(h.getValueAtPercentile(99.9))} µs, max ${us(h.maxValue)} µs`;
}

const avgBytes = frames.reduce((n, f) => n + f.length, 0) / frames.length;
console.log(
  `machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(
  `workload: ${envs.length} sample envelopes cycled, ${OPS} ops each, avg ${avgBytes.toFixed(0)} bytes framed`,
);
console.log(
  `encode: ${Math.round(throughput(encode)).toLocaleString("en")} msg/s; ${latency(encode)}`,
);
console.log(
  `decode: ${Math.round(throughput(decode)).toLocaleString("en")} msg/s; ${latency(decode)}`,
);
