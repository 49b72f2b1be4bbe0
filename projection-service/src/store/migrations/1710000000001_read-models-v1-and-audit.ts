// First read-model version (rm_v1, made active) and the audit trail.
import type { MigrationBuilder } from "node-pg-migrate";
import { auditDdl } from "../audit-ddl.ts";
import { activateDdl, readModelDdl, versionSchema } from "../ddl.ts";

export const up = (pgm: MigrationBuilder): void => {
  pgm.sql(readModelDdl(versionSchema(1)));
  pgm.sql(activateDdl(versionSchema(1)));
  pgm.sql(auditDdl);
};

export const down = (pgm: MigrationBuilder): void => {
  pgm.sql(
    "DROP SCHEMA IF EXISTS rm CASCADE; DROP SCHEMA IF EXISTS rm_v1 CASCADE; DROP SCHEMA IF EXISTS audit CASCADE;",
  );
};
