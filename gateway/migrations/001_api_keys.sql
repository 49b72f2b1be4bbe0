-- API keys of the gateway. The secret is stored sealed (AES-256-GCM under
-- GATEWAY_MASTER_KEY, key id as AAD), never in clear.
CREATE TABLE IF NOT EXISTS gateway.api_keys (
  key_id            text PRIMARY KEY CHECK (key_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  secret_iv         bytea NOT NULL,
  secret_ciphertext bytea NOT NULL,
  secret_tag        bytea NOT NULL,
  accounts          text[] NOT NULL CHECK (cardinality(accounts) > 0),
  roles             text[] NOT NULL CHECK (cardinality(roles) > 0
                      AND roles <@ ARRAY['trader','dashboard','regulator','ops']::text[]),
  label             text NOT NULL DEFAULT '',
  created_at        timestamptz NOT NULL DEFAULT now(),
  revoked_at        timestamptz
);
