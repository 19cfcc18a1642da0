import type { Product } from './product.js';
import { normaliseSite, type SiteHost } from './site.js';

/** The Atlassian site a connection reaches. `id` is the cloudId when known (always for OAuth). */
export interface ConnectedSite {
  readonly id?: string;
  readonly url: string;
  readonly name?: string;
}

interface ConnectionBase {
  readonly product: Product;
  readonly site: ConnectedSite;
  readonly connectedAt: number;
  /** Changes on every write, so a writer can compare-and-set against the connection it read. */
  readonly version: string;
}

export interface OAuthConnection extends ConnectionBase {
  readonly method: 'oauth';
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** Epoch milliseconds at which Atlassian stops accepting `accessToken`. */
  readonly accessTokenExpiresAt: number;
  readonly scopes: readonly string[];
}

export interface ApiTokenConnection extends ConnectionBase {
  readonly method: 'api_token';
  readonly email: string;
  readonly apiToken: string;
  /**
   * `site`: Basic auth on https://<site>. `gateway`: Basic auth through api.atlassian.com/ex/<product>/<cloudId>,
   * the only route Atlassian's scoped API tokens work on.
   */
  readonly route: 'site' | 'gateway';
}

export type Connection = OAuthConnection | ApiTokenConnection;
export type AuthMethod = Connection['method'];

export interface Session {
  /** Hash of the session token (see session-token.ts); the token itself is never stored as a key. */
  readonly id: string;
  readonly createdAt: number;
  /**
   * Epoch milliseconds at which the store forgets the session unless it is used (or connected) again: the idle
   * expiry, or the short expiry of a session without a connection, and never later than `endsAt`.
   */
  readonly expiresAt: number;
  /** Epoch milliseconds of the absolute end (`createdAt` + the maximum age): no use extends a session past it. */
  readonly endsAt: number;
  readonly connections: Readonly<Partial<Record<Product, Connection>>>;
}

/** A started OAuth flow waiting for its callback. */
export interface PendingOAuth {
  /** Hash of the `state` sent to Atlassian. */
  readonly stateId: string;
  readonly product: Product;
  readonly sessionId: string;
  /** Kept so the callback can answer with the session token; the record is single use and short-lived. */
  readonly sessionToken: string;
  /** Host the user asked to connect, when they chose one. */
  readonly preferredSite?: string;
  /** The PKCE verifier whose challenge went to Atlassian; absent when PKCE is off. A secret, like the tokens. */
  readonly codeVerifier?: string;
  readonly expiresAt: number;
}

/**
 * A finished OAuth flow waiting for the browser that started it (with OAUTH_RETURN_URL): the grant is attached
 * only when that browser's session asks for it. Single use and short-lived, like a pending flow.
 */
export interface OAuthCompletion {
  /** Hash of the completion value handed to the browser. */
  readonly completionId: string;
  /** The session that started the flow: the only one that may take the grant. */
  readonly sessionId: string;
  readonly connection: OAuthConnection;
  readonly site: Required<ConnectedSite>;
  readonly sites: readonly Required<ConnectedSite>[];
  readonly expiresAt: number;
}

/**
 * The site's host, validated again: a stored or upstream URL is data, not a proof. Undefined when the URL is not
 * an Atlassian Cloud site's.
 */
export function siteHostOf(site: ConnectedSite): SiteHost | undefined {
  try {
    return normaliseSite(new URL(site.url).host);
  } catch {
    return undefined;
  }
}
