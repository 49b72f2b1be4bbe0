// NetworkPolicies allow exactly the flows of ../shared/DESIGN.md between the
// workloads in the namespace, and every workload is covered by one.
import { containersOf, workloadKinds } from "../env.ts";
import { at, byKind, type K8sObject } from "../manifest.ts";
import { type LabelSelector, type Labels, matches } from "./selectors.ts";
import { type Violation, violation } from "./violation.ts";

/** A pod identity in the namespace, with the ports it listens on. */
export type Node = { name: string; labels: Labels; ports: Map<string, number> };

export type Flow = `${string} -> ${string}:${number}`;

// DESIGN.md "The flow": gateway -> command-service -> event store + outbox ->
// Kafka; matcher Kafka -> Kafka; projection Kafka -> Postgres; query-api ->
// Postgres; serdes -> schema registry -> its storage. Besides: the gateway's
// own API-key store and execution-report reads (GATEWAY_EXECUTIONS=read-model).
export const designFlows: readonly Flow[] = [
  "gateway -> command-service:8081",
  "gateway -> query-api:8082",
  "gateway -> postgres:5432",
  "command-service -> postgres:5432",
  "command-service -> kafka:9092",
  "command-service -> schema-registry:8080",
  "matcher -> kafka:9092",
  "matcher -> schema-registry:8080",
  "projection-service -> kafka:9092",
  "projection-service -> schema-registry:8080",
  "projection-service -> postgres:5432",
  "query-api -> postgres:5432",
  "schema-registry -> postgres:5432",
  "schema-registry -> postgres-peer:5432",
];

// Pods the operators create, as their labels and ports.
const operatorPods: readonly Node[] = [
  {
    name: "kafka",
    labels: {
      "strimzi.io/cluster": "fxcore-kafka",
      "strimzi.io/kind": "Kafka",
      "strimzi.io/broker-role": "true",
    },
    ports: new Map([
      ["tcp-clients", 9092],
      ["tcp-clientstls", 9093],
    ]),
  },
  {
    name: "postgres",
    labels: { "cnpg.io/cluster": "fxcore-pg" },
    ports: new Map([
      ["postgresql", 5432],
      ["status", 8000],
    ]),
  },
  {
    name: "postgres-peer",
    labels: { "cnpg.io/cluster": "fxcore-pg-peer" },
    ports: new Map([
      ["postgresql", 5432],
      ["status", 8000],
    ]),
  },
];

type Peer = { podSelector?: LabelSelector; namespaceSelector?: LabelSelector; ipBlock?: unknown };
type Port = { port?: number | string; protocol?: string };
type Rule = { from?: Peer[]; to?: Peer[]; ports?: Port[] };

function workloadNodes(objects: readonly K8sObject[]): Node[] {
  return objects
    .filter((o) => workloadKinds.has(o.kind))
    .map((o) => {
      const ports = new Map<string, number>();
      for (const c of containersOf(o)) {
        for (const p of (c.ports ?? []) as { name?: string; containerPort: number }[]) {
          ports.set(p.name ?? String(p.containerPort), p.containerPort);
        }
      }
      return {
        name: o.metadata.name,
        labels: (at(o, "spec", "template", "metadata", "labels") ?? {}) as Labels,
        ports,
      };
    });
}

function portAllowed(ports: Port[] | undefined, target: Node, port: number): boolean {
  if (ports === undefined || ports.length === 0) return true;
  return ports.some(
    (p) =>
      p.port === undefined ||
      p.port === port ||
      (typeof p.port === "string" && target.ports.get(p.port) === port),
  );
}

// Same-namespace pod peers only: a namespaceSelector or ipBlock never matches a pod of ours.
function peerMatches(peers: Peer[] | undefined, node: Node): boolean {
  if (peers === undefined || peers.length === 0) return true;
  return peers.some(
    (p) =>
      p.namespaceSelector === undefined &&
      p.ipBlock === undefined &&
      matches(p.podSelector ?? {}, node.labels),
  );
}

