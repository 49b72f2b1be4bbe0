// Who a verified key is and what it may do. Policy, pure:
//   trader     — enters orders and reads them, on its bound accounts only
//   dashboard  — reads (status, executions, stream) on its bound accounts
//   regulator  — reads; may be bound to every account with "*"
//   ops        — service endpoints only (time, health, metrics, docs)

export const ROLES = ["trader", "dashboard", "regulator", "ops"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  readonly keyId: string;
  /** Bound accounts; "*" means all (regulator only). */
  readonly accounts: readonly string[];
  readonly roles: readonly Role[];
}

export type Action = "trade" | "read";

const ACTION_ROLES: Readonly<Record<Action, readonly Role[]>> = {
  trade: ["trader"],
  read: ["trader", "dashboard", "regulator"],
};

export type AccountDecision =
  | { readonly ok: true; readonly account: string }
  | { readonly ok: false; readonly why: "role" | "account" | "ambiguous" };

/**
 * The account an action runs on: the one the message names, or the key's only
 * account when it names none. A key bound to several must say which.
 */
export const resolveAccount = (
  p: Principal,
  action: Action,
  named: string | undefined,
): AccountDecision => {
  if (!p.roles.some((r) => ACTION_ROLES[action].includes(r))) return { ok: false, why: "role" };
  const wildcard = p.accounts.includes("*") && p.roles.includes("regulator") && action === "read";
  if (named !== undefined) {
    return wildcard || p.accounts.includes(named)
      ? { ok: true, account: named }
      : { ok: false, why: "account" };
  }
  const only = p.accounts.length === 1 && p.accounts[0] !== "*" ? p.accounts[0] : undefined;
  return only === undefined ? { ok: false, why: "ambiguous" } : { ok: true, account: only };
};

/** Accounts whose executions a reader sees; null = all. */
export const readableAccounts = (p: Principal): readonly string[] | null => {
  if (!p.roles.some((r) => ACTION_ROLES.read.includes(r))) return [];
  return p.accounts.includes("*") && p.roles.includes("regulator")
    ? null
    : p.accounts.filter((a) => a !== "*");
};
