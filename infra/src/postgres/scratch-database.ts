import pg from "pg";

// A throwaway database on a server: tests and benchmarks make one each and
// drop it afterwards. The one way to create and drop them.

export interface ScratchDatabase {
  readonly name: string;
  /** `adminUrl` with this database in its path. */
  readonly url: string;
  drop(): Promise<void>;
}

/** Creates `<name>` (lower-cased, other than [a-z0-9_] turned to `_`) through `adminUrl`. */
export async function createScratchDatabase(
  adminUrl: string,
  name: string,
): Promise<ScratchDatabase> {
  const safe = name.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE "${safe}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${safe}`;
  return {
    name: safe,
    url: url.toString(),
    drop: () =>
      withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${safe}" WITH (FORCE)`)).then(
        () => {},
      ),
  };
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
