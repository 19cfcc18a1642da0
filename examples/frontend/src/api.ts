/**
 * A tiny typed client for the Atlassian connector's API (see the service's docs/frontend.md).
 *
 * - The session is named by the `X-Session-Token` header. The client keeps the latest token it was given in
 *   sessionStorage (one tab, gone when the tab closes) and sends it on every call. Always keep the token of the
 *   latest login answer: a login with an unknown token starts a new session.
 * - Every failure is thrown as an `ApiError` with the API's `code` (or `network_error` / `unexpected_response`).
 */
import type { ErrorCode } from './messages.js';

export type Product = 'jira' | 'confluence';

export const PRODUCT_NAMES: Readonly<Record<Product, string>> = { jira: 'Jira', confluence: 'Confluence' };

export interface Site {
  /** The cloudId (OAuth and scoped API tokens). */
  readonly id?: string;
  readonly url: string;
  /** OAuth only. */
  readonly name?: string;
}

export type ProductStatus =
  | { readonly connected: false }
  | { readonly connected: true; readonly method: 'oauth' | 'api_token'; readonly site: Site; readonly since: string };

export interface SessionInfo {
  readonly created_at: string;
  readonly expires_at: string;
  readonly products: Readonly<Record<Product, ProductStatus>>;
}

export interface Project {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly type: string;
  readonly style?: string;
  readonly avatar_url?: string;
  readonly url: string;
}

export interface Space {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly type: string;
  readonly status: string;
  readonly url: string;
}

export interface LoginResult {
  readonly session_token: string;
  readonly product: Product;
  readonly site: Site;
}

/** The answer of the OAuth completion step: the connected site and every site the grant covers. */
export interface OAuthLoginResult extends LoginResult {
  readonly sites: readonly Site[];
}

export interface ApiTokenCredentials {
  readonly email: string;
  readonly api_token: string;
  /** `acme`, `acme.atlassian.net` or `https://acme.atlassian.net`; may be left out when the server has a default. */
  readonly site?: string;
}

export class ApiError extends Error {
  constructor(
    /** The API's `error.code`, or `network_error` / `unexpected_response`. An unknown code is kept as is. */
    readonly code: ErrorCode | (string & {}),
    /** The server's message (safe to show, written for developers). */
    message: string,
    readonly status: number,
    readonly retryAfterSeconds?: number,
    readonly fields?: readonly { readonly field: string; readonly message: string }[],
    /** With rate_limited: which of the service's own limits refused (absent: Atlassian's). */
    readonly limit?: string,
    /** With invalid_credentials: the site host that refused the credentials. */
    readonly site?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface TokenStore {
  get(): string | null;
  set(token: string): void;
  clear(): void;
}

const TOKEN_KEY = 'atlassian-connector.session-token';

export const sessionStorageTokens: TokenStore = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

const SESSION_HEADER = 'X-Session-Token';

export class ConnectorClient {
  constructor(
    readonly baseUrl: string,
    private readonly tokens: TokenStore = sessionStorageTokens,
  ) {}

  get sessionToken(): string | null {
    return this.tokens.get();
  }

  /** Starts an OAuth sign-in and answers the Atlassian URL to send the browser to (top-level navigation). */
  async startOAuth(product: Product, site?: string): Promise<string> {
    const query = site !== undefined && site !== '' ? `?site=${encodeURIComponent(site)}` : '';
    const body = await this.request<{ auth_url: string }>('GET', `/auth/${product}/oauth/start${query}`);
    return body.auth_url;
  }

  /**
   * The last step of an OAuth sign-in: hands the `completion` value from the return URL to the service with this
   * tab's session token. The service attaches the grant only if this session started the sign-in.
   */
  finishOAuth(completion: string): Promise<OAuthLoginResult> {
    return this.request<OAuthLoginResult>('POST', '/auth/oauth/complete', { completion });
  }

  loginWithApiToken(product: Product, credentials: ApiTokenCredentials): Promise<LoginResult> {
    const site = credentials.site?.trim();
    return this.request<LoginResult>('POST', `/auth/${product}/api-token`, {
      email: credentials.email,
      api_token: credentials.api_token,
      ...(site ? { site } : {}),
    });
  }

  session(): Promise<SessionInfo> {
    return this.request<SessionInfo>('GET', '/auth/session');
  }

  /** Every project, or with `q` the first `limit` whose key or name contains it (served from the service's cache). */
  projects(q = '', limit = 200): Promise<{ projects: Project[]; total: number; next_cursor?: string }> {
    return this.request('GET', `/jira/projects${searchQuery(q, limit)}`);
  }

  spaces(q = '', limit = 200): Promise<{ spaces: Space[]; total: number; next_cursor?: string }> {
    return this.request('GET', `/confluence/spaces${searchQuery(q, limit)}`);
  }

  async disconnect(product: Product): Promise<void> {
    await this.request<undefined>('DELETE', `/auth/${product}`);
  }

  /** Ends the session on the server and forgets the token, also when the server had already forgotten it. */
  async logout(): Promise<void> {
    try {
      await this.request<undefined>('DELETE', '/auth/session');
    } finally {
      this.tokens.clear();
    }
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = this.tokens.get();
    if (token !== null) headers[SESSION_HEADER] = token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        // Listings are per session and private: keep them out of the HTTP cache.
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('network_error', `Cannot reach ${this.baseUrl}`, 0);
    }

    const newToken = response.headers.get(SESSION_HEADER);
    if (newToken !== null && newToken !== '') this.tokens.set(newToken);

    if (response.status === 204) return undefined as T;
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch {
      throw new ApiError('unexpected_response', `HTTP ${response.status} without a JSON body`, response.status);
    }
    if (response.ok) return parsed as T;

    const error = (parsed as { error?: { code?: unknown; message?: unknown; fields?: unknown; limit?: unknown; site?: unknown } } | null)?.error;
    if (typeof error?.code !== 'string') {
      throw new ApiError('unexpected_response', `HTTP ${response.status} without an error code`, response.status);
    }
    // The session is gone on the server: forget the token so the next login starts cleanly.
    if (error.code === 'invalid_session') this.tokens.clear();
    const retryAfter = Number(response.headers.get('Retry-After') ?? Number.NaN);
    throw new ApiError(
      error.code,
      typeof error.message === 'string' ? error.message : error.code,
      response.status,
      Number.isFinite(retryAfter) ? retryAfter : undefined,
      Array.isArray(error.fields) ? (error.fields as { field: string; message: string }[]) : undefined,
      typeof error.limit === 'string' ? error.limit : undefined,
      typeof error.site === 'string' ? error.site : undefined,
    );
  }
}

/** No parameters without a search, so an unfiltered listing is every item, as the service always answered it. */
function searchQuery(q: string, limit: number): string {
  const text = q.trim();
  return text === '' ? '' : `?${new URLSearchParams({ q: text, limit: String(limit) }).toString()}`;
}
