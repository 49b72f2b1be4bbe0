import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
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

/** The JDK that runs the local Kafka brokers. */
export interface BrokerJdk {
  /** The `java` to run. */
  readonly java: string;
  /** Feature release, when known from the JDK's `release` file. */
  readonly major: number | undefined;
}

/** JDK releases Kafka 4.1 supports that bring what ADR 114 measured (C2 with no code-cache sweeper, generational ZGC, compact object headers). */
const PREFERRED_BROKER_JDKS = [25];

/**
 * A JDK 25 when the machine has one (FXCORE_KAFKA_JAVA_HOME, else one under
 * /usr/lib/jvm), else `java` on PATH (Debian's 17 here): CI machines may not
 * have a newer JDK, and the brokers run on 17 with the flags that suit it.
 */
export function brokerJdk(
  env: NodeJS.ProcessEnv = process.env,
  jvmRoot = "/usr/lib/jvm",
): BrokerJdk {
  const pinned = env.FXCORE_KAFKA_JAVA_HOME;
  if (pinned !== undefined && pinned !== "")
    return { java: join(pinned, "bin", "java"), major: jdkMajor(pinned) };
  let homes: string[] = [];
  try {
    homes = readdirSync(jvmRoot)
      .sort()
      .map((d) => join(jvmRoot, d));
  } catch {
    // No JDK directory: PATH's java.
  }
  for (const home of homes) {
    const major = jdkMajor(home);
    if (
      major !== undefined &&
      PREFERRED_BROKER_JDKS.includes(major) &&
      existsSync(join(home, "bin", "java"))
    )
      return { java: join(home, "bin", "java"), major };
  }
  return { java: "java", major: undefined };
}

/** JAVA_VERSION="25.0.3" in `<home>/release` -> 25. */
function jdkMajor(home: string): number | undefined {
  try {
    const m = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(join(home, "release"), "utf8"));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}
