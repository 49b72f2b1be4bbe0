// Fresh database per test file on the shared test Postgres (DATABASE_URL).
// Temporary until infra's per-suite helper lands.
import { randomUUID } from "node:crypto";
import pg from "pg";

export const baseUrl = (): string =>
  process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:15532/postgres";

export async function createTestDatabase(prefix: string): Promise<{
  url: string;
  drop: () => Promise<void>;
}> {
  const name = `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: baseUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
