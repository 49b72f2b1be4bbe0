// The audit trail's tables: append-only by trigger and by privileges. The
// service inserts through the NOLOGIN role fxcore_audit_writer (SET LOCAL
// ROLE), which holds INSERT and SELECT only (ADR 072).

export const AUDIT_WRITER_ROLE = "fxcore_audit_writer";

export const auditDdl = `
DO $$ BEGIN
  CREATE ROLE ${AUDIT_WRITER_ROLE} NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
  EXECUTE format('GRANT ${AUDIT_WRITER_ROLE} TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN NULL;
END $$;

CREATE SCHEMA audit;
CREATE TABLE audit.records (
  pair text NOT NULL,
  chain_seq bigint NOT NULL,
  event_id text NOT NULL UNIQUE,
  event_type text NOT NULL,
  canonical bytea NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pair, chain_seq)
);
CREATE TABLE audit.digests (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  taken_at timestamptz NOT NULL DEFAULT now(),
  heads jsonb NOT NULL,
  merkle_root bytea NOT NULL
);

CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'audit trail is append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$fn$;
CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON audit.records
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER records_no_truncate BEFORE TRUNCATE ON audit.records
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER digests_append_only BEFORE UPDATE OR DELETE ON audit.digests
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER digests_no_truncate BEFORE TRUNCATE ON audit.digests
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();

REVOKE ALL ON audit.records, audit.digests FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit.records, audit.digests FROM CURRENT_USER;
GRANT USAGE ON SCHEMA audit TO ${AUDIT_WRITER_ROLE};
GRANT SELECT, INSERT ON audit.records, audit.digests TO ${AUDIT_WRITER_ROLE};
`;
