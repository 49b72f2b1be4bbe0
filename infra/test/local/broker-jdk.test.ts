import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { brokerJdk } from "../../src/local/distributions.ts";

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A fake /usr/lib/jvm with JDK homes of the given versions (undefined: no release file). */
function jvmRoot(homes: Record<string, string | undefined>, withJava = true): string {
  const root = mkdtempSync(join(tmpdir(), "broker-jdk-"));
  roots.push(root);
  for (const [dir, version] of Object.entries(homes)) {
    mkdirSync(join(root, dir, "bin"), { recursive: true });
    if (withJava) writeFileSync(join(root, dir, "bin", "java"), "");
    if (version !== undefined)
      writeFileSync(join(root, dir, "release"), `IMPLEMENTOR="x"\nJAVA_VERSION="${version}"\n`);
  }
  return root;
}

describe("brokerJdk", () => {
  it("takes a JDK 25 under the JVM directory", () => {
    const root = jvmRoot({ "java-17-openjdk-amd64": "17.0.15", "temurin-25-jdk-amd64": "25.0.3" });
    expect(brokerJdk({}, root)).toEqual({
      java: join(root, "temurin-25-jdk-amd64", "bin", "java"),
      major: 25,
    });
  });

  it("falls back to PATH's java without a JDK 25 (CI machines)", () => {
    const root = jvmRoot({
      "java-17-openjdk-amd64": "17.0.15",
      "jdk-21": "21.0.2",
      odd: undefined,
    });
    expect(brokerJdk({}, root)).toEqual({ java: "java", major: undefined });
    expect(brokerJdk({}, join(root, "missing"))).toEqual({ java: "java", major: undefined });
  });

  it("ignores a JDK 25 whose home has no java", () => {
    const root = jvmRoot({ "temurin-25-jdk-amd64": "25.0.3" }, false);
    expect(brokerJdk({}, root).java).toBe("java");
  });

  it("FXCORE_KAFKA_JAVA_HOME wins", () => {
    const root = jvmRoot({ "java-17-openjdk-amd64": "17.0.15", "temurin-25-jdk-amd64": "25.0.3" });
    const home = join(root, "java-17-openjdk-amd64");
    expect(brokerJdk({ FXCORE_KAFKA_JAVA_HOME: home }, root)).toEqual({
      java: join(home, "bin", "java"),
      major: 17,
    });
  });
});
