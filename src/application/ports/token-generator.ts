/**
 * Unguessable values, base64url-encoded: session tokens, OAuth states, PKCE verifiers and completion values carry
 * 256 bits of randomness.
 */
export interface TokenGenerator {
  sessionToken(): string;
  oauthState(): string;
  /** A PKCE code verifier (RFC 7636: 43 to 128 unreserved characters). */
  pkceVerifier(): string;
  /** The one-time value that hands a finished OAuth flow to the browser that started it. */
  oauthCompletion(): string;
  /** Identifier for versions and locks; unique, not necessarily secret. */
  id(): string;
}
