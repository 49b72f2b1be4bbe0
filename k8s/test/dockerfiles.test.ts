// The service Dockerfiles cannot be built here (no Docker engine), so they
// are kept uniform and checked as text: one pattern, a pinned Node 24 base,
// production dependencies only, a non-root user.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { repoDir, services } from "../src/paths.ts";

const read = (service: string) => readFileSync(`${repoDir}${service}/Dockerfile`, "utf8");
const withoutService = (text: string) =>
  text.replace(/^ARG SERVICE=.*$/gm, "ARG SERVICE=<service>");

describe("service Dockerfiles", () => {
  it.each(services)("%s has one, naming its own folder", (service) => {
    const text = read(service);
    const defaults = [...text.matchAll(/^ARG SERVICE=(.*)$/gm)].map((m) => m[1]);
    expect(defaults).toEqual([service, service]);
  });

  it("are identical apart from the SERVICE default", () => {
    const [first, ...rest] = services.map((s) => withoutService(read(s)));
    for (const other of rest) expect(other).toBe(first);
  });

  it("build in two stages from a Node 24 base pinned by digest", () => {
    const text = read("gateway");
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24[\w.-]*@sha256:[0-9a-f]{64}$/m);
    expect(text.match(/^FROM /gm)).toHaveLength(2);
    expect(text).toMatch(/^FROM \$\{NODE_IMAGE\} AS deps$/m);
    expect(text).not.toMatch(/:latest\b/);
  });

  it("install production dependencies only, without install scripts", () => {
    const install = read("gateway").match(/^RUN npm ci .*$/m)?.[0] ?? "";
    expect(install).toContain("--omit=dev");
    expect(install).toContain("--ignore-scripts");
    expect(install).toContain(`--workspace "\${SERVICE}"`);
  });

  it("run node on the service's main.ts as an unprivileged user", () => {
    const finalStage =
      read("gateway")
        .split(/^FROM /m)
        .at(-1) ?? "";
    expect(finalStage).toMatch(/^USER 10001:10001$/m);
    expect(finalStage).toMatch(/^WORKDIR \/app\/\$\{SERVICE\}$/m);
    expect(finalStage).toMatch(/^CMD \["node", "src\/main.ts"\]$/m);
    expect(finalStage).not.toMatch(/^RUN /m);
  });

  it("match the Kubernetes securityContext (uid 10001, read-only root)", () => {
    const deployment = readFileSync(`${repoDir}k8s/base/apps/gateway.yaml`, "utf8");
    expect(deployment).toContain("runAsUser: 10001");
    expect(deployment).toContain("readOnlyRootFilesystem: true");
  });

  it("get a build context without node_modules, tests or git history", () => {
    const ignore = readFileSync(`${repoDir}.dockerignore`, "utf8").split("\n");
    for (const entry of ["**/node_modules", "**/test", ".git"]) expect(ignore).toContain(entry);
    // npm ci checks the lockfile against every workspace's package.json.
    expect(ignore).toContain("!k8s/package.json");
    expect(existsSync(`${repoDir}package-lock.json`)).toBe(true);
  });
});
