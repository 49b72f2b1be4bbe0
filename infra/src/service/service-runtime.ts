import type { LevelWithSilent } from "pino";
import { createLogger, type Logger } from "../logger/logger.ts";
import { startTelemetry, type Telemetry } from "../telemetry/sdk.ts";

// How every service process starts and stops: telemetry first, then the logger
// (both from the common observability/region config), and one guarded stop on
// SIGINT/SIGTERM that flushes traces and logs before the process exits.

export interface ServiceRuntimeConfig {
  readonly LOG_LEVEL: LevelWithSilent;
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  readonly FXCORE_REGION: string;
}

export interface ServiceRuntime {
  readonly service: string;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
}

export function startServiceRuntime(service: string, config: ServiceRuntimeConfig): ServiceRuntime {
  const telemetry = startTelemetry({
    serviceName: service,
    otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const logger = createLogger({ service, level: config.LOG_LEVEL, region: config.FXCORE_REGION });
  return { service, telemetry, logger };
}

/** Stops the service once, whatever asks first (a signal, a dead worker). */
export type StopService = (reason: string, exitCode?: number) => Promise<void>;

/**
 * Registers `release` (the service's own resources, in its order) to run once
 * on SIGINT/SIGTERM, then shuts telemetry down, flushes the log and exits.
 * Returns the same guarded stop for other reasons to call.
 */
export function stopOnSignals(
  runtime: ServiceRuntime,
  release: (reason: string) => Promise<void>,
): StopService {
  let stopping = false;
  const stop: StopService = async (reason, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    const { logger, telemetry, service } = runtime;
    logger.info({ signal: reason }, `${service} stopping`);
    try {
      await release(reason);
    } catch (err) {
      logger.error({ err }, `${service} did not stop cleanly`);
      exitCode ||= 1;
    }
    // A collector that is gone must not turn a clean stop into a crash.
    await telemetry.shutdown().catch(() => {});
    logger.flush();
    process.exit(exitCode);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
  return stop;
}
