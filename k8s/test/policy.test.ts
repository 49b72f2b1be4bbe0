// The policies pass on the real overlays, and each one fails on the specific
// mistake it exists to catch.
import { describe, expect, it } from "vitest";
import { type K8sObject, ref } from "../src/manifest.ts";
import { regions } from "../src/paths.ts";
import { checkContainers, imageProblem } from "../src/policy/containers.ts";
import { checkSyncPolicy } from "../src/policy/gitops.ts";
import { checkHomes, instruments, type RegionRender } from "../src/policy/homes.ts";
import { allowedFlows, checkNetworkPolicies, designFlows } from "../src/policy/network.ts";
import type { Violation } from "../src/policy/violation.ts";
import { checkWorkloads } from "../src/policy/workloads.ts";
import { copy, get, type Loose, region } from "./support/rendered.ts";

const eu = region("eu-west");
const both: RegionRender[] = regions.map((r) => ({ region: r, objects: region(r) }));

/** The objects with one of them replaced by a mutated copy. */
function mutate(
  objects: readonly K8sObject[],
  kind: string,
  name: string,
  change: (o: Loose) => void,
): K8sObject[] {
  const changed = copy(get(objects, kind, name)) as Loose;
  change(changed);
  return objects.map((o) => (o.kind === kind && o.metadata.name === name ? changed : o));
}
const text = (vs: Violation[]) => vs.map((v) => `${v.object}: ${v.message}`);

describe.each(regions)("overlay %s passes", (name) => {
  const objects = region(name);
  it("containers: limits, probes, non-root read-only, pinned images", () =>
    expect(checkContainers(objects)).toEqual([]));
  it("workloads: PDBs, zone spread, own ServiceAccounts, autoscaling", () =>
    expect(checkWorkloads(objects)).toEqual([]));
  it("network: exactly the design's flows", () =>
    expect(checkNetworkPolicies(objects)).toEqual([]));
  it("sync: waves and no pruning of stateful resources", () =>
    expect(checkSyncPolicy(objects)).toEqual([]));
});

it("homes: every pair has exactly one home region", () => {
  expect(checkHomes(both)).toEqual([]);
});

describe("containers policy", () => {
  it("flags a missing limit, a missing probe and a writable, root-capable container", () => {
    const objects = mutate(eu, "Deployment", "query-api", (d) => {
      const c = d.spec.template.spec.containers[0];
      delete c.resources.limits.memory;
      delete c.readinessProbe;
      c.securityContext.readOnlyRootFilesystem = false;
      c.securityContext.allowPrivilegeEscalation = true;
      c.securityContext.capabilities.drop = [];
      d.spec.template.spec.securityContext.runAsNonRoot = false;
      c.securityContext.runAsNonRoot = false;
    });
    expect(text(checkContainers(objects))).toEqual([
      "Deployment/query-api container query-api: has no memory limit",
      "Deployment/query-api container query-api: has no readinessProbe",
      "Deployment/query-api container query-api: does not set runAsNonRoot: true",
      "Deployment/query-api container query-api: root filesystem is writable",
      "Deployment/query-api container query-api: allows privilege escalation",
      "Deployment/query-api container query-api: does not drop ALL capabilities",
    ]);
  });

  it("flags floating and unpinned images", () => {
    expect(imageProblem("registry/x/gateway:latest", false)).toMatch(/latest/);
    expect(imageProblem("registry/x/gateway", false)).toMatch(/neither tag nor digest/);
    expect(imageProblem("registry:5000/x/gateway:1.2", true)).toMatch(/not pinned by digest/);
    expect(imageProblem("registry:5000/x/gateway", false)).toMatch(/neither tag nor digest/);
    expect(imageProblem(`r/x@sha256:${"a".repeat(63)}`, true)).toMatch(/malformed digest/);
    expect(imageProblem(`r/x@sha256:${"a".repeat(64)}`, true)).toBeUndefined();
    const objects = mutate(eu, "Cluster", "fxcore-pg", (c) => {
      c.spec.imageName = "ghcr.io/cloudnative-pg/postgresql:latest";
    });
    expect(text(checkContainers(objects))).toEqual([
      'Cluster/fxcore-pg: uses the floating tag "latest" (ghcr.io/cloudnative-pg/postgresql:latest)',
    ]);
  });
});

