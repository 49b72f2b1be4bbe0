// API key administration: create (or rotate) and revoke. Prints the secret
// once, as JSON; the database only ever holds it sealed.
//   node gateway/src/cli/keys.ts create --account ACC1 --role trader [--key-id demo-trader] [--label x]
//   node gateway/src/cli/keys.ts revoke --key-id demo-trader
// Env: DATABASE_URL, GATEWAY_MASTER_KEY. --secret <base64url> only for reproducible demos.

import { parseArgs } from "node:util";
import { createPgPool, databaseConfig, requireConfig, str } from "@fxcore/infra";
import { createKey, migrateKeyStore, revokeKey } from "../auth/key-store.ts";
import { ROLES, type Role } from "../auth/principal.ts";
import { parseMasterKey } from "../auth/secret-box.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    account: { type: "string", multiple: true },
    role: { type: "string", multiple: true },
    "key-id": { type: "string" },
    label: { type: "string" },
    secret: { type: "string" },
  },
});
const usage = () => {
  console.error(
    "usage: keys.ts create --account A [--account B] --role trader|dashboard|regulator|ops [--key-id ID]\n       keys.ts revoke --key-id ID",
  );
  process.exit(2);
};

const config = requireConfig({ ...databaseConfig, GATEWAY_MASTER_KEY: str() });
const master = parseMasterKey(config.GATEWAY_MASTER_KEY);
if (!master.ok) {
  console.error(master.problem);
  process.exit(2);
}
const pool = createPgPool({
  connectionString: config.DATABASE_URL,
  applicationName: "gateway-keys",
  max: 1,
});
try {
  await migrateKeyStore(pool);
  if (positionals[0] === "create") {
    const roles = (values.role ?? []) as Role[];
    if (!values.account?.length || !roles.length || roles.some((r) => !ROLES.includes(r))) usage();
    const created = await createKey(pool, master.key, {
      accounts: values.account ?? [],
      roles,
      ...(values["key-id"] ? { keyId: values["key-id"] } : {}),
      ...(values.secret ? { secret: Buffer.from(values.secret, "base64url") } : {}),
      ...(values.label ? { label: values.label } : {}),
    });
    console.log(JSON.stringify({ ...created, accounts: values.account, roles }));
  } else if (positionals[0] === "revoke" && values["key-id"]) {
    console.log(
      JSON.stringify({ keyId: values["key-id"], revoked: await revokeKey(pool, values["key-id"]) }),
    );
  } else {
    usage();
  }
} finally {
  await pool.end();
}
