/** Unguessable values, base64url-encoded: session tokens and OAuth states carry 256 bits of randomness. */
export interface TokenGenerator {
  sessionToken(): string;
  oauthState(): string;
  /** Identifier for versions and locks; unique, not necessarily secret. */
  id(): string;
}
