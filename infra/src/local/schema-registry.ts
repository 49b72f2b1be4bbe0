import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { APICURIO_VERSION, apicurioJar, ensureApicurio } from "./distributions.ts";
import { spawnDetached, waitUntil } from "./process.ts";

// Apicurio Registry (in-memory storage) serving the Confluent-compatible API.
// Its state lives only in the process: a restart starts with no subjects.

export interface RegistryProcess {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly logFile: string;
  readonly version: string;
}

export function ccompatUrl(port: number): string {
  return `http://127.0.0.1:${port}/apis/ccompat/v7`;
}

export async function startSchemaRegistry(options: {
  port: number;
  dir: string;
  heapMb?: number;
}): Promise<RegistryProcess> {
  const home = await ensureApicurio();
  mkdirSync(options.dir, { recursive: true });
  const logFile = join(options.dir, "registry.log");
  const heap = options.heapMb ?? 384;
  const pid = spawnDetached(
    "java",
    [
      "-Xms64m",
      `-Xmx${heap}m`,
      // C1 only and the serial GC: quicker start, less CPU; throughput is irrelevant here.
      "-XX:TieredStopAtLevel=1",
      "-XX:+UseSerialGC",
      "-Djava.awt.headless=true",
      `-Dquarkus.http.port=${options.port}`,
      "-Dquarkus.http.host=127.0.0.1",
      "-Dquarkus.log.level=WARN",
      "-Dquarkus.http.access-log.enabled=false",
      // Let tests delete subjects for good (permanent delete) to keep runs tidy.
      "-Dapicurio.rest.deletion.artifact.enabled=true",
      "-Dapicurio.rest.deletion.artifact-version.enabled=true",
      "-Dapicurio.rest.deletion.group.enabled=true",
      "-jar",
      join(home, apicurioJar(APICURIO_VERSION)),
    ],
    logFile,
    { cwd: options.dir },
  );
  const url = ccompatUrl(options.port);
  await waitUntil("schema registry", () => registryAnswers(url), {
    timeoutMs: 120_000,
    pid,
    logFile,
  });
  return { pid, port: options.port, url, logFile, version: APICURIO_VERSION };
}

export async function registryAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}
