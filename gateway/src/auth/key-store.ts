// API keys in Postgres (schema "gateway", via infra's pool): creation, revocation,
// and the lookup the authenticator uses, cached in memory for `cacheMs` so the
// hot path does not query per request (a revocation takes effect within it);
// a key in use is reloaded in the background before it expires.

import { createSecretKey, randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import type { PgPool } from "@fxcore/infra";
import { withTransaction } from "@fxcore/infra";
import type { ActiveKey, KeyLookup } from "./authenticate.ts";
import { ROLES, type Role } from "./principal.ts";
import { open, seal } from "./secret-box.ts";

const MIGRATIONS = new URL("../../migrations/", import.meta.url);

/** Applies gateway/migrations/*.sql once each, in name order, under an advisory lock. */
export const migrateKeyStore = async (pool: PgPool): Promise<void> => {
  const files = (await readdir(MIGRATIONS)).filter((f) => f.endsWith(".sql")).sort();
  await withTransaction(pool, async (c) => {
    await c.query("SELECT pg_advisory_xact_lock(hashtext('gateway.migrations'))");
    await c.query("CREATE SCHEMA IF NOT EXISTS gateway");
    await c.query(
      "CREATE TABLE IF NOT EXISTS gateway.migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const done = new Set(
      (await c.query<{ name: string }>("SELECT name FROM gateway.migrations")).rows.map(
        (r) => r.name,
      ),
    );
    for (const f of files) {
      if (done.has(f)) continue;
      await c.query(await readFile(new URL(f, MIGRATIONS), "utf8"));
      await c.query("INSERT INTO gateway.migrations (name) VALUES ($1)", [f]);
    }
  });
};

export interface NewKey {
  readonly keyId?: string;
  /** Only for reproducible demos; otherwise 32 random bytes. */
  readonly secret?: Buffer;
  readonly accounts: readonly string[];
  readonly roles: readonly Role[];
  readonly label?: string;
}

export interface CreatedKey {
  readonly keyId: string;
  /** Shown once, to the caller; base64url. */
  readonly secret: string;
}

export const createKey = async (
  pool: PgPool,
  masterKey: Buffer,
  k: NewKey,
): Promise<CreatedKey> => {
  const keyId = k.keyId ?? `k_${randomBytes(9).toString("base64url")}`;
  const secret = k.secret ?? randomBytes(32);
  if (k.roles.some((r) => !ROLES.includes(r)))
    throw new Error(`roles must be among ${ROLES.join(", ")}`);
  if (k.accounts.includes("*") && !(k.roles.length === 1 && k.roles[0] === "regulator")) {
    throw new Error('only a regulator-only key may be bound to all accounts ("*")');
  }
  const sealed = seal(masterKey, keyId, secret);
  await pool.query(
    `INSERT INTO gateway.api_keys (key_id, secret_iv, secret_ciphertext, secret_tag, accounts, roles, label)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (key_id) DO UPDATE SET secret_iv = $2, secret_ciphertext = $3, secret_tag = $4,
       accounts = $5, roles = $6, label = $7, revoked_at = NULL`,
    [keyId, sealed.iv, sealed.ciphertext, sealed.tag, k.accounts, k.roles, k.label ?? ""],
  );
  return { keyId, secret: secret.toString("base64url") };
};

export const revokeKey = async (pool: PgPool, keyId: string): Promise<boolean> =>
  ((
    await pool.query(
      "UPDATE gateway.api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL",
      [keyId],
    )
  ).rowCount ?? 0) > 0;

interface KeyRow {
  key_id: string;
  secret_iv: Buffer;
  secret_ciphertext: Buffer;
  secret_tag: Buffer;
  accounts: string[];
  roles: Role[];
}

/** One cached lookup: the answer as of `at` (when its query began), and whether a reload is running. */
interface CachedKey {
  readonly at: number;
  readonly key: Promise<ActiveKey | null>;
  value: ActiveKey | null | undefined;
  reloading: boolean;
}

export const pgKeyLookup = (
  pool: PgPool,
  masterKey: Buffer,
  options: { cacheMs?: number; now?: () => number } = {},
): Required<KeyLookup> & { clear(): void } => {
  const cacheMs = options.cacheMs ?? 5_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CachedKey>();
  const load = async (keyId: string): Promise<ActiveKey | null> => {
    const { rows } = await pool.query<KeyRow>(
      `SELECT key_id, secret_iv, secret_ciphertext, secret_tag, accounts, roles
         FROM gateway.api_keys WHERE key_id = $1 AND revoked_at IS NULL`,
      [keyId],
    );
    const row = rows[0];
    if (!row) return null;
    const secret = open(masterKey, row.key_id, {
      iv: row.secret_iv,
      ciphertext: row.secret_ciphertext,
      tag: row.secret_tag,
    });
    if (!secret) return null; // wrong master key or tampered row: the key is unusable, not an error to leak
    return {
      principal: { keyId: row.key_id, accounts: row.accounts, roles: row.roles },
      secret: createSecretKey(secret),
    };
  };
  const remember = (keyId: string, at: number, key: Promise<ActiveKey | null>): CachedKey => {
    const entry: CachedKey = { at, key, value: undefined, reloading: false };
    cache.set(keyId, entry);
    key.then(
      (v) => {
        entry.value = v;
      },
      // A failed query must not stick in the cache.
      () => {
        if (cache.get(keyId) === entry) cache.delete(keyId);
      },
    );
    if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
    return entry;
  };
  /**
   * In use and past half its life: reload it in the background, so that a key
   * in steady use never expires and its requests never wait for the query
   * (they did, every cacheMs, for every key at once). A revocation still takes
   * effect within cacheMs: an answer older than that is never used.
   */
  const refreshAhead = (keyId: string, hit: CachedKey, t: number): void => {
    if (hit.reloading || hit.value === undefined || t - hit.at < cacheMs / 2) return;
    hit.reloading = true;
    const key = load(keyId);
    key.then(
      (v) => {
        if (cache.get(keyId) === hit) remember(keyId, t, key).value = v;
      },
      // Kept until it expires; the next request after that waits for a query as before.
      () => {
        hit.reloading = false;
      },
    );
  };
  const fresh = (hit: CachedKey | undefined, t: number): hit is CachedKey =>
    hit !== undefined && t - hit.at < cacheMs;
  return {
    find(keyId) {
      const t = now();
      const hit = cache.get(keyId);
      if (fresh(hit, t)) {
        refreshAhead(keyId, hit, t);
        return hit.key;
      }
      return remember(keyId, t, load(keyId)).key;
    },
    cached(keyId) {
      const t = now();
      const hit = cache.get(keyId);
      if (!fresh(hit, t)) return undefined;
      refreshAhead(keyId, hit, t);
      return hit.value;
    },
    clear() {
      cache.clear();
    },
  };
};
