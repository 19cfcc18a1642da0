import { createHash } from 'node:crypto';

/** 32 random bytes written as base64url without padding: 43 characters. */
const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function isWellFormedSessionToken(token: string): boolean {
  return SESSION_TOKEN.test(token);
}

/**
 * The key a session is stored under. Stores never see the token itself, so a leaked store dump (or a key listing
 * in Redis) cannot be replayed as a session. SHA-256 is enough: the token has 256 bits of entropy, so no salt or
 * slow hash is needed to resist guessing.
 */
export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** OAuth `state` values are stored under a hash for the same reason. */
export const stateIdOf = sessionIdOf;

/** And completion values (OAUTH_RETURN_URL mode) too. */
export const completionIdOf = sessionIdOf;
