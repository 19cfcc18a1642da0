/**
 * auth.atlassian.com (/authorize, /oauth/token) and api.atlassian.com identity endpoints
 * (/oauth/token/accessible-resources, /me) — docs/atlassian.md §1–§4.
 */
import { createHash, randomUUID } from 'node:crypto';

import { REQUIRE, SCOPE_RE, relevantScopes, satisfies, scopeProduct } from './scopes.js';
import { AUTH_CODE_TTL_MS, REFRESH_ABSOLUTE_MS, type FakeState } from './state.js';
import type { ConsentRequestRecord, FakeUser, Grant, OAuthClient } from './types.js';
import {
  GATEWAY_SCOPE_MISMATCH,
  GATEWAY_UNAUTHORIZED,
  htmlPage,
  makeJwt,
  methodNotAllowed,
  randomString,
  sendJson,
  sendText,
  uuidFrom,
  type Ctx,
} from './util.js';

// ---------------------------------------------------------------------------------------------
// GET /authorize

/** RFC 7636 §4.1 and §4.2: 43–128 unreserved characters; an S256 challenge is 43 base64url characters. */
const PKCE_VERIFIER_RE = /^[A-Za-z0-9._~-]{43,128}$/;
const PKCE_CHALLENGE_RE = /^[A-Za-z0-9_-]{43}$/;

export function authorizeError(ctx: Ctx, error: string, description: string): void {
  // Atlassian shows id.atlassian.com/error?error=...; it never redirects back to an unverified redirect_uri.
  sendText(ctx.res, 400, htmlPage(`Something went wrong (${error})`, `error=${error} error_description=${description}`), 'text/html;charset=UTF-8');
}

