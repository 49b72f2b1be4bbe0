// Renders a kustomization offline with `kubectl kustomize` (no cluster needed).
import { execFileSync } from "node:child_process";
import { type K8sObject, parseManifests, type Result } from "./manifest.ts";

export type RenderError = { kind: "render-error"; dir: string; message: string };

export function renderKustomization(dir: string): Result<K8sObject[], RenderError> {
  let out: string;
  try {
    out = execFileSync("kubectl", ["kustomize", dir], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: string };
    if (err.code === "ENOENT") {
      return {
        ok: false,
        error: {
          kind: "render-error",
          dir,
          message: "kubectl is not on PATH (its built-in kustomize renders the overlays)",
        },
      };
    }
    return {
      ok: false,
      error: { kind: "render-error", dir, message: (err.stderr || err.message).trim() },
    };
  }
  const parsed = parseManifests(out);
  if (!parsed.ok)
    return { ok: false, error: { kind: "render-error", dir, message: parsed.error.message } };
  return parsed;
}
