import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withLock } from "./lock.ts";
import { cacheDir, repoRoot } from "./paths.ts";
import { run } from "./process.ts";

// Kafka and the schema registry come from Maven Central, fetched once into the
// cache dir (outside the work tree). A download lands in a temp dir and is
// renamed into place, so a half-finished one is never mistaken for complete.

export const KAFKA_VERSION = "4.1.1";
export const APICURIO_VERSION = "3.0.9";

const kafkaPom = join(repoRoot, "infra", "maven", "kafka", "pom.xml");

/** Directory holding the broker's runtime classpath (`<dir>/*`). */
export async function ensureKafkaLibs(version = KAFKA_VERSION): Promise<string> {
  const home = join(cacheDir(), `kafka-${version}`);
  const libs = join(home, "libs");
  if (complete(home)) return libs;
  mkdirSync(cacheDir(), { recursive: true });
  return withLock(join(cacheDir(), `kafka-${version}.lock`), async () => {
    if (complete(home)) return libs;
    const tmp = `${home}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    await run("mvn", [
      "-q",
      "-B",
      "-f",
      kafkaPom,
      `-Dkafka.version=${version}`,
      "dependency:copy-dependencies",
      "-DincludeScope=runtime",
      `-DoutputDirectory=${join(tmp, "libs")}`,
    ]);
    if (!readdirSync(join(tmp, "libs")).some((f) => f.startsWith("kafka_2.13-"))) {
      throw new Error(`maven did not fetch kafka_2.13 ${version} into ${tmp}`);
    }
    writeFileSync(join(tmp, ".complete"), new Date().toISOString());
    rmSync(home, { recursive: true, force: true });
    renameSync(tmp, home);
    return libs;
  });
}

/** Directory holding Apicurio Registry's runnable Quarkus app. */
export async function ensureApicurio(version = APICURIO_VERSION): Promise<string> {
  const home = join(cacheDir(), `apicurio-${version}`);
  if (complete(home)) return home;
  mkdirSync(cacheDir(), { recursive: true });
  return withLock(join(cacheDir(), `apicurio-${version}.lock`), async () => {
    if (complete(home)) return home;
    const tmp = `${home}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    await run(
      "mvn",
      [
        "-q",
        "-B",
        "dependency:unpack",
        `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`,
        `-DoutputDirectory=${tmp}`,
      ],
      { cwd: cacheDir() },
    );
    if (!existsSync(join(tmp, apicurioJar(version)))) {
      throw new Error(`apicurio archive ${version} has no ${apicurioJar(version)}`);
    }
    writeFileSync(join(tmp, ".complete"), new Date().toISOString());
    rmSync(home, { recursive: true, force: true });
    renameSync(tmp, home);
    return home;
  });
}

/** 3.0.x ships a legacy runner jar; later 3.x a Quarkus fast-jar. */
export function apicurioJar(version: string): string {
  return version.startsWith("3.0.")
    ? `apicurio-registry-app-${version}-runner.jar`
    : "quarkus-run.jar";
}

function complete(home: string): boolean {
  return existsSync(join(home, ".complete"));
}
