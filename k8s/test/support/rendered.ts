// Renders each overlay once per test file.
import { find, type K8sObject } from "../../src/manifest.ts";
import { overlayDir, type regions } from "../../src/paths.ts";
import { renderKustomization } from "../../src/render.ts";

const cache = new Map<string, K8sObject[]>();

export function rendered(dir: string): K8sObject[] {
  const hit = cache.get(dir);
  if (hit) return hit;
  const r = renderKustomization(dir);
  if (!r.ok) throw new Error(`${dir} does not render: ${r.error.message}`);
  cache.set(dir, r.value);
  return r.value;
}

export function region(name: (typeof regions)[number]): K8sObject[] {
  return rendered(overlayDir(name));
}

export function get(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const o = find(objects, kind, name);
  if (o === undefined) throw new Error(`${kind}/${name} is not rendered`);
  return o;
}

/** A deep copy to mutate in a negative test. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/** Negative tests reach into arbitrary fields of a rendered object. */
// biome-ignore lint/suspicious/noExplicitAny: a test's mutable view of parsed YAML
export type Loose = any;
