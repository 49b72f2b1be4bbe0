// The key lookup's cache against a real Postgres: a key in steady use is
// reloaded in the background before it expires, so its requests never wait
// for the query, and a revocation still takes effect within cacheMs.

import { randomBytes } from "node:crypto";
import { createPgPool, type PgPool } from "@fxcore/infra";
import { createTestDatabase, type TestDatabase } from "@fxcore/infra/testing";
// Brings the ProvidedContext keys the infra global setup provides into scope for inject().
import type {} from "@fxcore/infra/testing/global-setup";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createKey, migrateKeyStore, pgKeyLookup, revokeKey } from "../../src/auth/key-store.ts";

const master = randomBytes(32);
let db: TestDatabase;
let pool: PgPool;

/** The real pool, counting the lookups' queries; `failNext` makes the next one fail. */
const counted = { queries: 0, failNext: false, sent: [] as Promise<unknown>[] };
const countingPool = (): PgPool =>
  ({
    query: (...args: Parameters<PgPool["query"]>) => {
      counted.queries++;
      const sent: Promise<unknown> = counted.failNext
        ? Promise.reject(new Error("connection lost"))
        : (pool.query as (...a: unknown[]) => Promise<unknown>)(...args);
      counted.failNext = false;
      counted.sent.push(sent);
      return sent;
    },
  }) as unknown as PgPool;

/** Every query sent so far has answered, and the cache has taken the answers in. */
const settle = async () => {
  await Promise.allSettled(counted.sent);
  await new Promise((r) => setImmediate(r));
};

beforeAll(async () => {
  db = await createTestDatabase("gwkeys");
  pool = createPgPool({ connectionString: db.url, applicationName: "gateway-keys-it", max: 2 });
  await migrateKeyStore(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

beforeEach(() => {
  counted.queries = 0;
  counted.failNext = false;
  counted.sent = [];
});

describe("pgKeyLookup's cache", () => {
  it("reloads a key in use past half its life, so it never expires while in use", async () => {
    const k = await createKey(pool, master, { accounts: ["ACC-1"], roles: ["trader"] });
    const clock = { t: 1_000_000 };
    const keys = pgKeyLookup(countingPool(), master, { cacheMs: 5_000, now: () => clock.t });
    expect(keys.cached(k.keyId)).toBeUndefined();
    expect((await keys.find(k.keyId))?.principal.accounts).toEqual(["ACC-1"]);
    expect(counted.queries).toBe(1);

    clock.t += 2_000; // younger than half: no reload
    expect(keys.cached(k.keyId)?.principal.keyId).toBe(k.keyId);
    expect(counted.queries).toBe(1);

    clock.t += 1_000; // past half: served at once, reloaded behind
    expect(keys.cached(k.keyId)?.principal.keyId).toBe(k.keyId);
    expect(keys.cached(k.keyId)?.principal.keyId).toBe(k.keyId);
    expect(counted.queries).toBe(2); // one reload, not one per request
    await settle();

    clock.t += 2_000; // 5 s after the first load (expired), 2 s after the reload began
    expect(keys.cached(k.keyId)?.principal.keyId).toBe(k.keyId);
    expect(counted.queries).toBe(2);
  });

  it("a revocation takes effect within cacheMs, by the reload or by expiry", async () => {
    const a = await createKey(pool, master, { accounts: ["ACC-1"], roles: ["trader"] });
    const b = await createKey(pool, master, { accounts: ["ACC-2"], roles: ["trader"] });
    const clock = { t: 2_000_000 };
    const keys = pgKeyLookup(countingPool(), master, { cacheMs: 5_000, now: () => clock.t });
    await keys.find(a.keyId);
    await keys.find(b.keyId);
    expect(await revokeKey(pool, a.keyId)).toBe(true);
    expect(await revokeKey(pool, b.keyId)).toBe(true);

    // a in use: its reload sees the revocation.
    clock.t += 3_000;
    expect(keys.cached(a.keyId)).not.toBeNull();
    await settle();
    expect(keys.cached(a.keyId)).toBeNull();
    expect(await keys.find(a.keyId)).toBeNull();

    // b unused until past cacheMs: no stale answer, the query decides.
    clock.t += 2_001;
    expect(keys.cached(b.keyId)).toBeUndefined();
    expect(await keys.find(b.keyId)).toBeNull();
  });

  it("a failed reload keeps the answer until it expires, then the query decides", async () => {
    const k = await createKey(pool, master, { accounts: ["ACC-3"], roles: ["trader"] });
    const clock = { t: 3_000_000 };
    const keys = pgKeyLookup(countingPool(), master, { cacheMs: 5_000, now: () => clock.t });
    await keys.find(k.keyId);
    counted.failNext = true;
    clock.t += 2_600;
    expect(keys.cached(k.keyId)?.principal.keyId).toBe(k.keyId);
    await settle();
    counted.failNext = true;
    clock.t += 2_000; // 4.6 s: still the first answer; the reload is tried again, and fails
    expect(keys.cached(k.keyId)?.principal.keyId).toBe(k.keyId);
    expect(counted.queries).toBe(3);
    await settle();
    clock.t += 400; // 5 s: expired, nothing stale is served
    expect(keys.cached(k.keyId)).toBeUndefined();
    expect((await keys.find(k.keyId))?.principal.keyId).toBe(k.keyId);
    expect(counted.queries).toBe(4);
  });

  it("a successful reload renews the answer from the moment its query began", async () => {
    const k = await createKey(pool, master, { accounts: ["ACC-4"], roles: ["trader"] });
    const clock = { t: 4_000_000 };
    const keys = pgKeyLookup(countingPool(), master, { cacheMs: 5_000, now: () => clock.t });
    await keys.find(k.keyId);
    clock.t += 4_900;
    expect(keys.cached(k.keyId)?.principal.keyId).toBe(k.keyId); // reload begins at 4.9 s
    await settle();
    clock.t += 4_999; // 9.899 s: the first answer is long expired, the reload's is not
    expect(keys.cached(k.keyId)?.principal.keyId).toBe(k.keyId);
    expect(counted.queries).toBe(3); // and, past half its life, reloaded in turn
    clock.t += 1; // that reload has not answered: nothing older than cacheMs is served
    expect(keys.cached(k.keyId)).toBeUndefined();
  });
});
