// Environment variables -> typed, validated configuration. A spec maps each
// variable name to a field parser; loading checks every field and reports all
// problems at once, so a misconfigured service says everything that is wrong.

export type FieldResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

export interface Field<T> {
  /** `raw` is undefined when the variable is unset or empty. */
  parse(raw: string | undefined): FieldResult<T>;
  readonly describe: string;
}

export type ConfigSpec = Record<string, Field<unknown>>;
export type ConfigOf<S extends ConfigSpec> = {
  readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never;
};

export interface ConfigProblem {
  readonly variable: string;
  readonly problem: string;
}

export type ConfigResult<S extends ConfigSpec> =
  | { readonly ok: true; readonly config: ConfigOf<S> }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.problem}`).join("\n")}`,
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export function loadConfig<S extends ConfigSpec>(
  spec: S,
  env: NodeJS.ProcessEnv = process.env,
): ConfigResult<S> {
  const config: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [variable, field] of Object.entries(spec)) {
    const raw = env[variable];
    const result = field.parse(raw === undefined || raw.trim() === "" ? undefined : raw.trim());
    if (result.ok) config[variable] = result.value;
    else problems.push({ variable, problem: result.error });
  }
  return problems.length === 0
    ? { ok: true, config: config as ConfigOf<S> }
    : { ok: false, problems };
}

/** For process start-up: the config, or a ConfigError listing every problem. */
export function requireConfig<S extends ConfigSpec>(
  spec: S,
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  const result = loadConfig(spec, env);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

// ---- field parsers -------------------------------------------------------

const ok = <T>(value: T): FieldResult<T> => ({ ok: true, value });
const fail = (error: string): FieldResult<never> => ({ ok: false, error });

function field<T>(
  describe: string,
  parse: (raw: string) => FieldResult<T>,
  fallback?: T,
): Field<T> {
  return {
    describe,
    parse: (raw) =>
      raw === undefined
        ? fallback === undefined
          ? fail(`required (${describe})`)
          : ok(fallback)
        : parse(raw),
  };
}

/** Makes any field optional: unset gives undefined. */
export function optional<T>(f: Field<T>): Field<T | undefined> {
  return {
    describe: `${f.describe}, optional`,
    parse: (raw) => (raw === undefined ? ok(undefined) : f.parse(raw)),
  };
}

export const str = (options: { default?: string } = {}): Field<string> =>
  field("a string", (raw) => ok(raw), options.default);

export const int = (
  options: { default?: number; min?: number; max?: number } = {},
): Field<number> =>
  field(
    `an integer${options.min !== undefined ? ` >= ${options.min}` : ""}${options.max !== undefined ? ` <= ${options.max}` : ""}`,
    (raw) => {
      if (!/^-?\d+$/.test(raw)) return fail(`"${raw}" is not an integer`);
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) return fail(`"${raw}" is out of range`);
      if (options.min !== undefined && n < options.min) return fail(`${n} is below ${options.min}`);
      if (options.max !== undefined && n > options.max) return fail(`${n} is above ${options.max}`);
      return ok(n);
    },
    options.default,
  );

export const port = (options: { default?: number } = {}): Field<number> => {
  const f = int({ min: 1, max: 65535, ...options });
  return { describe: "a TCP port (1-65535)", parse: f.parse };
};

export const bool = (options: { default?: boolean } = {}): Field<boolean> =>
  field(
    "true/false/1/0",
    (raw) => {
      const v = raw.toLowerCase();
      if (["true", "1", "yes"].includes(v)) return ok(true);
      if (["false", "0", "no"].includes(v)) return ok(false);
      return fail(`"${raw}" is not a boolean`);
    },
    options.default,
  );

export const oneOf = <const T extends string>(
  values: readonly T[],
  options: { default?: T } = {},
): Field<T> =>
  field(
    `one of ${values.join(", ")}`,
    (raw) =>
      (values as readonly string[]).includes(raw)
        ? ok(raw as T)
        : fail(`"${raw}" is not one of ${values.join(", ")}`),
    options.default,
  );

export const url = (
  options: { default?: string; protocols?: readonly string[] } = {},
): Field<string> =>
  field(
    `a URL${options.protocols ? ` (${options.protocols.join(", ")})` : ""}`,
    (raw) => {
      let parsed: URL;
      try {
        parsed = new URL(raw);
      } catch {
        return fail(`"${redact(raw)}" is not a URL`);
      }
      const protocol = parsed.protocol.replace(/:$/, "");
      if (options.protocols && !options.protocols.includes(protocol)) {
        return fail(`protocol "${protocol}" is not one of ${options.protocols.join(", ")}`);
      }
      return ok(raw);
    },
    options.default,
  );

/** Comma-separated host:port list, e.g. KAFKA_BROKERS=127.0.0.1:19092,127.0.0.1:19094 */
export const hostPortList = (
  options: { default?: readonly string[] } = {},
): Field<readonly string[]> =>
  field(
    "a comma-separated host:port list",
    (raw) => {
      const items = raw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      if (items.length === 0) return fail("empty list");
      const bad = items.filter(
        (s) => !/^[A-Za-z0-9._-]+:\d{1,5}$/.test(s) || Number(s.split(":").pop()) > 65535,
      );
      return bad.length > 0 ? fail(`not host:port: ${bad.join(", ")}`) : ok(items);
    },
    options.default,
  );

/** Hides a password in a URL before it reaches an error message or a log. */
export function redact(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):([^@]+)@/, "//$1:***@");
}