export function appendParams(redirectUri: string, params: [string, string][]): string {
  const hashIdx = redirectUri.indexOf('#');
  const base = hashIdx >= 0 ? redirectUri.slice(0, hashIdx) : redirectUri;
  const sep = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return base + sep + params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** A well-formed `/authorize` request from a registered client, and the user who answers it. */
export interface AuthorizeRequest {
  client: OAuthClient;
  redirectUri: string;
  scopes: string[];
  state: string;
  user: FakeUser;
  /** PKCE (RFC 7636) challenge; only S256 is accepted, as auth.atlassian.com's metadata advertises. */
  codeChallenge?: string;
}

/** Checks the query of `GET /authorize`; on a bad request answers the error page and returns undefined. */
export function parseAuthorizeRequest(state: FakeState, ctx: Ctx): AuthorizeRequest | undefined {
  const q = ctx.query;
  const clientId = q.get('client_id');
  const client = clientId === null ? undefined : state.clients.get(clientId);
  if (!client) return void authorizeError(ctx, 'unauthorized_client', `Invalid client id: ${clientId ?? ''}`);
  const redirectUri = q.get('redirect_uri');
  if (redirectUri === null || !client.redirectUris.includes(redirectUri)) {
    return void authorizeError(ctx, 'unauthorized_client', `redirect_uri is not registered for client: ${client.clientId}`);
  }
  if (q.get('audience') !== 'api.atlassian.com') return void authorizeError(ctx, 'invalid_request', 'audience must be api.atlassian.com');
  if (q.get('response_type') !== 'code') return void authorizeError(ctx, 'unsupported_response_type', 'response_type must be code');
  const scopes = [...new Set((q.get('scope') ?? '').split(' ').filter((s) => s !== ''))];
  if (scopes.length === 0) return void authorizeError(ctx, 'invalid_scope', 'scope is required');
  const bad = scopes.find((s) => !SCOPE_RE.test(s) || (client.scopes !== null && s !== 'offline_access' && !client.scopes.includes(s)));
  if (bad !== undefined) return void authorizeError(ctx, 'invalid_scope', `Invalid scope: ${bad}`);
  const st = q.get('state');
  if (st === null || st === '') return void authorizeError(ctx, 'invalid_request', 'state is required');
  if (q.get('prompt') !== 'consent') return void authorizeError(ctx, 'invalid_request', 'prompt must be consent');
  const codeChallenge = q.get('code_challenge') ?? undefined;
  if (codeChallenge !== undefined && (q.get('code_challenge_method') !== 'S256' || !PKCE_CHALLENGE_RE.test(codeChallenge))) {
    return void authorizeError(ctx, 'invalid_request', 'code_challenge must be a S256 challenge with code_challenge_method=S256');
  }

  const consent = state.consent;
  const user = consent.email !== undefined ? state.findUserByEmail(consent.email) : state.userOrder[0];
  if (!user) {
    return void sendText(ctx.res, 500, htmlPage('Fake misconfigured', 'No user to consent (addUser / setConsent).'), 'text/html;charset=UTF-8');
  }
  return { client, redirectUri, scopes, state: st, user, ...(codeChallenge === undefined ? {} : { codeChallenge }) };
}

/** Of `hosts`, the user's sites that carry a product the scopes ask for: what a consent adds to the grant. */
export function consentableHosts(state: FakeState, user: FakeUser, scopes: readonly string[], hosts: readonly string[]): string[] {
  const wanted = hosts.map((h) => h.toLowerCase()).filter((h) => user.sites.includes(h));
  const products = new Set(scopes.map(scopeProduct));
  return wanted.filter((h) => {
    const site = state.sitesByHost.get(h);
    return site !== undefined && site.products.some((p) => products.has(p));
  });
}

/** The user consented: a single-use authorization code for these sites, sent back to the redirect URI. */
export function redirectWithCode(state: FakeState, ctx: Ctx, r: Omit<ConsentRequestRecord, 'expiresAt'>, hosts: string[]): void {
  const code = randomString(48);
  state.codes.set(code, {
    clientId: r.clientId,
    redirectUri: r.redirectUri,
    scopes: r.scopes,
    accountId: r.accountId,
    hosts,
    expiresAt: state.now() + AUTH_CODE_TTL_MS,
    used: false,
    ...(r.codeChallenge === undefined ? {} : { codeChallenge: r.codeChallenge }),
  });
  redirect(ctx, appendParams(r.redirectUri, [['code', code], ['state', r.state]]));
}

/** The user declined: Atlassian's `access_denied` redirect. */
export function redirectDenied(ctx: Ctx, redirectUri: string, st: string): void {
  redirect(ctx, appendParams(redirectUri, [
    ['error', 'access_denied'],
    ['error_description', 'User did not authorize the request'],
    ['state', st],
  ]));
}

export function handleAuthorize(state: FakeState, ctx: Ctx): void {
  if (ctx.method !== 'GET') return methodNotAllowed(ctx, 'GET');
  const request = parseAuthorizeRequest(state, ctx);
  if (!request) return;
  const { user } = request;
  const consent = state.consent;
  if (consent.deny === true) return redirectDenied(ctx, request.redirectUri, request.state);
  const hosts = consentableHosts(state, user, request.scopes, consent.sites ?? user.sites);
  redirectWithCode(state, ctx, { ...request, clientId: request.client.clientId, accountId: user.accountId }, hosts);
}

export function redirect(ctx: Ctx, location: string): void {
  sendText(ctx.res, 302, htmlPage('Redirecting', location), 'text/html;charset=UTF-8', { Location: location });
}

// ---------------------------------------------------------------------------------------------
// POST /oauth/token

const TOKEN_HEADERS = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

function tokenError(ctx: Ctx, status: number, error: string, description: string): void {
  sendJson(ctx.res, status, { error, error_description: description }, TOKEN_HEADERS);
}

function parseTokenBody(ctx: Ctx): Map<string, string> | null {
  const ct = (ctx.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const out = new Map<string, string>();
  if (ct === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ctx.body);
    } catch {
      return null;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out.set(k, v);
    return out;
  }
  if (ct === 'application/x-www-form-urlencoded') {
    for (const [k, v] of new URLSearchParams(ctx.body)) out.set(k, v);
    return out;
  }
  return null;
}

/** RFC 7636 §4.6: a code issued with a challenge is redeemed only with the verifier whose S256 hash it is. */
function verifierMatches(challenge: string | undefined, verifier: string | undefined): boolean {
  if (challenge === undefined) return true;
  if (verifier === undefined || !PKCE_VERIFIER_RE.test(verifier)) return false;
  return createHash('sha256').update(verifier, 'ascii').digest('base64url') === challenge;
}

function issueAccessToken(state: FakeState, grant: Grant): string {
  const nowSec = Math.floor(state.now() / 1000);
  const user = state.usersById.get(grant.accountId);
  const token = makeJwt({
    sub: grant.accountId,
    nbf: nowSec,
    iss: 'https://auth.atlassian.com',
    iat: nowSec,
    exp: nowSec + state.opts.accessTokenLifetimeSec,
    aud: 'api.atlassian.com',
    scope: [...grant.scopes].join(' '),
    client_id: grant.clientId,
    'https://atlassian.com/oauthClientId': grant.clientId,
    'https://atlassian.com/3lo': true,
    'https://atlassian.com/firstParty': false,
    'https://atlassian.com/verified': true,
    'https://atlassian.com/emailDomain': user?.email.split('@')[1] ?? 'example.com',
    'https://atlassian.com/systemAccountId': `712020:${uuidFrom(`system:${grant.clientId}`)}`,
    'https://atlassian.com/systemAccountEmailDomain': 'connect.atlassian.com',
    'https://atlassian.com/systemAccountEmail': `${uuidFrom(`system:${grant.clientId}`)}@connect.atlassian.com`,
    'https://id.atlassian.com/processRegion': 'us-east-1',
    'https://id.atlassian.com/verified': true,
    'https://id.atlassian.com/uuid': uuidFrom(`uuid:${grant.accountId}`),
  }, 500);
  state.accessTokens.set(token, {
    grant,
    expiresAt: state.now() + state.opts.accessTokenLifetimeSec * 1000,
    invalidated: false,
  });
  return token;
}

function issueRefreshToken(state: FakeState, grant: Grant, absoluteExpiresAt: number): string {
  const nowSec = Math.floor(state.now() / 1000);
  const token = makeJwt({
    sub: grant.accountId,
    iss: 'https://auth.atlassian.com',
    aud: 'auth.atlassian.com',
    iat: nowSec,
    'https://id.atlassian.com/rotating': true,
    'https://id.atlassian.com/refresh_chain_id': randomUUID(),
    'https://id.atlassian.com/parent_access_token_id': randomUUID(),
  }, 250);
  state.refreshTokens.set(token, { grant, issuedAt: state.now(), absoluteExpiresAt, rotatedAt: null });
  return token;
}

function grantFor(state: FakeState, client: OAuthClient, accountId: string): Grant {
  const key = `${client.clientId}|${accountId}`;
  let grant = state.grants.get(key);
  if (!grant || grant.revoked) {
    grant = { id: randomUUID(), clientId: client.clientId, accountId, scopes: new Set(), hosts: new Set(), revoked: false };
    state.grants.set(key, grant);
  }
  return grant;
}

export function handleToken(state: FakeState, ctx: Ctx): void {
  if (ctx.method !== 'POST') return methodNotAllowed(ctx, 'POST');
  const body = parseTokenBody(ctx);
  if (body === null) return tokenError(ctx, 400, 'invalid_request', 'Request body must be JSON or application/x-www-form-urlencoded');
  const grantType = body.get('grant_type');
  if (grantType === undefined || grantType === '') return tokenError(ctx, 400, 'invalid_request', 'Missing grant_type');
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
    return tokenError(ctx, 400, 'unsupported_grant_type', `Unsupported grant type: ${grantType}`);
  }
  const clientId = body.get('client_id');
  const clientSecret = body.get('client_secret');
  if (!clientId || !clientSecret) return tokenError(ctx, 400, 'invalid_request', 'Missing client_id or client_secret');
  const client = state.clients.get(clientId);
  if (!client || client.clientSecret !== clientSecret) return tokenError(ctx, 401, 'access_denied', 'Unauthorized');

  if (grantType === 'authorization_code') {
    const code = body.get('code');
    const redirectUri = body.get('redirect_uri');
    if (!code || !redirectUri) return tokenError(ctx, 400, 'invalid_request', 'Missing code or redirect_uri');
    const rec = state.codes.get(code);
    const ok = rec !== undefined && !rec.used && rec.clientId === client.clientId &&
      state.now() < rec.expiresAt && rec.redirectUri === redirectUri && verifierMatches(rec.codeChallenge, body.get('code_verifier'));
    if (rec !== undefined && rec.clientId === client.clientId) rec.used = true; // any attempt consumes the code
    if (!ok) return tokenError(ctx, 400, 'invalid_grant', 'authorization_code is invalid');
    const grant = grantFor(state, client, rec.accountId);
    for (const s of rec.scopes) grant.scopes.add(s);
    for (const h of rec.hosts) grant.hosts.add(h);
    const accessToken = issueAccessToken(state, grant);
    const refreshToken = rec.scopes.includes('offline_access')
      ? issueRefreshToken(state, grant, state.now() + REFRESH_ABSOLUTE_MS)
      : undefined;
    state.tokenGrants.authorizationCode++;
    return sendJson(ctx.res, 200, {
      access_token: accessToken,
      expires_in: state.opts.accessTokenLifetimeSec,
      token_type: 'Bearer',
      scope: [...grant.scopes].join(' '), // the grant's scopes: re-consent adds to earlier ones (§3)
      ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
    }, TOKEN_HEADERS);
  }

  // refresh_token grant (rotating, docs/atlassian.md §3)
  const presented = body.get('refresh_token');
  if (!presented) return tokenError(ctx, 400, 'invalid_request', 'Missing refresh_token');
  const rec = state.refreshTokens.get(presented);
  if (!rec || rec.grant.revoked || rec.grant.clientId !== client.clientId || state.refreshExpired(rec)) {
    return tokenError(ctx, 403, 'invalid_grant', 'Unknown or invalid refresh token.');
  }
  const now = state.now();
  if (rec.rotatedAt !== null) {
    if (now - rec.rotatedAt >= state.opts.refreshReuseLeewayMs) {
      rec.grant.revoked = true; // reuse after the leeway revokes every refresh token of the grant
      return tokenError(ctx, 403, 'unauthorized_client', 'refresh_token is invalid');
    }
    // within the leeway: the replay is honoured with a fresh pair
  } else {
    rec.rotatedAt = now;
  }
  const accessToken = issueAccessToken(state, rec.grant);
  const refreshToken = issueRefreshToken(state, rec.grant, rec.absoluteExpiresAt);
  state.tokenGrants.refreshToken++;
  sendJson(ctx.res, 200, {
    access_token: accessToken,
    expires_in: state.opts.accessTokenLifetimeSec,
    token_type: 'Bearer',
    scope: [...rec.grant.scopes].join(' '),
    refresh_token: refreshToken,
  }, TOKEN_HEADERS);
}