describe("workloads policy", () => {
  it("refuses an autoscaler on the matcher", () => {
    const hpa = copy(get(eu, "HorizontalPodAutoscaler", "gateway")) as Loose;
    hpa.metadata.name = "matcher";
    hpa.spec.scaleTargetRef.name = "matcher";
    expect(text(checkWorkloads([...eu, hpa]))).toContain(
      "HorizontalPodAutoscaler/matcher: autoscales matcher, whose parallelism is its partition count",
    );
  });

  it("flags fixed replicas under an autoscaler, no PDB, no zone spread and a shared ServiceAccount", () => {
    let objects = mutate(eu, "Deployment", "gateway", (d) => {
      d.spec.replicas = 3;
      d.spec.template.spec.topologySpreadConstraints = [];
      d.spec.template.spec.serviceAccountName = "query-api";
    });
    objects = objects.filter(
      (o) => !(o.kind === "PodDisruptionBudget" && o.metadata.name === "gateway"),
    );
    expect(text(checkWorkloads(objects))).toEqual([
      "Deployment/gateway: sets replicas although an autoscaler owns them",
      "Deployment/gateway: has no PodDisruptionBudget",
      "Deployment/gateway: is not spread across zones",
      "Deployment/gateway: shares ServiceAccount query-api with another workload",
      "Deployment/query-api: shares ServiceAccount query-api with another workload",
    ]);
  });
});

describe("network policy", () => {
  it("derives exactly the design's flows from the rendered policies", () => {
    expect([...allowedFlows(eu)].sort()).toEqual([...designFlows].sort());
  });

  it("flags a flow the design does not have", () => {
    let objects = mutate(eu, "NetworkPolicy", "matcher", (np) => {
      np.spec.egress.push({
        to: [{ podSelector: { matchLabels: { "cnpg.io/cluster": "fxcore-pg" } } }],
        ports: [{ port: 5432 }],
      });
    });
    // One side alone opens nothing: Postgres does not admit the matcher yet.
    expect(checkNetworkPolicies(objects)).toEqual([]);
    objects = mutate(objects, "NetworkPolicy", "postgres", (np) => {
      np.spec.ingress[0].from.push({
        podSelector: { matchLabels: { "app.kubernetes.io/name": "matcher" } },
      });
    });
    expect(text(checkNetworkPolicies(objects))).toEqual([
      "matcher -> postgres:5432: is allowed but is not a flow of the design",
    ]);
  });

  it("flags a design flow that is blocked, on either side", () => {
    const egress = mutate(eu, "NetworkPolicy", "gateway", (np) => {
      np.spec.egress = np.spec.egress.filter((r: Loose) => r.ports[0].port !== 8082);
    });
    expect(text(checkNetworkPolicies(egress))).toEqual([
      "gateway -> query-api:8082: is a flow of the design but is blocked",
    ]);
    const kafka = mutate(eu, "Kafka", "fxcore-kafka", (k) => {
      k.spec.kafka.listeners[0].networkPolicyPeers.pop();
    });
    expect(text(checkNetworkPolicies(kafka))).toEqual([
      "projection-service -> kafka:9092: is a flow of the design but is blocked",
    ]);
  });

  it("flags a workload no policy of its own covers, and a missing default deny", () => {
    const objects = eu.filter(
      (o) => !(o.kind === "NetworkPolicy" && ["matcher", "default-deny"].includes(o.metadata.name)),
    );
    expect(text(checkNetworkPolicies(objects))).toEqual([
      "namespace: has no default-deny NetworkPolicy",
      "matcher: no NetworkPolicy of its own governs ingress",
      "matcher: no NetworkPolicy of its own governs egress",
      // The shared DNS and telemetry policies still isolate it: its real flows are now blocked.
      "matcher -> kafka:9092: is a flow of the design but is blocked",
      "matcher -> schema-registry:8080: is a flow of the design but is blocked",
    ]);
  });

  it("treats a pod no policy selects as open, as Kubernetes does", () => {
    const objects = eu.filter((o) => o.kind !== "NetworkPolicy" || o.metadata.name === "postgres");
    const flows = allowedFlows(objects);
    expect(flows.has("matcher -> query-api:8082")).toBe(true);
    expect(flows.has("matcher -> postgres:5432")).toBe(false);
  });
});

