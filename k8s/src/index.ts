export { expandApplicationSet } from "./argocd/applicationset.ts";
export { type CheckReport, checkDeployment, checkRegion } from "./check.ts";
export { type K8sObject, parseManifests } from "./manifest.ts";
export { instruments } from "./policy/homes.ts";
export type { Violation } from "./policy/violation.ts";
export { renderKustomization } from "./render.ts";
export { createSchemaValidator } from "./schema/validate.ts";
