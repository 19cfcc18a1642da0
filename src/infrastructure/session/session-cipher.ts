import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

export class InvalidEncryptionKeyError extends Error {}

/** A key is 32 random bytes written as canonical base64 (`openssl rand -base64 32`). */
export function isValidEncryptionKey(text: string): boolean {
  const key = Buffer.from(text, 'base64');
  return key.length === KEY_BYTES && key.toString('base64') === text;
}

/**
 * AES-256-GCM over everything a persistent store writes. Several keys may be given: the first encrypts, all
 * decrypt, so a key can be rotated in without logging anyone out: records read under an older key are written
 * back under the newest (RedisSessionStore.get), so once every live session has been used the old key can go. Each envelope names its key by a short fingerprint so decryption needs no guessing.
 *
 * `context` is authenticated but not stored (GCM's additional data): an envelope decrypts only under the record
 * name it was written for, so a value copied from one session or field to another is rejected.
 */
export class SessionCipher {
  private readonly keys: readonly { id: string; key: Buffer }[];

  constructor(base64Keys: readonly string[]) {
    if (base64Keys.length === 0) throw new InvalidEncryptionKeyError('at least one key is required');
    this.keys = base64Keys.map((text, index) => {
      if (!isValidEncryptionKey(text)) {
        throw new InvalidEncryptionKeyError(`key ${index + 1} is not 32 bytes written as base64 (openssl rand -base64 32)`);
      }
      const key = Buffer.from(text, 'base64');
      return { id: createHash('sha256').update(key).digest('base64url').slice(0, 8), key };
    });
  }

  encrypt(plaintext: string, context: string): string {
    const { id, key } = this.keys[0]!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, id, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** A value as JSON, sealed: what every store writes. */
  sealJson(value: unknown, context: string): string {
    return this.encrypt(JSON.stringify(value), context);
  }

  /** The value `sealJson` sealed, or undefined when the envelope does not open (see `decrypt`) or holds no JSON. */
  openJson<T>(envelope: string, context: string): T | undefined {
    const plaintext = this.decrypt(envelope, context);
    if (plaintext === undefined) return undefined;
    try {
      return JSON.parse(plaintext) as T;
    } catch {
      return undefined;
    }
  }

  /** Whether an envelope was written under the newest key; older ones are rewritten on read (see the store). */
  isCurrent(envelope: string): boolean {
    return envelope.split('.', 3)[1] === this.keys[0]!.id;
  }

  /** The plaintext, or undefined when the envelope is malformed, tampered with, or under no key we hold. */
  decrypt(envelope: string, context: string): string | undefined {
    const [version, id, iv, body, tag, ...rest] = envelope.split('.');
    if (version !== VERSION || iv === undefined || body === undefined || tag === undefined || rest.length > 0) return undefined;
    const entry = this.keys.find((candidate) => candidate.id === id);
    if (entry === undefined) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      const tagBytes = Buffer.from(tag, 'base64url');
      if (tagBytes.length !== TAG_BYTES) return undefined;
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
