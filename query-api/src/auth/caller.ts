// Who is asking, from the identity headers the gateway sets after verifying
// the caller's signature. Policy: a caller reads only its bound accounts; a
// regulator bound to "*" reads every account.

export const ACCOUNTS_HEADER = "x-fxcore-accounts";
export const ROLES_HEADER = "x-fxcore-roles";
export const KEY_ID_HEADER = "x-fxcore-key-id";

const READ_ROLES = new Set(["trader", "dashboard", "regulator"]);

export interface Caller {
  readonly keyId: string;
  readonly roles: readonly string[];
  /** null: every account (regulator). */
  readonly accounts: ReadonlySet<string> | null;
}

export type CallerProblem = {
  readonly status: 401 | 403;
  readonly error: "UNAUTHENTICATED" | "FORBIDDEN";
  readonly message: string;
};

const list = (v: string | string[] | undefined): string[] =>
  (Array.isArray(v) ? v.join(",") : (v ?? ""))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export const callerFrom = (
  headers: Readonly<Record<string, string | string[] | undefined>>,
): { ok: true; caller: Caller } | { ok: false; problem: CallerProblem } => {
  const keyId = headers[KEY_ID_HEADER];
  const roles = list(headers[ROLES_HEADER]);
  const accounts = list(headers[ACCOUNTS_HEADER]);
  if (typeof keyId !== "string" || keyId === "" || roles.length === 0) {
    return {
      ok: false,
      problem: {
        status: 401,
        error: "UNAUTHENTICATED",
        message: `missing ${KEY_ID_HEADER} / ${ROLES_HEADER}: requests come through the gateway`,
      },
    };
  }
  if (!roles.some((r) => READ_ROLES.has(r))) {
    return {
      ok: false,
      problem: {
        status: 403,
        error: "FORBIDDEN",
        message: `roles ${roles.join(",")} may not read`,
      },
    };
  }
  const all = accounts.includes("*") && roles.includes("regulator");
  return {
    ok: true,
    caller: { keyId, roles, accounts: all ? null : new Set(accounts.filter((a) => a !== "*")) },
  };
};

export const mayRead = (c: Caller, account: string): boolean =>
  c.accounts === null || c.accounts.has(account);

/** The accounts a query is limited to: null for all. */
export const visibleAccounts = (c: Caller): string[] | null =>
  c.accounts === null ? null : [...c.accounts];
