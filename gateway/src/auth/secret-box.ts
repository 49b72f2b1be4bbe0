// API secrets at rest: AES-256-GCM under the gateway master key (env
// GATEWAY_MASTER_KEY, 32 bytes as base64 or hex; never in the repo), with the
// key id as additional authenticated data so a ciphertext cannot be moved to
// another key's row. HMAC verification needs the plain secret, so a one-way
// hash would not do; a database dump alone reveals nothing.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export interface SealedSecret {
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

export const parseMasterKey = (
  raw: string | undefined,
): { ok: true; key: Buffer } | { ok: false; problem: string } => {
  if (!raw)
    return { ok: false, problem: "GATEWAY_MASTER_KEY is not set (32 bytes, base64 or hex)" };
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
  if (key.length !== 32)
    return { ok: false, problem: "GATEWAY_MASTER_KEY must decode to exactly 32 bytes" };
  return { ok: true, key };
};

export const seal = (masterKey: Buffer, keyId: string, secret: Buffer): SealedSecret => {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", masterKey, iv);
  cipher.setAAD(Buffer.from(keyId, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
};

/** null when the master key is wrong or the row was tampered with. */
export const open = (masterKey: Buffer, keyId: string, sealed: SealedSecret): Buffer | null => {
  try {
    const decipher = createDecipheriv("aes-256-gcm", masterKey, sealed.iv);
    decipher.setAAD(Buffer.from(keyId, "utf8"));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    return null;
  }
};
