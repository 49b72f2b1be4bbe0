// Overlays with one deliberate mistake each (fixtures/broken/) render fine
// with kubectl kustomize, and validation reports exactly that mistake.
import { describe, expect, it } from "vitest";
import { checkRegion } from "../src/check.ts";
import { k8sDir, schemaDir } from "../src/paths.ts";
import { checkHomes } from "../src/policy/homes.ts";
import type { Violation } from "../src/policy/violation.ts";
import { createSchemaValidator } from "../src/schema/validate.ts";
import { region, rendered } from "./support/rendered.ts";

const validate = createSchemaValidator(schemaDir);
const fixture = (name: string) => rendered(`${k8sDir}test/fixtures/broken/${name}`);
const text = (vs: Violation[]) => vs.map((v) => `${v.policy} ${v.object}: ${v.message}`);

describe("a broken overlay fails validation", () => {
  it("typo in a field name (core kind and custom resource)", () => {
    expect(text(checkRegion(validate, fixture("typo-field")))).toEqual([
      'schema Deployment/gateway: /spec/template/spec/containers/0/livenessProbe: unknown field "periodSecond"',
      'schema KafkaTopic/fx-orders: /spec: unknown field "partiton"',
    ]);
  });

  it("container without limits", () => {
    expect(text(checkRegion(validate, fixture("missing-limit")))).toEqual([
      "resources Deployment/matcher container matcher: has no cpu limit",
      "resources Deployment/matcher container matcher: has no memory limit",
    ]);
  });

  it("autoscaler on the matcher", () => {
    expect(text(checkRegion(validate, fixture("matcher-autoscaled")))).toEqual([
      "autoscaling HorizontalPodAutoscaler/matcher: autoscales matcher, whose parallelism is its partition count",
      "autoscaling Deployment/matcher: sets replicas although an autoscaler owns them",
    ]);
  });

  it("floating image tag", () => {
    expect(text(checkRegion(validate, fixture("latest-tag")))).toEqual([
      'images Deployment/gateway container gateway: uses the floating tag "latest" (registry.fxcore.internal/fxcore/gateway:latest)',
    ]);
  });

  it("pair homed in two regions", () => {
    const twice = fixture("pair-homed-twice/us-east");
    expect(checkRegion(validate, twice)).toEqual([]);
    const regions = [
      { region: "eu-west", objects: region("eu-west") },
      { region: "us-east", objects: twice },
    ];
    expect(text(checkHomes(regions))).toEqual(["homes EURUSD: is homed in eu-west and us-east"]);
  });
});
