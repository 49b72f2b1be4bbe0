// The overlays render, and the values they patch in are really there (a
// kustomize patch whose target matches nothing passes silently).
import { describe, expect, it } from "vitest";
import { containersOf, resolveEnv } from "../src/env.ts";
import { at, ref } from "../src/manifest.ts";
import { regions } from "../src/paths.ts";
import { renderKustomization } from "../src/render.ts";
import { get, region } from "./support/rendered.ts";

const peerOf = { "eu-west": "us-east", "us-east": "eu-west" } as const;
const cidrOf = { "eu-west": "10.10.0.0/16", "us-east": "10.20.0.0/16" } as const;

describe.each(regions)("overlay %s", (name) => {
  const objects = region(name);
  const peer = peerOf[name];

  it("puts every namespaced object in namespace fxcore", () => {
    const stray = objects.filter(
      (o) => o.kind !== "Namespace" && o.metadata.namespace !== "fxcore",
    );
    expect(stray.map(ref)).toEqual([]);
  });

  it("renders the same objects as the other region (only values differ)", () => {
    const names = (os: typeof objects) =>
      os.map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, "")}`).sort();
    expect(names(objects)).toEqual(names(region(peer)));
  });

  it("gives every service its region, peer and the hashed ConfigMaps", () => {
    for (const svc of [
      "gateway",
      "command-service",
      "matcher",
      "projection-service",
      "query-api",
    ]) {
      const c = containersOf(get(objects, "Deployment", svc))[0]!;
      const env = resolveEnv(c, objects);
      expect(env.get("FXCORE_REGION")).toBe(name);
      expect(env.get("FXCORE_PEER_REGION")).toBe(peer);
      expect(env.get("KAFKA_BROKERS")).toBe("fxcore-kafka-kafka-bootstrap:9092");
      expect(env.get("PORT")).toMatch(/^808[0-4]$/);
    }
  });

  it("gives the writers and the projections the writer epoch", () => {
    for (const svc of ["command-service", "matcher", "projection-service"]) {
      const env = resolveEnv(containersOf(get(objects, "Deployment", svc))[0]!, objects);
      expect(env.get("FXCORE_WRITER_EPOCH"), svc).toMatch(/^[1-9][0-9]*$/);
    }
  });

  it("reads DATABASE_URL only from Secrets, by reference", () => {
    for (const svc of ["gateway", "command-service", "projection-service", "query-api"]) {
      const env = resolveEnv(containersOf(get(objects, "Deployment", svc))[0]!, objects);
      expect(env.get("DATABASE_URL")).toBe(`<secret:${svc}-db/DATABASE_URL>`);
      expect(
        objects.some((o) => o.kind === "ExternalSecret" && o.metadata.name === `${svc}-db`),
      ).toBe(true);
    }
    const gateway = resolveEnv(containersOf(get(objects, "Deployment", "gateway"))[0]!, objects);
    expect(gateway.get("GATEWAY_MASTER_KEY")).toBe(
      "<secret:gateway-master-key/GATEWAY_MASTER_KEY>",
    );
    expect(objects.filter((o) => o.kind === "Secret")).toEqual([]);
  });

  it("projects local and mirrored topics, so read models cover every pair", () => {
    const env = resolveEnv(
      containersOf(get(objects, "Deployment", "projection-service"))[0]!,
      objects,
    );
    expect(env.get("PROJECTION_TOPICS")?.split(",")).toEqual([
      "fx.orders",
      "fx.executions",
      `${peer}.fx.orders`,
      `${peer}.fx.executions`,
    ]);
  });

  it("mirrors the peer's topics into this region under the peer's name", () => {
    const mm2 = get(objects, "KafkaMirrorMaker2", "fxcore-mirror");
    expect(at(mm2, "spec", "connectCluster")).toBe(name);
    expect(at(mm2, "spec", "clusters", 0, "alias")).toBe(name);
    expect(at(mm2, "spec", "clusters", 1, "alias")).toBe(peer);
    expect(at(mm2, "spec", "clusters", 1, "bootstrapServers")).toBe(
      `kafka.fxcore.${peer}.fxcore.internal:9094`,
    );
    expect(at(mm2, "spec", "mirrors", 0)).toMatchObject({
      sourceCluster: peer,
      targetCluster: name,
    });
  });

  it("points Postgres backups at its own bucket path and the replica cluster at the peer", () => {
    const pg = get(objects, "Cluster", "fxcore-pg");
    expect(at(pg, "spec", "backup", "barmanObjectStore", "destinationPath")).toBe(
      `s3://fxcore-pg-backups/${name}`,
    );
    expect(at(pg, "spec", "replica")).toBeUndefined();
    const replica = get(objects, "Cluster", "fxcore-pg-peer");
    expect(at(replica, "spec", "replica")).toEqual({ enabled: true, source: "peer" });
    expect(at(replica, "spec", "externalClusters", 0, "connectionParameters", "host")).toBe(
      `pg.fxcore.${peer}.fxcore.internal`,
    );
    expect(at(replica, "spec", "externalClusters", 0, "barmanObjectStore", "destinationPath")).toBe(
      `s3://fxcore-pg-backups/${peer}`,
    );
  });

  it("opens cross-region ports only to the peer's address range", () => {
    const cidr = cidrOf[peer];
    const np = (n: string) => get(objects, "NetworkPolicy", n);
    expect(at(np("postgres"), "spec", "ingress", 2, "from", 0, "ipBlock", "cidr")).toBe(cidr);
    expect(at(np("postgres"), "spec", "egress", 1, "to", 0, "ipBlock", "cidr")).toBe(cidr);
    expect(at(np("mirror-maker"), "spec", "egress", 2, "to", 0, "ipBlock", "cidr")).toBe(cidr);
    const kafka = get(objects, "Kafka", "fxcore-kafka");
    expect(
      at(kafka, "spec", "kafka", "listeners", 2, "networkPolicyPeers", 0, "ipBlock", "cidr"),
    ).toBe(cidr);
    const placeholders = JSON.stringify(objects).match(
      /0\.0\.0\.0\/32|peer\.invalid|\/REGION|\/PEER"/g,
    );
    expect(placeholders).toBeNull();
  });

  it("keeps one schema-registry writer: the primary-role region", () => {
    const env = resolveEnv(
      containersOf(get(objects, "Deployment", "schema-registry"))[0]!,
      objects,
    );
    const role = resolveEnv(containersOf(get(objects, "Deployment", "gateway"))[0]!, objects).get(
      "FXCORE_REGION_ROLE",
    );
    expect(["primary", "secondary"]).toContain(role);
    expect(env.get("APICURIO_STORAGE_READ_ONLY_ENABLED")).toBe(
      role === "primary" ? "false" : "true",
    );
    expect(env.get("APICURIO_DATASOURCE_URL")).toBe(
      role === "primary"
        ? "jdbc:postgresql://fxcore-pg-rw:5432/registry"
        : "jdbc:postgresql://fxcore-pg-peer-r:5432/registry",
    );
  });
});

it("has exactly one primary-role region", () => {
  const roles = regions.map((r) =>
    resolveEnv(containersOf(get(region(r), "Deployment", "gateway"))[0]!, region(r)).get(
      "FXCORE_REGION_ROLE",
    ),
  );
  expect(roles.filter((r) => r === "primary")).toHaveLength(1);
});

it("reports a kustomization that does not build as an error value", () => {
  const r = renderKustomization("/nonexistent/overlay");
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error.message).toMatch(/must build at directory|no such file/);
});
