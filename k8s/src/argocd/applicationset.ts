// Expands an ApplicationSet's list generator the way the ApplicationSet
// controller does with goTemplate and missingkey=error, so a test can see the
// exact Applications Argo CD will create. Only what fxcore uses is supported
// (list generator, `{{ .path.to.key }}` substitutions); anything else is an
// error rather than a silent guess.
import { at, isK8sObject, type K8sObject, type Result } from "../manifest.ts";

export type ExpandError = { kind: "expand-error"; message: string };

type Params = Record<string, unknown>;

const expression = /\{\{-?\s*(.*?)\s*-?\}\}/g;

function substitute(text: string, params: Params): Result<string, ExpandError> {
  let failure: string | undefined;
  const out = text.replace(expression, (_, expr: string) => {
    const path = /^\.([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)$/.exec(expr);
    if (path === null) {
      failure ??= `unsupported template expression {{ ${expr} }}`;
      return "";
    }
    const value = at(params, ...(path[1] ?? "").split("."));
    if (value === undefined) {
      failure ??= `map has no entry for key "${path[1]}"`;
      return "";
    }
    return String(value);
  });
  return failure === undefined
    ? { ok: true, value: out }
    : { ok: false, error: { kind: "expand-error", message: failure } };
}

function render(node: unknown, params: Params): Result<unknown, ExpandError> {
  if (typeof node === "string") return substitute(node, params);
  if (Array.isArray(node)) {
    const items: unknown[] = [];
    for (const item of node) {
      const r = render(item, params);
      if (!r.ok) return r;
      items.push(r.value);
    }
    return { ok: true, value: items };
  }
  if (typeof node === "object" && node !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const key = substitute(k, params);
      if (!key.ok) return key;
      const value = render(v, params);
      if (!value.ok) return value;
      out[key.value] = value.value;
    }
    return { ok: true, value: out };
  }
  return { ok: true, value: node };
}

export function expandApplicationSet(appSet: K8sObject): Result<K8sObject[], ExpandError> {
  const fail = (message: string): Result<K8sObject[], ExpandError> => ({
    ok: false,
    error: { kind: "expand-error", message },
  });
  if (appSet.kind !== "ApplicationSet") return fail(`${appSet.kind} is not an ApplicationSet`);
  if (at(appSet, "spec", "goTemplate") !== true)
    return fail("only goTemplate ApplicationSets are supported");
  const options = (at(appSet, "spec", "goTemplateOptions") ?? []) as string[];
  if (!options.includes("missingkey=error"))
    return fail("goTemplateOptions must include missingkey=error");
  const generators = (at(appSet, "spec", "generators") ?? []) as Record<string, unknown>[];
  const template = at(appSet, "spec", "template") as Record<string, unknown> | undefined;
  if (template === undefined) return fail("has no template");
  const apps: K8sObject[] = [];
  for (const generator of generators) {
    const kinds = Object.keys(generator);
    if (kinds.length !== 1 || kinds[0] !== "list")
      return fail(`unsupported generator ${kinds.join(",")}`);
    const elements = (at(generator, "list", "elements") ?? []) as Params[];
    for (const params of elements) {
      const rendered = render(template, params);
      if (!rendered.ok) return rendered;
      const body = rendered.value as Record<string, unknown>;
      const app = {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: { ...(body.metadata as object), namespace: appSet.metadata.namespace },
        spec: body.spec,
      };
      if (!isK8sObject(app)) return fail("template renders no metadata.name");
      apps.push(app);
    }
  }
  const names = apps.map((a) => a.metadata.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) return fail(`two Applications are named ${duplicate}`);
  return { ok: true, value: apps };
}
