// Turns OpenAPI schemas (Kubernetes swagger definitions, CRD openAPIV3Schema)
// into strict JSON Schemas for ajv: descriptions and vendor extensions are
// dropped (they only cost bytes), and every object that lists its properties
// rejects unknown ones, as the API server's structural-schema pruning would
// (silently) and `kubectl apply --validate=strict` does (loudly).

export type JsonSchema = { [key: string]: unknown };

const dropped = new Set(["description", "example", "externalDocs", "format", "default"]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function sanitize(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(sanitize);
  if (!isRecord(node)) return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (dropped.has(key) || key.startsWith("x-kubernetes-")) continue;
    if (key === "properties" && isRecord(value)) {
      // Keys here are field names, not keywords: keep every one.
      out.properties = Object.fromEntries(
        Object.entries(value).map(([field, schema]) => [field, sanitize(schema)]),
      );
    } else {
      out[key] = sanitize(value);
    }
  }
  // Patterns are Go RE2; drop the few that JavaScript cannot compile (e.g. "(?i)").
  if (typeof out.pattern === "string" && !compiles(out.pattern)) delete out.pattern;
  if (node["x-kubernetes-int-or-string"] === true && out.anyOf === undefined) {
    out.type = ["integer", "string"];
  }
  const preserves = node["x-kubernetes-preserve-unknown-fields"] === true;
  if (isRecord(out.properties) && out.additionalProperties === undefined && !preserves) {
    out.additionalProperties = false;
  }
  return out;
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, "u");
    return true;
  } catch {
    return false;
  }
}

export function collectRefs(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectRefs(item, into);
    return;
  }
  if (!isRecord(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "$ref" && typeof value === "string") into.add(value.replace("#/definitions/", ""));
    else collectRefs(value, into);
  }
}

// Sub-schemas that repeat (the ApplicationSet CRD repeats the whole
// Application template once per generator kind) are moved to `definitions`
// and referenced, so the file stays small and ajv compiles each one once.
export function hoistRepeats(root: JsonSchema, minChars = 400): JsonSchema {
  const definitions: Record<string, unknown> = {};
  for (let n = 0; ; n++) {
    const counts = new Map<string, number>();
    visitSubschemas(root, definitions, (s) => {
      const key = JSON.stringify(s);
      if (key.length >= minChars) counts.set(key, (counts.get(key) ?? 0) + 1);
      return s;
    });
    let best: string | undefined;
    for (const [key, count] of counts) {
      if (count > 1 && (best === undefined || key.length > best.length)) best = key;
    }
    if (best === undefined) break;
    const name = `s${n}`;
    definitions[name] = JSON.parse(best);
    const replacement = { $ref: `#/definitions/${name}` };
    visitSubschemas(root, definitions, (s) => (JSON.stringify(s) === best ? replacement : s), name);
  }
  return Object.keys(definitions).length === 0 ? root : { ...root, definitions };
}

type Rewrite = (schema: unknown) => unknown;

// Applies `rewrite` bottom-up to every sub-schema position (not the root, and
// not the definition being introduced, which would turn into a self-reference).
function visitSubschemas(
  root: JsonSchema,
  definitions: Record<string, unknown>,
  rewrite: Rewrite,
  skip?: string,
): void {
  const walk = (node: unknown): unknown => {
    if (!isRecord(node)) return node;
    for (const key of ["items", "additionalProperties", "not"]) {
      if (isRecord(node[key])) node[key] = rewrite(walk(node[key]));
    }
    for (const key of ["anyOf", "allOf", "oneOf"]) {
      const list = node[key];
      if (Array.isArray(list)) node[key] = list.map((s) => rewrite(walk(s)));
    }
    const props = node.properties;
    if (isRecord(props)) {
      for (const [field, s] of Object.entries(props)) props[field] = rewrite(walk(s));
    }
    return node;
  };
  walk(root);
  for (const [name, s] of Object.entries(definitions)) {
    if (name === skip) walk(s);
    else definitions[name] = rewrite(walk(s));
  }
}
