// Every container: requests and limits, three probes, a non-root read-only
// security context; workload images pinned by digest, and no image anywhere
// floats (no :latest, no missing tag).
import { type Container, containersOf, workloadKinds } from "../env.ts";
import { at, type K8sObject, ref } from "../manifest.ts";
import { type Violation, violation } from "./violation.ts";

const probes = ["startupProbe", "livenessProbe", "readinessProbe"] as const;

export function imageProblem(
  image: string | undefined,
  mustPinDigest: boolean,
): string | undefined {
  if (image === undefined || image === "") return "has no image";
  const [name = "", digest] = image.split("@");
  const lastSegment = name.split("/").at(-1) ?? "";
  const tag = lastSegment.includes(":") ? lastSegment.split(":").at(-1) : undefined;
  if (tag === "latest") return `uses the floating tag "latest" (${image})`;
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest))
    return `has a malformed digest (${image})`;
  if (mustPinDigest && digest === undefined) return `is not pinned by digest (${image})`;
  if (tag === undefined && digest === undefined) return `has neither tag nor digest (${image})`;
  return undefined;
}

function checkContainer(
  o: K8sObject,
  c: Container,
  podSecurity: unknown,
  pinDigest: boolean,
): Violation[] {
  const where = `${ref(o)} container ${c.name}`;
  const out: Violation[] = [];
  for (const kind of ["requests", "limits"] as const) {
    for (const resource of ["cpu", "memory"]) {
      if (at(c, "resources", kind, resource) === undefined) {
        out.push(
          violation(
            "resources",
            where,
            `has no ${resource} ${kind === "limits" ? "limit" : "request"}`,
          ),
        );
      }
    }
  }
  for (const probe of probes) {
    if (at(c, probe) === undefined) out.push(violation("probes", where, `has no ${probe}`));
  }
  const sc = (c.securityContext ?? {}) as Record<string, unknown>;
  const runAsNonRoot = sc.runAsNonRoot ?? at(podSecurity, "runAsNonRoot");
  const runAsUser = sc.runAsUser ?? at(podSecurity, "runAsUser");
  if (runAsNonRoot !== true)
    out.push(violation("security", where, "does not set runAsNonRoot: true"));
  if (runAsUser === 0) out.push(violation("security", where, "runs as uid 0"));
  if (sc.readOnlyRootFilesystem !== true)
    out.push(violation("security", where, "root filesystem is writable"));
  if (sc.allowPrivilegeEscalation !== false)
    out.push(violation("security", where, "allows privilege escalation"));
  const dropped = (at(sc, "capabilities", "drop") ?? []) as string[];
  if (!dropped.includes("ALL"))
    out.push(violation("security", where, "does not drop ALL capabilities"));
  if (sc.privileged === true) out.push(violation("security", where, "is privileged"));
  const problem = imageProblem(c.image, pinDigest);
  if (problem !== undefined) out.push(violation("images", where, problem));
  return out;
}

/** Workload images must be pinned by digest; operator-managed images (imageName) must not float. */
export function checkContainers(objects: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  for (const o of objects) {
    if (!workloadKinds.has(o.kind)) continue;
    const podSecurity = at(o, "spec", "template", "spec", "securityContext");
    if (at(o, "spec", "template", "spec", "hostNetwork") === true) {
      out.push(violation("security", ref(o), "uses the host network"));
    }
    for (const c of containersOf(o)) out.push(...checkContainer(o, c, podSecurity, true));
  }
  for (const o of objects) {
    const imageName = at(o, "spec", "imageName");
    if (typeof imageName !== "string") continue;
    const problem = imageProblem(imageName, false);
    if (problem !== undefined) out.push(violation("images", ref(o), problem));
  }
  return out;
}
