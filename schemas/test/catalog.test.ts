import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CxlRejReason, OrdRejReason } from "@fxcore/domain";
import { describe, expect, it } from "vitest";
import { fixCodesFor } from "../src/catalog/avro-types.ts";
import { loadCatalog, NAMESPACE } from "../src/catalog/catalog.ts";
import { samples } from "./samples.ts";

const catalog = loadCatalog();

/** Every named type defined anywhere inside a schema, by name. */
function namedTypes(schema: unknown, out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(schema)) {
    for (const s of schema) namedTypes(s, out);
  } else if (typeof schema === "object" && schema !== null) {
    const s = schema as { type?: unknown; name?: string; fields?: { type: unknown }[] };
    if ((s.type === "enum" || s.type === "record") && s.name !== undefined) out.set(s.name, s);
    for (const f of s.fields ?? []) namedTypes(f.type, out);
    if (typeof s.type === "object") namedTypes(s.type, out);
  }
  return out;
}

describe("schema catalog", () => {
  it("has exactly one record per domain event and command type", () => {
    expect(catalog.names).toEqual(Object.keys(samples).sort());
    for (const name of catalog.names) {
      expect(catalog.current(name)!.fullName).toBe(`${NAMESPACE}.${name}`);
    }
  });

  it("starts every record with the envelope meta field", () => {
    for (const name of catalog.names) {
      for (const v of catalog.versions(name)) {
        const meta = v.schema.fields[0]!;
        expect(meta.name, `${name} v${v.version}`).toBe("meta");
        expect((meta.type as { name: string }).name).toBe("EnvelopeMeta");
      }
    }
  });

  it("defines each shared named type identically in every current schema", () => {
    const first = new Map<string, { def: unknown; in: string }>();
    for (const name of catalog.names) {
      for (const [typeName, def] of namedTypes(catalog.current(name)!.schema)) {
        if (typeName === name) continue;
        const seen = first.get(typeName);
        if (seen === undefined) first.set(typeName, { def, in: name });
        else expect(def, `${typeName} in ${name} vs ${seen.in}`).toEqual(seen.def);
      }
    }
    expect([...first.keys()].sort()).toEqual([
      "CancelReason",
      "CxlRejReason",
      "EnvelopeMeta",
      "ExpireReason",
      "OrdRejReason",
      "OrdType",
      "Side",
      "StpMode",
      "TimeInForce",
    ]);
  });

  it("maps FIX reason enums one to one onto the domain's codes, defaulting to OTHER", () => {
    for (const [enumName, domain] of [
      ["OrdRejReason", OrdRejReason],
      ["CxlRejReason", CxlRejReason],
    ] as const) {
      const schema = [...catalog.names]
        .map((n) => namedTypes(catalog.current(n)!.schema).get(enumName))
        .find((d) => d !== undefined) as {
        symbols: string[];
        default: string;
        logicalType: string;
      };
      expect(schema.logicalType).toBe("fix-code");
      expect(schema.default).toBe("OTHER");
      const codes = fixCodesFor(enumName)!;
      expect(schema.symbols.map((s) => codes.get(s)).sort()).toEqual(Object.values(domain).sort());
    }
  });

  describe("loading", () => {
    const schemaText = readFileSync(
      new URL("../avro/TimeAdvanced/v1.avsc", import.meta.url),
      "utf8",
    );
    const dirWith = (files: Record<string, string>) => {
      const dir = mkdtempSync(join(tmpdir(), "fx-avro-"));
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(join(dir, path, ".."), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      return pathToFileURL(`${dir}/`);
    };

    it("refuses a gap in the version numbers", () => {
      const dir = dirWith({
        "TimeAdvanced/v1.avsc": schemaText,
        "TimeAdvanced/v3.avsc": schemaText,
      });
      expect(() => loadCatalog(dir)).toThrow(/v1..vN without gaps/);
    });

    it("refuses a file whose record name does not match its folder", () => {
      const dir = dirWith({ "TimeTravelled/v1.avsc": schemaText });
      expect(() => loadCatalog(dir)).toThrow(/must be fx.events.TimeTravelled/);
    });

    it("refuses a file that is not JSON", () => {
      const dir = dirWith({ "TimeAdvanced/v1.avsc": "{ not json" });
      expect(() => loadCatalog(dir)).toThrow(SyntaxError);
    });
  });
});
