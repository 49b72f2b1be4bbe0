// Validates rendered objects against the committed schemas in
// k8s/test/schemas/ (see regenerate.sh there for where they come from).
// Unknown kinds and unknown fields are errors, as in `kubectl apply --validate=strict`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { type K8sObject, ref } from "../manifest.ts";

export type SchemaIssue = { object: string; path: string; message: string };

export type SchemaValidator = (object: K8sObject) => SchemaIssue[];

type SchemaIndex = { kinds: Record<string, string> };

export function kindKey(o: { apiVersion: string; kind: string }): string {
  return `${o.apiVersion} ${o.kind}`;
}

function describe(error: ErrorObject): string {
  if (error.keyword === "additionalProperties") {
    return `unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  return error.message ?? error.keyword;
}

const validators = new Map<string, SchemaValidator>();

/** One validator per schema folder and process: compiling the CRD schemas is the slow part. */
export function createSchemaValidator(schemaDir: string): SchemaValidator {
  const cached = validators.get(schemaDir);
  if (cached) return cached;
  const validator = buildValidator(schemaDir);
  validators.set(schemaDir, validator);
  return validator;
}

function buildValidator(schemaDir: string): SchemaValidator {
  const read = (file: string): unknown => JSON.parse(readFileSync(join(schemaDir, file), "utf8"));
  const index = read("index.json") as SchemaIndex;
  // Formats are dropped from the schemas; CEL rules (x-kubernetes-validations) are not evaluated.
  // `discriminator` picks the branch of Strimzi's polymorphic types by their `type`.
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateFormats: false,
    inlineRefs: false,
    discriminator: true,
  });
  ajv.addSchema(read("kubernetes.json") as object);
  // Index values are schema ids: "kubernetes.json#/definitions/..." or a file in crds/.
  for (const id of new Set(Object.values(index.kinds))) {
    if (!id.startsWith("kubernetes.json#")) ajv.addSchema(read(join("crds", id)) as object);
  }
  const compiled = new Map<string, ValidateFunction>();

  return (object) => {
    const key = kindKey(object);
    const schemaRef = index.kinds[key];
    if (schemaRef === undefined) {
      return [{ object: ref(object), path: "/", message: `no schema for ${key}` }];
    }
    let validate = compiled.get(schemaRef);
    if (validate === undefined) {
      validate = ajv.getSchema(schemaRef);
      if (validate === undefined)
        throw new Error(`schema ${schemaRef} is missing from ${schemaDir}`);
      compiled.set(schemaRef, validate);
    }
    if (validate(object)) return [];
    return (
      (validate.errors ?? [])
        // anyOf/oneOf repeat their branches' errors; the branch errors say more.
        .filter((e) => e.keyword !== "anyOf" && e.keyword !== "oneOf")
        .map((e) => ({ object: ref(object), path: e.instancePath || "/", message: describe(e) }))
    );
  };
}
