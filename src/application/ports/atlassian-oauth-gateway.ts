import type { Product } from '../../domain/product.js';

export interface OAuthTokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly expiresInSeconds: number;
  readonly scopes: readonly string[];
}

export interface AccessibleResource {
  /** The cloudId. */
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly scopes: readonly string[];
}

/**
 * Atlassian's OAuth 2.0 (3LO) authorization server and its accessible-resources endpoint.
 * Failures are AppErrors: `oauth_not_configured`, `invalid_grant` (Atlassian refused the code or refresh token),
 * `upstream_error`, `upstream_timeout`, `rate_limited`.
 */
export interface AtlassianOAuthGateway {
  isConfigured(product: Product): boolean;
  /** With a PKCE challenge (S256), the code can only be exchanged with its verifier. */
  authorizationUrl(product: Product, state: string, codeChallenge?: string): string;
  /** `codeVerifier` is sent when the authorization request carried a challenge. */
  exchangeCode(product: Product, code: string, codeVerifier?: string): Promise<OAuthTokens>;
  refresh(product: Product, refreshToken: string): Promise<OAuthTokens>;
  accessibleResources(accessToken: string): Promise<AccessibleResource[]>;
}
