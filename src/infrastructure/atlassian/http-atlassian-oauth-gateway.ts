import { z } from 'zod';
import { TokenAnswerLostError, type AccessibleResource, type AtlassianOAuthGateway, type OAuthTokens } from '../../application/ports/atlassian-oauth-gateway.js';
import type { Deadline } from '../../domain/deadline.js';
import { AppError } from '../../domain/errors.js';
import { PKCE_METHOD } from '../../domain/pkce.js';
import { PRODUCT_NAMES, type Product } from '../../domain/product.js';
import { isCloudId } from '../../domain/site.js';
import { failure, NotSentError, type AtlassianHttp, type UpstreamResponse } from './atlassian-http.js';
import type { AtlassianUrls } from './atlassian-urls.js';
import { record } from './json-fields.js';

export interface OAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
}

const tokenSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.coerce.number().positive(),
  scope: z.string().optional(),
});

const resourceSchema = z.object({
  // Goes into the gateway's URL path; an entry whose id is not a cloudId is skipped like any malformed one.
  id: z.string().refine(isCloudId),
  name: z.string().default(''),
  url: z.string().url().refine((url) => url.startsWith('https://') || url.startsWith('http://')),
  scopes: z.array(z.string()).default([]),
});

/** Atlassian's authorization server (auth.atlassian.com) and accessible-resources (api.atlassian.com). */
export class HttpAtlassianOAuthGateway implements AtlassianOAuthGateway {
  constructor(
    private readonly http: AtlassianHttp,
    private readonly urls: AtlassianUrls,
    private readonly authUrl: string,
    private readonly clients: Readonly<Partial<Record<Product, OAuthClient>>>,
  ) {}

  isConfigured(product: Product): boolean {
    return this.clients[product] !== undefined;
  }

  authorizationUrl(product: Product, state: string, codeChallenge?: string): string {
    const client = this.client(product);
    // Built by hand so spaces in `scope` are %20, as in every Atlassian example (URLSearchParams writes `+`).
    const params: [string, string][] = [
      ['audience', 'api.atlassian.com'],
      ['client_id', client.clientId],
      ['scope', client.scopes.join(' ')],
      ['redirect_uri', client.redirectUri],
      ['state', state],
      ['response_type', 'code'],
      ['prompt', 'consent'],
    ];
    if (codeChallenge !== undefined) params.push(['code_challenge', codeChallenge], ['code_challenge_method', PKCE_METHOD]);
    return `${this.authUrl}/authorize?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
  }

  async exchangeCode(product: Product, code: string, codeVerifier?: string): Promise<OAuthTokens> {
    const client = this.client(product);
    return this.grant(product, {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      code,
      redirect_uri: client.redirectUri,
      ...(codeVerifier === undefined ? {} : { code_verifier: codeVerifier }),
    });
  }

  async refresh(product: Product, refreshToken: string, deadline?: Deadline): Promise<OAuthTokens> {
    const client = this.client(product);
    return this.grant(product, {
      grant_type: 'refresh_token',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      refresh_token: refreshToken,
    }, deadline);
  }

  async accessibleResources(accessToken: string): Promise<AccessibleResource[]> {
    const body = await this.http.getJson(this.urls.api('/oauth/token/accessible-resources'), { authorization: `Bearer ${accessToken}`, product: 'oauth' });
    if (!Array.isArray(body)) {
      throw new AppError('upstream_error', 'Atlassian answered accessible-resources with an unexpected body.');
    }
    // One malformed entry should not hide the usable sites next to it.
    return body.flatMap((entry: unknown) => {
      const parsed = resourceSchema.safeParse(entry);
      return parsed.success ? [parsed.data] : [];
    });
  }

  private async grant(product: Product, body: Record<string, string>, deadline?: Deadline): Promise<OAuthTokens> {
    let response: UpstreamResponse;
    try {
      response = await this.http.postJson(`${this.authUrl}/oauth/token`, body, { product: 'oauth', ...(deadline === undefined ? {} : { deadline }) });
    } catch (error) {
      // Apart from a request never sent, postJson throws only when no answer came: whether Atlassian acted on the
      // grant is unknown.
      const lost = error instanceof AppError && !(error instanceof NotSentError);
      throw lost ? new TokenAnswerLostError(error.code, error.message) : error;
    }
    if (response.status !== 200) throw grantFailure(product, response);
    const parsed = tokenSchema.safeParse(response.body);
    if (!parsed.success) throw new AppError('upstream_error', "Atlassian's token endpoint answered with an unexpected body.");
    const { access_token, refresh_token, expires_in, scope } = parsed.data;
    return {
      accessToken: access_token,
      ...(refresh_token === undefined ? {} : { refreshToken: refresh_token }),
      expiresInSeconds: expires_in,
      scopes: scope === undefined ? [] : scope.split(/\s+/).filter(Boolean),
    };
  }

  private client(product: Product): OAuthClient {
    const client = this.clients[product];
    if (client === undefined) {
      throw new AppError('oauth_not_configured', `OAuth sign-in for ${PRODUCT_NAMES[product]} is not configured on this server.`);
    }
    return client;
  }
}

/** `error` values that mean the code or refresh token is dead: only the user consenting again can help. */
const DEAD_GRANT = new Set(['invalid_grant', 'unauthorized_client']);
/** `error` values that mean this server's client id or secret was refused: consenting again would not help. */
const CLIENT_REJECTED = new Set(['access_denied', 'invalid_client']);

/**
 * Reads the token endpoint's `error` before its status, as docs/atlassian.md §2 asks: Atlassian has changed the
 * pairings before. `invalid_grant` makes the refresher drop the connection, so only the `error`s of a dead grant
 * become one; an unknown `error`, or a 400/403 without any, is an upstream fault that keeps the credentials.
 * The status decides only when there is no `error` to read.
 */
function grantFailure(product: Product, response: UpstreamResponse): AppError {
  const error = record(response.body)?.['error'];
  if (typeof error === 'string' && DEAD_GRANT.has(error)) {
    return new AppError('invalid_grant', 'Atlassian refused the authorization grant; it may be expired, used or revoked. Sign in again.');
  }
  if (typeof error === 'string' ? CLIENT_REJECTED.has(error) : response.status === 401) {
    return new AppError('upstream_error', `Atlassian rejected this server's ${PRODUCT_NAMES[product]} OAuth client credentials.`);
  }
  return failure(response, { userCredentials: false });
}