function policiesFor(
  nps: readonly K8sObject[],
  node: Node,
  type: "Ingress" | "Egress",
): K8sObject[] {
  return nps.filter((np) => {
    const types = (at(np, "spec", "policyTypes") ?? ["Ingress"]) as string[];
    return (
      types.includes(type) && matches(at(np, "spec", "podSelector") as LabelSelector, node.labels)
    );
  });
}

// A pod no policy selects for a direction is not isolated in that direction.
function egressAllows(nps: readonly K8sObject[], from: Node, to: Node, port: number): boolean {
  const selecting = policiesFor(nps, from, "Egress");
  return (
    selecting.length === 0 ||
    selecting.some((np) =>
      ((at(np, "spec", "egress") ?? []) as Rule[]).some(
        (r) => peerMatches(r.to, to) && portAllowed(r.ports, to, port),
      ),
    )
  );
}

function ingressAllows(
  objects: readonly K8sObject[],
  nps: readonly K8sObject[],
  from: Node,
  to: Node,
  port: number,
): boolean {
  if (to.name === "kafka") {
    // Strimzi writes the brokers' ingress policy from each listener's networkPolicyPeers.
    const kafka = byKind(objects, "Kafka")[0];
    const listeners = (at(kafka, "spec", "kafka", "listeners") ?? []) as {
      port: number;
      networkPolicyPeers?: Peer[];
    }[];
    return listeners.some((l) => l.port === port && peerMatches(l.networkPolicyPeers, from));
  }
  const selecting = policiesFor(nps, to, "Ingress");
  return (
    selecting.length === 0 ||
    selecting.some((np) =>
      ((at(np, "spec", "ingress") ?? []) as Rule[]).some(
        (r) => peerMatches(r.from, from) && portAllowed(r.ports, to, port),
      ),
    )
  );
}

/** The flows the NetworkPolicies open from each workload to any pod in the namespace. */
export function allowedFlows(objects: readonly K8sObject[]): Set<Flow> {
  const nps = byKind(objects, "NetworkPolicy");
  const sources = workloadNodes(objects);
  const targets = [...sources, ...operatorPods];
  const flows = new Set<Flow>();
  for (const from of sources) {
    for (const to of targets) {
      if (to.name === from.name) continue;
      for (const port of new Set(to.ports.values())) {
        if (egressAllows(nps, from, to, port) && ingressAllows(objects, nps, from, to, port)) {
          flows.add(`${from.name} -> ${to.name}:${port}`);
        }
      }
    }
  }
  return flows;
}

export function checkNetworkPolicies(
  objects: readonly K8sObject[],
  expected: readonly Flow[] = designFlows,
): Violation[] {
  const out: Violation[] = [];
  const nps = byKind(objects, "NetworkPolicy");
  const denyAll = nps.find((np) => {
    const selector = at(np, "spec", "podSelector") as LabelSelector | undefined;
    const types = (at(np, "spec", "policyTypes") ?? []) as string[];
    return (
      selector !== undefined &&
      Object.keys(selector).length === 0 &&
      types.includes("Ingress") &&
      types.includes("Egress") &&
      at(np, "spec", "ingress") === undefined &&
      at(np, "spec", "egress") === undefined
    );
  });
  if (denyAll === undefined)
    out.push(violation("network", "namespace", "has no default-deny NetworkPolicy"));
  const nodes = workloadNodes(objects);
  for (const node of nodes) {
    for (const type of ["Ingress", "Egress"] as const) {
      // A policy of its own selects this workload and no other one.
      const own = policiesFor(nps, node, type).filter((np) => {
        const selector = at(np, "spec", "podSelector") as LabelSelector;
        return nodes.every((other) => other === node || !matches(selector, other.labels));
      });
      if (own.length === 0)
        out.push(
          violation(
            "network",
            node.name,
            `no NetworkPolicy of its own governs ${type.toLowerCase()}`,
          ),
        );
    }
  }
  const actual = allowedFlows(objects);
  for (const flow of actual) {
    if (!expected.includes(flow))
      out.push(violation("network", flow, "is allowed but is not a flow of the design"));
  }
  for (const flow of expected) {
    if (!actual.has(flow))
      out.push(violation("network", flow, "is a flow of the design but is blocked"));
  }
  return out;
}
