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
  // fabric8's generator writes Map<String, Object> as {type: object}; the value
  // of such a map (e.g. a Kafka config entry) may be any scalar.
  if (
    isRecord(out.additionalProperties) &&
    out.additionalProperties.type === "object" &&
    Object.keys(out.additionalProperties).length === 1
  ) {
    out.additionalProperties = {};
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
