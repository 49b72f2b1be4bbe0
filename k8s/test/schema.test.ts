// Every rendered object validates against its upstream schema with unknown
// fields rejected; the validator itself rejects what the API server would.
import { describe, expect, it } from "vitest";
import { expandApplicationSet } from "../src/argocd/applicationset.ts";
import type { K8sObject } from "../src/manifest.ts";
import { argocdDir, regions, schemaDir } from "../src/paths.ts";
import { createSchemaValidator } from "../src/schema/validate.ts";
import { copy, get, type Loose, region, rendered } from "./support/rendered.ts";

const validate = createSchemaValidator(schemaDir);
const argo = rendered(argocdDir);

describe.each(regions)("overlay %s", (name) => {
  it("validates every object against its schema", () => {
    const objects = region(name);
    expect(objects.length).toBeGreaterThan(50);
    expect(objects.flatMap(validate)).toEqual([]);
  });
});

it("validates the Argo CD manifests and the Applications the ApplicationSet generates", () => {
  expect(argo.flatMap(validate)).toEqual([]);
  const appSet = get(argo, "ApplicationSet", "fxcore");
  const apps = expandApplicationSet(appSet);
  expect(apps.ok && apps.value.flatMap(validate)).toEqual([]);
});

describe("the validator", () => {
  const eu = region("eu-west");
  const messages = (o: K8sObject) => validate(o).map((i) => `${i.path} ${i.message}`);

  it("rejects an unknown field in a core kind, nested deep", () => {
    const d = copy(get(eu, "Deployment", "gateway")) as Loose;
    d.spec.template.spec.containers[0].resource = d.spec.template.spec.containers[0].resources;
    expect(messages(d)).toContain('/spec/template/spec/containers/0 unknown field "resource"');
  });

  it("rejects an unknown field in metadata", () => {
    const d = copy(get(eu, "Service", "gateway")) as Loose;
    d.metadata.label = { a: "b" };
    expect(messages(d)).toContain('/metadata unknown field "label"');
  });

  it("rejects wrong types and missing required fields", () => {
    const d = copy(get(eu, "Deployment", "matcher")) as Loose;
    d.spec.replicas = "two";
    delete d.spec.selector;
    const m = messages(d);
    expect(m).toContain("/spec/replicas must be integer");
    expect(m.some((x) => x.includes("must have required property 'selector'"))).toBe(true);
  });

  it("rejects unknown fields in Strimzi, CloudNativePG, Prometheus and External Secrets resources", () => {
    const topic = copy(get(eu, "KafkaTopic", "fx-orders")) as Loose;
    topic.spec.partition = 3;
    expect(messages(topic)).toContain('/spec unknown field "partition"');
    const pg = copy(get(eu, "Cluster", "fxcore-pg")) as Loose;
    pg.spec.backup.barmanObjectStore.destinationPth = "s3://x";
    expect(messages(pg)).toContain('/spec/backup/barmanObjectStore unknown field "destinationPth"');
    const rule = copy(get(eu, "PrometheusRule", "fxcore")) as Loose;
    rule.spec.groups[0].rules[0].fore = "5m";
    expect(messages(rule)).toContain('/spec/groups/0/rules/0 unknown field "fore"');
    const es = copy(get(eu, "ExternalSecret", "command-service-db")) as Loose;
    es.spec.secretStoreRef.kinds = "ClusterSecretStore";
    expect(messages(es)).toContain('/spec/secretStoreRef unknown field "kinds"');
    const mm2 = copy(get(eu, "KafkaMirrorMaker2", "fxcore-mirror")) as Loose;
    mm2.spec.mirrors[0].topicPattern = "fx";
    expect(messages(mm2)).toContain('/spec/mirrors/0 unknown field "topicPattern"');
  });

  it("checks Strimzi's polymorphic fields by their type (storage, authentication)", () => {
    const pool = copy(get(eu, "KafkaNodePool", "brokers")) as Loose;
    pool.spec.storage.volumes[0].deleteClam = true;
    expect(messages(pool)).toEqual(['/spec/storage/volumes/0 unknown field "deleteClam"']);
    pool.spec.storage.volumes[0] = { id: 0, type: "persistent-clam", size: "1Gi" };
    expect(messages(pool)).toEqual([
      '/spec/storage/volumes/0 value of tag "type" must be in oneOf',
    ]);
    const mm2 = copy(get(eu, "KafkaMirrorMaker2", "fxcore-mirror")) as Loose;
    mm2.spec.clusters[1].authentication.certificateAndKey.cert = "user.crt";
    expect(messages(mm2)).toEqual([
      '/spec/clusters/1/authentication/certificateAndKey unknown field "cert"',
    ]);
  });

  it("rejects unknown fields inside the shared (hoisted) parts of the ApplicationSet schema", () => {
    const appSet = copy(get(argo, "ApplicationSet", "fxcore")) as Loose;
    appSet.spec.template.spec.syncPolicy.automated.prun = true;
    expect(messages(appSet)).toContain(
      '/spec/template/spec/syncPolicy/automated unknown field "prun"',
    );
    const bad = copy(get(argo, "ApplicationSet", "fxcore")) as Loose;
    bad.spec.generators[0].list.element = [];
    expect(messages(bad)).toContain('/spec/generators/0/list unknown field "element"');
  });

  it("rejects a wrong apiVersion/kind pairing and kinds it has no schema for", () => {
    const t = copy(get(eu, "KafkaTopic", "fx-orders"));
    expect(messages({ ...t, apiVersion: "kafka.strimzi.io/v1alpha1" })).toEqual([
      "/ no schema for kafka.strimzi.io/v1alpha1 KafkaTopic",
    ]);
    expect(messages({ apiVersion: "v1", kind: "Secret", metadata: { name: "x" } })).toEqual([
      "/ no schema for v1 Secret",
    ]);
  });

  it("accepts int-or-string and quantity fields in both spellings", () => {
    const d = copy(get(eu, "Deployment", "gateway")) as Loose;
    d.spec.strategy.rollingUpdate.maxSurge = "25%";
    d.spec.template.spec.containers[0].resources.limits.cpu = 2;
    expect(messages(d)).toEqual([]);
  });
});
