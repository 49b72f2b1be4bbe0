// The ApplicationSet yields exactly one Application per region, pointing at
// that region's overlay and cluster, inside the least-privilege project.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expandApplicationSet } from "../src/argocd/applicationset.ts";
import { at, type K8sObject } from "../src/manifest.ts";
import { argocdDir, regions, repoDir } from "../src/paths.ts";
import { copy, get, type Loose, rendered } from "./support/rendered.ts";

const argo = rendered(argocdDir);
const appSet = get(argo, "ApplicationSet", "fxcore");
const project = get(argo, "AppProject", "fxcore");

function expand(o: K8sObject): K8sObject[] {
  const r = expandApplicationSet(o);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe("ApplicationSet fxcore", () => {
  const apps = expand(appSet);

  it("produces exactly the two regional Applications", () => {
    expect(apps.map((a) => a.metadata.name).sort()).toEqual(["fxcore-eu-west", "fxcore-us-east"]);
  });

  it.each(regions)("points %s at its overlay and its cluster, in project fxcore", (region) => {
    const app = apps.find((a) => a.metadata.name === `fxcore-${region}`)!;
    expect(at(app, "metadata", "namespace")).toBe("argocd");
    expect(at(app, "spec", "project")).toBe("fxcore");
    expect(at(app, "spec", "source", "path")).toBe(`k8s/overlays/${region}`);
    expect(existsSync(`${repoDir}k8s/overlays/${region}/kustomization.yaml`)).toBe(true);
    expect(at(app, "spec", "destination")).toEqual({
      name: `fxcore-${region}`,
      namespace: "fxcore",
    });
    expect(at(app, "metadata", "labels", "fxcore.io/region")).toBe(region);
  });

  it("deploys only to destinations and from the repository the project allows", () => {
    const destinations = at(project, "spec", "destinations") as {
      name: string;
      namespace: string;
    }[];
    const repos = at(project, "spec", "sourceRepos") as string[];
    for (const app of apps) {
      expect(destinations).toContainEqual(at(app, "spec", "destination"));
      expect(repos).toContain(at(app, "spec", "source", "repoURL"));
    }
    expect(repos).not.toContain("*");
    expect(destinations.every((d) => d.namespace === "fxcore")).toBe(true);
    expect(at(project, "spec", "clusterResourceWhitelist")).toEqual([
      { group: "", kind: "Namespace" },
    ]);
  });

  it("syncs regions one step at a time: secondary role first, then primary", () => {
    const steps = at(appSet, "spec", "strategy", "rollingSync", "steps") as Loose[];
    const stepOf = (region: string) => {
      const label = at(
        apps.find((a) => a.metadata.name === `fxcore-${region}`),
        "metadata",
        "labels",
        "fxcore.io/sync-step",
      );
      return steps.findIndex((s) => s.matchExpressions[0].values.includes(label));
    };
    expect(stepOf("us-east")).toBe(0);
    expect(stepOf("eu-west")).toBe(1);
    expect(steps.every((s) => s.maxUpdate === 1)).toBe(true);
  });

  it("allows every kind the overlays render, and nothing cluster-wide but the Namespace", () => {
    const allowed = new Set(
      (at(project, "spec", "namespaceResourceWhitelist") as { group: string; kind: string }[]).map(
        (k) => `${k.group}/${k.kind}`,
      ),
    );
    for (const region of regions) {
      for (const o of rendered(`${repoDir}k8s/overlays/${region}`)) {
        if (o.kind === "Namespace") continue;
        const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
        expect(allowed, `${o.kind} in ${region}`).toContain(`${group}/${o.kind}`);
      }
    }
  });
});

describe("ApplicationSet expansion", () => {
  it("fails on a key the elements do not have (missingkey=error)", () => {
    const bad = copy(appSet) as Loose;
    bad.spec.template.spec.source.path = "k8s/overlays/{{ .regoin }}";
    const r = expandApplicationSet(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe('map has no entry for key "regoin"');
  });

  it("fails on two elements that render the same Application name", () => {
    const bad = copy(appSet) as Loose;
    bad.spec.generators[0].list.elements.push({
      region: "eu-west",
      cluster: "other",
      syncStep: "3",
    });
    const r = expandApplicationSet(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe("two Applications are named fxcore-eu-west");
  });

  it("refuses what it cannot render faithfully", () => {
    const fn = copy(appSet) as Loose;
    fn.spec.template.metadata.name = "fxcore-{{ .region | upper }}";
    expect(expandApplicationSet(fn)).toMatchObject({
      ok: false,
      error: { message: "unsupported template expression {{ .region | upper }}" },
    });
    const git = copy(appSet) as Loose;
    git.spec.generators.push({ git: { repoURL: "x", revision: "main" } });
    expect(expandApplicationSet(git)).toMatchObject({
      ok: false,
      error: { message: "unsupported generator git" },
    });
  });
});
