// Alerts exist for what matters here, reference only metrics the dashboard
// and the services' contract know, and the dashboard is well-formed.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { at, byKind } from "../src/manifest.ts";
import { k8sDir } from "../src/paths.ts";
import { get, type Loose, region } from "./support/rendered.ts";

const eu = region("eu-west");
type Rule = { alert?: string; expr: string; for?: string; labels?: Record<string, string> };
const rules = (
  at(get(eu, "PrometheusRule", "fxcore"), "spec", "groups") as { rules: Rule[] }[]
).flatMap((g) => g.rules);
const dashboard = JSON.parse(
  readFileSync(`${k8sDir}base/observability/dashboards/fxcore-overview.json`, "utf8"),
) as {
  uid: string;
  panels: { id: number; title: string; targets: { expr: string }[] }[];
};

describe("alerts", () => {
  it.each([
    ["consumer lag", "FxConsumerLagHigh", "kafka_consumergroup_lag"],
    ["matcher stalled", "FxMatcherStalled", "fx_matcher_inputs_total"],
    ["projection lag", "FxProjectionLagHigh", "fx_projection_lag"],
    [
      "audit chain verification failed",
      "FxAuditChainVerificationFailed",
      "fx_audit_chain_verification_failures_total",
    ],
    ["error rate", "FxErrorRateHigh", "gateway_requests_total"],
    ["p99 latency", "FxLatencyP99High", "gateway_request_duration_seconds_bucket"],
    [
      "cross-region replication (RPO)",
      "FxMirrorLagHigh",
      "kafka_connect_mirror_source_connector_replication_latency_ms_max",
    ],
  ])("covers %s", (_, alert, metric) => {
    const rule = rules.find((r) => r.alert === alert);
    expect(rule?.expr).toContain(metric);
    expect(["warning", "critical"]).toContain(rule?.labels?.severity);
  });

  it("match the consumer groups the services are configured with", () => {
    const lag = rules.find((r) => r.alert === "FxConsumerLagHigh")!;
    const pattern = /consumergroup=~"(.+?)"/.exec(lag.expr)?.[1]?.replaceAll("\\\\", "\\");
    const groups = ["matcher", "projection-service"].map((svc) => {
      const env = (get(eu, "Deployment", svc) as Loose).spec.template.spec.containers[0].env as {
        name: string;
        value?: string;
      }[];
      return env.find((e) => e.name.endsWith("_GROUP_ID"))?.value;
    });
    expect(groups).toEqual(["fxcore.matcher", "fxcore.projection"]);
    for (const g of groups) expect(g).toMatch(new RegExp(`^(?:${pattern})$`));
  });

  it("have unique names", () => {
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("dashboard", () => {
  it("ships as a ConfigMap the Grafana sidecar picks up", () => {
    const cm = byKind(eu, "ConfigMap").find((c) =>
      c.metadata.name.startsWith("fxcore-dashboards-"),
    );
    expect(at(cm, "metadata", "labels", "grafana_dashboard")).toBe("1");
    expect(JSON.parse(String(at(cm, "data", "fxcore-overview.json"))).uid).toBe("fxcore-overview");
  });

  it("has unique panel ids and a query in every panel", () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.targets.length, p.title).toBeGreaterThan(0);
  });

  it("plots the metrics the alerts fire on", () => {
    const plotted = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join("\n");
    for (const metric of [
      "fx_matcher_inputs_total",
      "kafka_consumergroup_lag",
      "fx_projection_lag",
      "gateway_request_duration_seconds_bucket",
      "fx_audit_chain_verification_failures_total",
    ]) {
      expect(plotted).toContain(metric);
    }
  });
});
