// Everything CI checks about the deployment, as one function: render every
// overlay and the Argo CD manifests, validate each object against its
// schema, expand the ApplicationSet, and run the policies.
import { existsSync, readFileSync } from "node:fs";
import { expandApplicationSet } from "./argocd/applicationset.ts";
import { byKind, type K8sObject } from "./manifest.ts";
import { checkContainers } from "./policy/containers.ts";
import { checkSyncPolicy } from "./policy/gitops.ts";
import { checkHomes, type RegionRender } from "./policy/homes.ts";
import { checkNetworkPolicies } from "./policy/network.ts";
import { type Violation, violation } from "./policy/violation.ts";
import { checkWorkloads } from "./policy/workloads.ts";
import { renderKustomization } from "./render.ts";
import { createSchemaValidator, type SchemaValidator } from "./schema/validate.ts";
import { compareTopics, parseTopicList } from "./topics.ts";

export type RegionInput = { region: string; dir: string };

export type CheckReport = {
  regions: RegionRender[];
  applications: K8sObject[];
  violations: Violation[];
};

export function schemaViolations(
  validate: SchemaValidator,
  objects: readonly K8sObject[],
): Violation[] {
  return objects.flatMap((o) =>
    validate(o).map((i) => violation("schema", i.object, `${i.path}: ${i.message}`)),
  );
}

/** Checks one region's rendered objects on their own. */
export function checkRegion(validate: SchemaValidator, objects: readonly K8sObject[]): Violation[] {
  return [
    ...schemaViolations(validate, objects),
    ...checkContainers(objects),
    ...checkWorkloads(objects),
    ...checkNetworkPolicies(objects),
    ...checkSyncPolicy(objects),
  ];
}

export function checkDeployment(opts: {
  schemaDir: string;
  regions: readonly RegionInput[];
  argocdDir: string;
  topicsJson?: string;
}): CheckReport {
  const validate = createSchemaValidator(opts.schemaDir);
  const violations: Violation[] = [];
  const rendered: RegionRender[] = [];
  for (const { region, dir } of opts.regions) {
    const r = renderKustomization(dir);
    if (!r.ok) {
      violations.push(violation("render", region, r.error.message));
      continue;
    }
    rendered.push({ region, objects: r.value });
    violations.push(
      ...checkRegion(validate, r.value).map((v) => ({ ...v, object: `${region}: ${v.object}` })),
    );
    if (opts.topicsJson !== undefined && existsSync(opts.topicsJson)) {
      const declared = parseTopicList(JSON.parse(readFileSync(opts.topicsJson, "utf8")));
      violations.push(
        ...compareTopics(r.value, declared).map((v) => ({
          ...v,
          object: `${region}: ${v.object}`,
        })),
      );
    }
  }
  violations.push(...checkHomes(rendered));
  const applications: K8sObject[] = [];
  const argo = renderKustomization(opts.argocdDir);
  if (!argo.ok) violations.push(violation("render", "argocd", argo.error.message));
  else {
    violations.push(...schemaViolations(validate, argo.value));
    for (const appSet of byKind(argo.value, "ApplicationSet")) {
      const expanded = expandApplicationSet(appSet);
      if (!expanded.ok)
        violations.push(violation("applicationset", appSet.metadata.name, expanded.error.message));
      else applications.push(...expanded.value);
    }
    violations.push(...schemaViolations(validate, applications));
  }
  return { regions: rendered, applications, violations };
}
