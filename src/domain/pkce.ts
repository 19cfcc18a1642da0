import { createHash } from 'node:crypto';

/**
 * PKCE (RFC 7636), method S256: the authorization request carries the hash of a secret verifier, and the token
 * request the verifier itself. A code that leaks from the browser is then useless with any other flow's `state`:
 * only the flow that started it holds the matching verifier.
 */
export const PKCE_METHOD = 'S256';

export function pkceChallengeOf(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
