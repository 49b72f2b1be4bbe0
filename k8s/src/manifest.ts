// Rendered Kubernetes objects and how to read them.
import { parseAllDocuments } from "yaml";

export type ObjectMeta = {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
};

export type ManifestError = { kind: "manifest-error"; message: string };

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export function isK8sObject(value: unknown): value is K8sObject {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const meta = v.metadata as Record<string, unknown> | undefined;
  return (
    typeof v.apiVersion === "string" &&
    typeof v.kind === "string" &&
    typeof meta === "object" &&
    meta !== null &&
    typeof meta.name === "string"
  );
}

/** Parses a multi-document YAML stream; every document must be an object with apiVersion, kind and metadata.name. */
export function parseManifests(text: string): Result<K8sObject[], ManifestError> {
  const objects: K8sObject[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) {
      return {
        ok: false,
        error: { kind: "manifest-error", message: `document ${i}: ${doc.errors[0]?.message}` },
      };
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isK8sObject(value)) {
      return {
        ok: false,
        error: {
          kind: "manifest-error",
          message: `document ${i} is not a Kubernetes object (apiVersion, kind, metadata.name)`,
        },
      };
    }
    objects.push(value);
  }
  return { ok: true, value: objects };
}

export function ref(o: K8sObject): string {
  return `${o.kind}/${o.metadata.name}`;
}

export function byKind(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function find(
  objects: readonly K8sObject[],
  kind: string,
  name: string,
): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** Reads a nested field by path; undefined when any step is missing. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current: unknown = value;
  for (const step of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}
