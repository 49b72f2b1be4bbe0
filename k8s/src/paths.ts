// Where things live in the repository, relative to this workspace.
import { fileURLToPath } from "node:url";

export const k8sDir = fileURLToPath(new URL("..", import.meta.url));
export const repoDir = fileURLToPath(new URL("../..", import.meta.url));
export const schemaDir = fileURLToPath(new URL("../test/schemas", import.meta.url));
export const regions = ["eu-west", "us-east"] as const;
export const overlayDir = (region: string): string => `${k8sDir}overlays/${region}`;
export const argocdDir = `${repoDir}argocd`;
export const topicsJson = `${repoDir}schemas/topics.json`;
export const services = [
  "gateway",
  "command-service",
  "matcher",
  "projection-service",
  "query-api",
] as const;
