// Resolves a container's environment from the rendered ConfigMaps, the way
// the kubelet would (envFrom first, then env overriding it).
import { at, find, type K8sObject } from "./manifest.ts";

type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string };
    secretKeyRef?: { name: string; key: string };
  };
};
type EnvFrom = { configMapRef?: { name: string }; secretRef?: { name: string } };
export type Container = {
  name: string;
  image?: string;
  env?: EnvVar[];
  envFrom?: EnvFrom[];
  [field: string]: unknown;
};

/** Values from ConfigMaps and literals; secret-backed variables map to "<secret:name/key>". */
export function resolveEnv(
  container: Container,
  objects: readonly K8sObject[],
): Map<string, string> {
  const env = new Map<string, string>();
  const configMapData = (name: string): Record<string, string> =>
    (at(find(objects, "ConfigMap", name), "data") ?? {}) as Record<string, string>;
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      for (const [k, v] of Object.entries(configMapData(from.configMapRef.name))) env.set(k, v);
    }
  }
  for (const v of container.env ?? []) {
    if (v.value !== undefined) env.set(v.name, v.value);
    const cm = v.valueFrom?.configMapKeyRef;
    if (cm) {
      const value = configMapData(cm.name)[cm.key];
      if (value !== undefined) env.set(v.name, value);
    }
    const secret = v.valueFrom?.secretKeyRef;
    if (secret) env.set(v.name, `<secret:${secret.name}/${secret.key}>`);
  }
  return env;
}

export const workloadKinds = new Set(["Deployment", "StatefulSet"]);

export function podTemplate(o: K8sObject): Record<string, unknown> | undefined {
  return at(o, "spec", "template") as Record<string, unknown> | undefined;
}

export function containersOf(o: K8sObject): Container[] {
  const spec = at(o, "spec", "template", "spec") as Record<string, unknown> | undefined;
  return [
    ...((spec?.initContainers ?? []) as Container[]),
    ...((spec?.containers ?? []) as Container[]),
  ];
}
