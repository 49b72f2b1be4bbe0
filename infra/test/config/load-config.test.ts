import { describe, expect, it } from "vitest";
import {
  ConfigError,
  databaseConfig,
  hostPortList,
  httpConfig,
  int,
  kafkaConfig,
  loadConfig,
  observabilityConfig,
  optional,
  requireConfig,
  url,
} from "../../src/index.ts";

const spec = { ...kafkaConfig, ...databaseConfig, ...observabilityConfig, ...httpConfig(8081) };

describe("config loader", () => {
  it("parses the agreed variables into typed values, with defaults", () => {
    const config = requireConfig(spec, {
      KAFKA_BROKERS: "127.0.0.1:19092, 127.0.0.1:19094",
      DATABASE_URL: "postgres://u:p@127.0.0.1:15432/fxcore",
    });
    expect(config.KAFKA_BROKERS).toEqual(["127.0.0.1:19092", "127.0.0.1:19094"]);
    expect(config.PORT).toBe(8081);
    expect(config.LOG_LEVEL).toBe("info");
    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
  });

  it("reports every problem at once, naming the variable, and hides passwords", () => {
    const result = loadConfig(spec, {
      KAFKA_BROKERS: "127.0.0.1,broker:99999",
      DATABASE_URL: "mysql://u:secret@h/db",
      LOG_LEVEL: "loud",
      PORT: "80a",
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.variable)).toEqual([
      "KAFKA_BROKERS",
      "DATABASE_URL",
      "LOG_LEVEL",
      "PORT",
    ]);
    expect(result.problems[0]!.problem).toBe("not host:port: 127.0.0.1, broker:99999");
    expect(result.problems[1]!.problem).toBe('protocol "mysql" is not one of postgres, postgresql');
    expect(JSON.stringify(result.problems)).not.toContain("secret");
  });

  it("rejects a missing required variable with a typed error listing it", () => {
    expect(() => requireConfig(spec, {})).toThrow(ConfigError);
    try {
      requireConfig(spec, { KAFKA_BROKERS: "   " });
    } catch (err) {
      expect((err as ConfigError).problems.map((p) => p.variable)).toEqual([
        "KAFKA_BROKERS",
        "DATABASE_URL",
      ]);
      expect((err as Error).message).toContain("KAFKA_BROKERS: required");
    }
  });

  it("checks bounds and optional fields", () => {
    const s = {
      N: int({ min: 1, max: 10 }),
      U: optional(url()),
      B: hostPortList({ default: ["a:1"] }),
    };
    expect(loadConfig(s, { N: "0" })).toEqual({
      ok: false,
      problems: [{ variable: "N", problem: "0 is below 1" }],
    });
    expect(loadConfig(s, { N: "11" })).toEqual({
      ok: false,
      problems: [{ variable: "N", problem: "11 is above 10" }],
    });
    expect(loadConfig(s, { N: "3", U: "not a url" })).toEqual({
      ok: false,
      problems: [{ variable: "U", problem: '"not a url" is not a URL' }],
    });
    expect(loadConfig(s, { N: "3" })).toEqual({
      ok: true,
      config: { N: 3, U: undefined, B: ["a:1"] },
    });
  });
});
