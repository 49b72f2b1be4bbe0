// Argo CD sync order inside one Application (operators' CRDs come first, from
// the platform Application): config -> Kafka/Postgres -> topics, users,
// mirroring, backups, registry -> services -> monitoring. Stateful resources
// are never pruned or deleted by a sync.
import { at, type K8sObject, ref } from "../manifest.ts";
import { type Violation, violation } from "./violation.ts";

export const waveAnnotation = "argocd.argoproj.io/sync-wave";
export const syncOptionsAnnotation = "argocd.argoproj.io/sync-options";

/** The wave each kind belongs in; kinds not listed may use any wave. */
export const expectedWave: Record<string, number> = {
  Namespace: 0,
  ServiceAccount: 0,
  NetworkPolicy: 0,
  ExternalSecret: 0,
  Kafka: 1,
  KafkaNodePool: 1,
  Cluster: 1,
  KafkaTopic: 2,
  KafkaUser: 2,
  KafkaMirrorMaker2: 2,
  ScheduledBackup: 2,
  HorizontalPodAutoscaler: 3,
  ServiceMonitor: 4,
  PodMonitor: 4,
  PrometheusRule: 4,
};

/** Deleting any of these loses data or the log. */
export const statefulKinds = new Set([
  "Namespace",
  "Kafka",
  "KafkaNodePool",
  "KafkaTopic",
  "Cluster",
]);

// fxcore's services start once their data plane is there.
const serviceWave = 3;
const services = new Set([
  "gateway",
  "command-service",
  "matcher",
  "projection-service",
  "query-api",
]);

export function waveOf(o: K8sObject): number | undefined {
  const raw = at(o, "metadata", "annotations", waveAnnotation);
  return typeof raw === "string" && /^-?\d+$/.test(raw) ? Number(raw) : undefined;
}

export function checkSyncPolicy(objects: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  for (const o of objects) {
    const wave = waveOf(o);
    if (wave === undefined) {
      out.push(violation("sync", ref(o), `has no numeric ${waveAnnotation} annotation`));
      continue;
    }
    const want =
      o.kind === "Deployment" && services.has(o.metadata.name) ? serviceWave : expectedWave[o.kind];
    if (want !== undefined && wave !== want)
      out.push(violation("sync", ref(o), `is in wave ${wave}, expected ${want}`));
    if (statefulKinds.has(o.kind)) {
      const options = String(at(o, "metadata", "annotations", syncOptionsAnnotation) ?? "").split(
        ",",
      );
      for (const needed of ["Prune=false", "Delete=false"]) {
        if (!options.includes(needed))
          out.push(violation("sync", ref(o), `is stateful but lacks ${needed}`));
      }
    }
  }
  return out;
}
