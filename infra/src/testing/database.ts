import pg from "pg";
import { infraSettings, uniqueSuffix } from "./settings.ts";

// A fresh Postgres database per suite, dropped afterwards.

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = "test"): Promise<TestDatabase> {
  const base = options().DATABASE_URL;
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9_]/g, "_")}_${uniqueSuffix()}`;
  await admin(base, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      admin(base, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}

const options = () => infraSettings();

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