describe("sync policy", () => {
  it("flags a missing wave, a wrong wave, and a prunable stateful resource", () => {
    let objects = mutate(eu, "KafkaTopic", "fx-orders", (t) => {
      delete t.metadata.annotations["argocd.argoproj.io/sync-options"];
    });
    objects = mutate(objects, "Deployment", "matcher", (d) => {
      d.metadata.annotations["argocd.argoproj.io/sync-wave"] = "1";
    });
    objects = mutate(objects, "Service", "gateway", (s) => {
      delete s.metadata.annotations;
    });
    expect(text(checkSyncPolicy(objects))).toEqual(
      [
        "Deployment/matcher: is in wave 1, expected 3",
        "Service/gateway: has no numeric argocd.argoproj.io/sync-wave annotation",
        "KafkaTopic/fx-orders: is stateful but lacks Prune=false",
        "KafkaTopic/fx-orders: is stateful but lacks Delete=false",
      ].sort(
        (a, b) =>
          objects.findIndex((o) => a.startsWith(ref(o))) -
          objects.findIndex((o) => b.startsWith(ref(o))),
      ),
    );
  });
});

describe("homes policy", () => {
  const withHomes = (
    pairsByRegion: Record<string, string>,
    epochs: Record<string, string> = {},
    replicas: Record<string, number> = {},
  ) =>
    both.map(({ region: r, objects }) => {
      let changed = objects.map((o) => {
        if (
          o.kind === "ConfigMap" &&
          o.metadata.name.startsWith("fxcore-region-") &&
          pairsByRegion[r] !== undefined
        ) {
          return { ...o, data: { ...(o.data as object), FXCORE_HOME_PAIRS: pairsByRegion[r] } };
        }
        if (
          o.kind === "ConfigMap" &&
          o.metadata.name.startsWith("fxcore-writer-") &&
          epochs[r] !== undefined
        ) {
          return { ...o, data: { FXCORE_WRITER_EPOCH: epochs[r] } };
        }
        return o;
      });
      if (replicas[r] !== undefined)
        changed = mutate(changed, "Deployment", "matcher", (d) => (d.spec.replicas = replicas[r]));
      return { region: r, objects: changed };
    });

  it("flags a pair homed in both regions and a pair homed nowhere", () => {
    const found = text(checkHomes(withHomes({ "us-east": "USDJPY,AUDUSD,USDCAD,EURUSD" })));
    expect(found).toEqual([
      "EURUSD: is homed in eu-west and us-east",
      "NZDUSD: has no home region",
    ]);
  });

  it("flags unknown and repeated symbols", () => {
    const found = text(
      checkHomes(withHomes({ "eu-west": "EURUSD,GBPUSD,USDCHF,EURGBP,EURUSD,EUR/USD" })),
    );
    expect(found).toEqual([
      "eu-west: EURUSD is listed twice",
      "eu-west: FXCORE_HOME_PAIRS names unknown pair EUR/USD",
    ]);
  });

  it("flags a matcher running where no pair is homed, and more matchers than partitions", () => {
    const all = instruments.join(",");
    const found = text(
      checkHomes(withHomes({ "eu-west": all, "us-east": "" }, {}, { "eu-west": 17 })),
    );
    expect(found).toEqual([
      "eu-west: runs 17 matchers for 16 partitions",
      "us-east: is home for no pair but runs 2 matcher(s)",
    ]);
    expect(checkHomes(withHomes({ "eu-west": all, "us-east": "" }, {}, { "us-east": 0 }))).toEqual(
      [],
    );
  });

  it("flags a forced takeover of a pair the region is not home for", () => {
    const forced = both.map(({ region: r, objects }) => ({
      region: r,
      objects: objects.map((o) =>
        r === "us-east" && o.kind === "ConfigMap" && o.metadata.name.startsWith("fxcore-region-")
          ? { ...o, data: { ...(o.data as object), FXCORE_FORCED_PAIRS: "USDJPY,EURUSD" } }
          : o,
      ),
    }));
    expect(text(checkHomes(forced))).toEqual([
      "us-east: forces a takeover of EURUSD, which is not homed here",
    ]);
  });

  it("flags regions that disagree on the writer epoch", () => {
    const found = text(checkHomes(withHomes({}, { "us-east": "2" })));
    expect(found).toEqual(["writer-epoch: regions disagree on the writer epoch: 1, 2"]);
  });
});
