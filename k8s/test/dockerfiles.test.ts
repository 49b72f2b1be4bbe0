// The service Dockerfiles cannot be built here (no Docker engine), so they
// are kept uniform and checked as text: one pattern, a pinned Node 24 base,
// production dependencies only, a non-root user.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { repoDir, services } from "../src/paths.ts";

const dockerfile = readFileSync(`${repoDir}Dockerfile`, "utf8");

describe("the service Dockerfile", () => {
  it("is one recipe at the repo root, no per-service copies", () => {
    for (const service of services)
      expect(existsSync(`${repoDir}${service}/Dockerfile`)).toBe(false);
  });

  it("takes the service folder as a required build argument in both stages", () => {
    expect([...dockerfile.matchAll(/^ARG SERVICE(=.*)?$/gm)].map((m) => m[0])).toEqual([
      "ARG SERVICE",
      "ARG SERVICE",
    ]);
    // A build without it (or with a folder that is not a service) fails in the first stage.
    expect(dockerfile).toMatch(/test -f "\$\{SERVICE:\?[^}]+\}\/src\/main\.ts"/);
  });

  it.each(services)("%s has the src/main.ts the image runs", (service) => {
    expect(existsSync(`${repoDir}${service}/src/main.ts`)).toBe(true);
  });

  it("build in two stages from a Node 24 base pinned by digest", () => {
    const text = dockerfile;
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24[\w.-]*@sha256:[0-9a-f]{64}$/m);
    expect(text.match(/^FROM /gm)).toHaveLength(2);
    expect(text).toMatch(/^FROM \$\{NODE_IMAGE\} AS deps$/m);
    expect(text).not.toMatch(/:latest\b/);
  });

  it("install production dependencies only, without install scripts", () => {
    const install = dockerfile.match(/&& npm ci .*$/m)?.[0] ?? "";
    expect(install).toContain("--omit=dev");
    expect(install).toContain("--ignore-scripts");
    expect(install).toContain(`--workspace "\${SERVICE}"`);
  });

  it("run node on the service's main.ts as an unprivileged user", () => {
    const finalStage = dockerfile.split(/^FROM /m).at(-1) ?? "";
    expect(finalStage).toMatch(/^USER 10001:10001$/m);
    expect(finalStage).toMatch(/^WORKDIR \/app\/\$\{SERVICE\}$/m);
    expect(finalStage).toMatch(/^CMD \["node", "src\/main.ts"\]$/m);
    expect(finalStage).not.toMatch(/^RUN /m);
  });

  it("are what a manifest runs when it names a command: node, its flags, src/main.ts", () => {
    const commands = readdirSync(`${repoDir}k8s/base/apps`).flatMap((f) =>
      [
        ...readFileSync(`${repoDir}k8s/base/apps/${f}`, "utf8").matchAll(/^\s+command: (.*)$/gm),
      ].map((m) => m[1]),
    );
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands)
      expect(command).toMatch(/^\["node", (?:"--[a-z-]+(?:=[\w.]+)?", )*"src\/main\.ts"\]$/);
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