// ---------------------------------------------------------------------------------------------
// api.atlassian.com: /oauth/token/accessible-resources and /me

export function handleAccessibleResources(state: FakeState, ctx: Ctx): void {
  if (ctx.method !== 'GET') return methodNotAllowed(ctx, 'GET');
  const rec = ctx.auth.kind === 'bearer' ? state.validAccessToken(ctx.auth.token) : undefined;
  if (!rec) return sendJson(ctx.res, 401, GATEWAY_UNAUTHORIZED);
  const sites = [...rec.grant.hosts]
    .map((h) => state.sitesByHost.get(h))
    .filter((s) => s !== undefined)
    .sort((a, b) => a.cloudId.localeCompare(b.cloudId)); // order carries no meaning (§4)
  sendJson(ctx.res, 200, sites.map((s) => ({
    id: s.cloudId,
    url: s.url,
    name: s.name,
    scopes: relevantScopes(rec.grant.scopes, s.products),
    avatarUrl: 'https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png',
  })));
}

export function handleMe(state: FakeState, ctx: Ctx): void {
  if (ctx.method !== 'GET') return methodNotAllowed(ctx, 'GET');
  const rec = ctx.auth.kind === 'bearer' ? state.validAccessToken(ctx.auth.token) : undefined;
  if (!rec) return sendJson(ctx.res, 401, GATEWAY_UNAUTHORIZED);
  if (!satisfies(rec.grant.scopes, REQUIRE.me)) return sendJson(ctx.res, 401, GATEWAY_SCOPE_MISMATCH);
  const user = state.usersById.get(rec.grant.accountId);
  if (!user) return sendJson(ctx.res, 401, GATEWAY_UNAUTHORIZED);
  sendJson(ctx.res, 200, {
    account_type: 'atlassian',
    account_id: user.accountId,
    email: user.email,
    email_verified: true,
    name: user.displayName,
    picture: `https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/${encodeURIComponent(user.accountId)}/48`,
    account_status: 'active',
    nickname: user.displayName,
    zoneinfo: 'Etc/UTC',
    locale: 'en-US',
    extended_profile: {},
  });
}
