// Avro schema JSON → a resolved tree (named references replaced by their
// definitions), the input of the replay's compiled readers and skippers.
// Only what our schemas use is modelled; anything else is "unsupported" and
// the caller falls back to the serde (avsc), which knows all of Avro.

export type AvroNode =
  | { readonly k: "null" | "boolean" | "int" | "float" | "double" | "bytes" | "string" }
  | { readonly k: "long"; readonly logical: string | undefined }
  | {
      readonly k: "enum";
      readonly name: string;
      readonly symbols: readonly string[];
      readonly default: string | undefined;
      readonly logical: string | undefined;
    }
  | { readonly k: "fixed"; readonly name: string; readonly size: number }
  | { readonly k: "array"; readonly items: AvroNode }
  | { readonly k: "map"; readonly values: AvroNode }
  | { readonly k: "union"; readonly branches: readonly AvroNode[] }
  | { readonly k: "record"; readonly name: string; readonly fields: readonly AvroFieldNode[] };

export interface AvroFieldNode {
  readonly name: string;
  readonly type: AvroNode;
  readonly hasDefault: boolean;
  readonly default: unknown;
  readonly aliases: readonly string[];
  /** `fx.optional`: a null value means the domain field is absent (schemas/envelope). */
  readonly optional: boolean;
}

export class UnsupportedSchema extends Error {}

const PRIMITIVES = new Set([
  "null",
  "boolean",
  "int",
  "float",
  "double",
  "bytes",
  "string",
  "long",
]);

/** Resolves a schema (parsed JSON) into a tree; throws UnsupportedSchema for what the compiler does not model. */
export function schemaTree(schema: unknown): AvroNode {
  const named = new Map<string, AvroNode>();
  const fullName = (name: string, ns: string | undefined) =>
    name.includes(".") || ns === undefined || ns === "" ? name : `${ns}.${name}`;

  const walk = (s: unknown, ns: string | undefined): AvroNode => {
    if (typeof s === "string") {
      if (PRIMITIVES.has(s))
        return s === "long" ? { k: "long", logical: undefined } : ({ k: s } as AvroNode);
      const ref = named.get(fullName(s, ns)) ?? named.get(s);
      if (ref === undefined) throw new UnsupportedSchema(`unknown type name ${s}`);
      return ref;
    }
    if (Array.isArray(s)) return { k: "union", branches: s.map((b) => walk(b, ns)) };
    if (s === null || typeof s !== "object") throw new UnsupportedSchema("not a schema");
    const o = s as Record<string, unknown>;
    const type = o.type;
    const logical = typeof o.logicalType === "string" ? o.logicalType : undefined;
    if (typeof type !== "string") return walk(type, ns);
    if (type === "long") return { k: "long", logical };
    if (PRIMITIVES.has(type)) {
      // A logical type on another primitive changes the JS value: leave it to avsc.
      if (logical !== undefined) throw new UnsupportedSchema(`logical type ${logical} on ${type}`);
      return { k: type } as AvroNode;
    }
    const space = typeof o.namespace === "string" ? o.namespace : ns;
    const name = typeof o.name === "string" ? fullName(o.name, space) : undefined;
    const innerNs = name?.includes(".") ? name.slice(0, name.lastIndexOf(".")) : space;
    switch (type) {
      case "enum": {
        const node: AvroNode = {
          k: "enum",
          name: name ?? "",
          symbols: o.symbols as string[],
          default: typeof o.default === "string" ? o.default : undefined,
          logical,
        };
        if (name !== undefined) named.set(name, node);
        return node;
      }
      case "fixed": {
        const node: AvroNode = { k: "fixed", name: name ?? "", size: Number(o.size) };
        if (name !== undefined) named.set(name, node);
        return node;
      }
      case "array":
        return { k: "array", items: walk(o.items, ns) };
      case "map":
        return { k: "map", values: walk(o.values, ns) };
      case "record":
      case "error": {
        if (logical !== undefined)
          throw new UnsupportedSchema(`logical type ${logical} on a record`);
        const fields: AvroFieldNode[] = [];
        const node = { k: "record" as const, name: name ?? "", fields };
        // Recursive records are not ours: a self-reference is refused, not followed.
        if (name !== undefined) named.set(name, { k: "union", branches: [] });
        for (const f of (o.fields as Record<string, unknown>[]) ?? []) {
          fields.push({
            name: String(f.name),
            type: walk(f.type, innerNs),
            hasDefault: "default" in f,
            default: f.default,
            aliases: Array.isArray(f.aliases) ? (f.aliases as string[]) : [],
            optional: f["fx.optional"] === true,
          });
        }
        if (name !== undefined) named.set(name, node);
        return node;
      }
      default:
        throw new UnsupportedSchema(`type ${type}`);
    }
  };
  return walk(schema, undefined);
}
