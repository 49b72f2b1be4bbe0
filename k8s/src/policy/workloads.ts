// Availability and identity of every workload: a PodDisruptionBudget, zone
// spread, its own ServiceAccount, and autoscaling only where it makes sense.
import { workloadKinds } from "../env.ts";
import { at, byKind, find, type K8sObject, ref } from "../manifest.ts";
import { type LabelSelector, type Labels, matches } from "./selectors.ts";
import { type Violation, violation } from "./violation.ts";

// Its parallelism is the partition count; an autoscaler would only cause rebalances.
export const neverAutoscaled = new Set(["matcher"]);

export function checkWorkloads(objects: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const hpas = byKind(objects, "HorizontalPodAutoscaler");
  for (const hpa of hpas) {
    const target = at(hpa, "spec", "scaleTargetRef") as { kind: string; name: string };
    if (neverAutoscaled.has(target.name)) {
      out.push(
        violation(
          "autoscaling",
          ref(hpa),
          `autoscales ${target.name}, whose parallelism is its partition count`,
        ),
      );
    }
    if (find(objects, target.kind, target.name) === undefined) {
      out.push(
        violation(
          "autoscaling",
          ref(hpa),
          `targets ${target.kind}/${target.name}, which is not rendered`,
        ),
      );
    }
  }
  for (const w of objects.filter((o) => workloadKinds.has(o.kind))) {
    const name = w.metadata.name;
    const labels = (at(w, "spec", "template", "metadata", "labels") ?? {}) as Labels;
    const hpa = hpas.find((h) => at(h, "spec", "scaleTargetRef", "name") === name);
    if (hpa && at(w, "spec", "replicas") !== undefined) {
      out.push(violation("autoscaling", ref(w), "sets replicas although an autoscaler owns them"));
    }
    const pdb = byKind(objects, "PodDisruptionBudget").find((p) =>
      matches(at(p, "spec", "selector") as LabelSelector, labels),
    );
    if (pdb === undefined)
      out.push(violation("availability", ref(w), "has no PodDisruptionBudget"));
    const spread = (at(w, "spec", "template", "spec", "topologySpreadConstraints") ?? []) as {
      topologyKey: string;
      labelSelector?: LabelSelector;
    }[];
    if (
      !spread.some(
        (s) => s.topologyKey === "topology.kubernetes.io/zone" && matches(s.labelSelector, labels),
      )
    ) {
      out.push(violation("availability", ref(w), "is not spread across zones"));
    }
    const sa = at(w, "spec", "template", "spec", "serviceAccountName");
    if (typeof sa !== "string" || sa === "default") {
      out.push(violation("identity", ref(w), "runs as the default ServiceAccount"));
    } else if (find(objects, "ServiceAccount", sa) === undefined) {
      out.push(violation("identity", ref(w), `uses ServiceAccount ${sa}, which is not rendered`));
    } else if (
      objects.some(
        (o) =>
          workloadKinds.has(o.kind) &&
          o !== w &&
          at(o, "spec", "template", "spec", "serviceAccountName") === sa,
      )
    ) {
      out.push(violation("identity", ref(w), `shares ServiceAccount ${sa} with another workload`));
    }
    if (at(w, "spec", "template", "spec", "automountServiceAccountToken") !== false) {
      out.push(violation("identity", ref(w), "mounts a ServiceAccount token it does not need"));
    }
  }
  return out;
}
