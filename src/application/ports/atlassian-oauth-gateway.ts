import type { Deadline } from '../../domain/deadline.js';
import { AppError } from '../../domain/errors.js';
import type { Product } from '../../domain/product.js';
import type { CloudId } from '../../domain/site.js';

export interface OAuthTokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly expiresInSeconds: number;
  readonly scopes: readonly string[];
}

export interface AccessibleResource {
  /** The cloudId. */
  readonly id: CloudId;
  readonly name: string;
  readonly url: string;
  readonly scopes: readonly string[];
}

/**
 * The token endpoint gave no answer (a timeout, a connection broken before the answer): Atlassian may or may not
 * have acted on the request. For a refresh that matters, because it may have rotated the refresh token, and the
 * old one then works only for Atlassian's reuse leeway. The code is `upstream_timeout` or `upstream_error`.
 */
export class TokenAnswerLostError extends AppError {}

/**
 * Atlassian's OAuth 2.0 (3LO) authorization server and its accessible-resources endpoint.
 * Failures are AppErrors: `oauth_not_configured`, `invalid_grant` (Atlassian refused the code or refresh token),
 * `upstream_error`, `upstream_timeout`, `rate_limited`; a token request without an answer is a
 * TokenAnswerLostError.
 */
export interface AtlassianOAuthGateway {
  isConfigured(product: Product): boolean;
  /** With a PKCE challenge (S256), the code can only be exchanged with its verifier. */
  authorizationUrl(product: Product, state: string, codeChallenge?: string): string;
  /** `codeVerifier` is sent when the authorization request carried a challenge. */
  exchangeCode(product: Product, code: string, codeVerifier?: string): Promise<OAuthTokens>;
  /** Ends by `deadline` when a client request waits for it; without one (a background retry), by the adapter's own bound. */
  refresh(product: Product, refreshToken: string, deadline?: Deadline): Promise<OAuthTokens>;
  accessibleResources(accessToken: string): Promise<AccessibleResource[]>;
}
