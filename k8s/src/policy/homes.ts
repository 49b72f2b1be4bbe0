// One writer per currency pair: every pair has exactly one home region, whose
// matcher is the only one active for it.
import { containersOf, resolveEnv } from "../env.ts";
import { at, find, type K8sObject } from "../manifest.ts";
import { type Violation, violation } from "./violation.ts";

export const instruments = [
  "EURUSD",
  "GBPUSD",
  "USDJPY",
  "USDCHF",
  "AUDUSD",
  "USDCAD",
  "NZDUSD",
  "EURGBP",
] as const;

export type RegionRender = { region: string; objects: readonly K8sObject[] };

export type RegionHomes = {
  region: string;
  homePairs: string[];
  forcedPairs: string[];
  matcherReplicas: number;
  writerEpoch: string | undefined;
};

const policy = "homes";

export function readRegionHomes(r: RegionRender): { homes?: RegionHomes; violations: Violation[] } {
  const matcher = find(r.objects, "Deployment", "matcher");
  if (matcher === undefined) {
    return { violations: [violation(policy, r.region, "renders no matcher Deployment")] };
  }
  const container = containersOf(matcher).find((c) => c.name === "matcher");
  if (container === undefined) {
    return {
      violations: [violation(policy, r.region, "matcher Deployment has no matcher container")],
    };
  }
  const env = resolveEnv(container, r.objects);
  const violations: Violation[] = [];
  if (env.get("FXCORE_REGION") !== r.region) {
    violations.push(
      violation(policy, r.region, `matcher runs with FXCORE_REGION=${env.get("FXCORE_REGION")}`),
    );
  }
  const raw = env.get("FXCORE_HOME_PAIRS");
  if (raw === undefined)
    violations.push(violation(policy, r.region, "matcher has no FXCORE_HOME_PAIRS"));
  const list = (value: string | undefined) =>
    (value ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  const homePairs = list(raw);
  const forcedPairs = list(env.get("FXCORE_FORCED_PAIRS"));
  for (const pair of forcedPairs) {
    if (!homePairs.includes(pair)) {
      violations.push(
        violation(policy, r.region, `forces a takeover of ${pair}, which is not homed here`),
      );
    }
  }
  const seen = new Set<string>();
  for (const pair of homePairs) {
    if (!(instruments as readonly string[]).includes(pair)) {
      violations.push(violation(policy, r.region, `FXCORE_HOME_PAIRS names unknown pair ${pair}`));
    }
    if (seen.has(pair)) violations.push(violation(policy, r.region, `${pair} is listed twice`));
    seen.add(pair);
  }
  const replicas = at(matcher, "spec", "replicas");
  return {
    homes: {
      region: r.region,
      homePairs,
      forcedPairs,
      matcherReplicas: typeof replicas === "number" ? replicas : 1,
      writerEpoch: env.get("FXCORE_WRITER_EPOCH"),
    },
    violations,
  };
}

function partitionsOf(objects: readonly K8sObject[], topic: string): number | undefined {
  const t = objects.find((o) => o.kind === "KafkaTopic" && at(o, "spec", "topicName") === topic);
  const p = at(t, "spec", "partitions");
  return typeof p === "number" ? p : undefined;
}

export function checkHomes(regions: readonly RegionRender[]): Violation[] {
  const out: Violation[] = [];
  const homes: RegionHomes[] = [];
  for (const r of regions) {
    const read = readRegionHomes(r);
    out.push(...read.violations);
    if (read.homes) homes.push(read.homes);
  }
  for (const pair of instruments) {
    const where = homes.filter((h) => h.homePairs.includes(pair)).map((h) => h.region);
    if (where.length === 0) out.push(violation(policy, pair, "has no home region"));
    if (where.length > 1) out.push(violation(policy, pair, `is homed in ${where.join(" and ")}`));
  }
  for (const h of homes) {
    const objects = regions.find((r) => r.region === h.region)?.objects ?? [];
    if (h.homePairs.length === 0 && h.matcherReplicas !== 0) {
      out.push(
        violation(policy, h.region, `is home for no pair but runs ${h.matcherReplicas} matcher(s)`),
      );
    }
    if (h.homePairs.length > 0 && h.matcherReplicas === 0) {
      out.push(
        violation(policy, h.region, `is home for ${h.homePairs.join(",")} but runs no matcher`),
      );
    }
    const partitions = partitionsOf(objects, "fx.orders");
    if (partitions === undefined)
      out.push(violation(policy, h.region, "renders no fx.orders KafkaTopic"));
    else if (h.matcherReplicas > partitions) {
      out.push(
        violation(
          policy,
          h.region,
          `runs ${h.matcherReplicas} matchers for ${partitions} partitions`,
        ),
      );
    }
    if (h.writerEpoch === undefined || !/^[1-9][0-9]*$/.test(h.writerEpoch)) {
      out.push(
        violation(policy, h.region, `writer epoch ${h.writerEpoch} is not a positive integer`),
      );
    }
  }
  const epochs = new Set(homes.map((h) => h.writerEpoch));
  if (epochs.size > 1) {
    out.push(
      violation(
        policy,
        "writer-epoch",
        `regions disagree on the writer epoch: ${[...epochs].join(", ")}`,
      ),
    );
  }
  return out;
}
