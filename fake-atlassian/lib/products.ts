/**
 * Jira and Confluence REST endpoints, reached either through the gateway
 * (`/ex/{product}/{cloudId}/...`, Bearer or scoped-token Basic) or on the site host (`/site/{host}/...`, Basic).
 * docs/atlassian.md §4–§8, §10.
 */
import { handleConfluence } from './confluence.js';
import { handleJira } from './jira.js';
import { BASIC_AUTH_FAILED_TEXT, jiraError, productNotFound, type Caller } from './rest-common.js';
import type { QuotaCaller } from './quota.js';
import type { FakeState } from './state.js';
import type { FakeProduct, FakeUser } from './types.js';
import { GATEWAY_UNAUTHORIZED, htmlPage, methodNotAllowed, sendJson, sendText, type Ctx } from './util.js';

function basicAuthFailed(ctx: Ctx): void {
  sendText(ctx.res, 401, BASIC_AUTH_FAILED_TEXT, 'text/plain;charset=UTF-8', { 'X-Seraph-LoginReason': 'AUTHENTICATED_FAILED' });
}

// ---------------------------------------------------------------------------------------------
// entry points

export function handleGateway(state: FakeState, ctx: Ctx, product: FakeProduct, cloudId: string, rest: string): void {
  const auth = ctx.auth;
  let user: FakeUser | undefined;
  let scopes: ReadonlySet<string> | null = null;
  let grantHosts: ReadonlySet<string> | null = null;
  let clientId: string | undefined;
  if (auth.kind === 'bearer') {
    const rec = state.validAccessToken(auth.token);
    if (!rec) return sendJson(ctx.res, 401, GATEWAY_UNAUTHORIZED);
    user = state.usersById.get(rec.grant.accountId);
    scopes = rec.grant.scopes;
    grantHosts = rec.grant.hosts;
    clientId = rec.grant.clientId;
  } else if (auth.kind === 'basic') {
    // Only scoped API tokens are accepted on the gateway (§8).
    const u = auth.valid ? state.findUserByEmail(auth.email) : undefined;
    if (!u || u.apiToken !== auth.secret || !u.scopedApiToken) return sendJson(ctx.res, 401, GATEWAY_UNAUTHORIZED);
    user = u;
    scopes = u.apiTokenScopes;
  }
  if (!user) return sendJson(ctx.res, 401, GATEWAY_UNAUTHORIZED);
  const site = state.sitesByCloudId.get(cloudId);
  if (!site) return productNotFound(ctx, product);
  const allowed = grantHosts !== null ? grantHosts.has(site.host) : user.sites.includes(site.host);
  if (!allowed) return sendJson(ctx.res, 401, GATEWAY_UNAUTHORIZED);
  if (!site.products.includes(product)) return productNotFound(ctx, product);
  // Only OAuth calls spend points: API-token traffic is outside the quotas (docs/atlassian.md §9).
  if (clientId !== undefined && !chargePoints(state, ctx, { clientId, cloudId: site.cloudId, product })) return;
  const caller: Caller = { kind: 'user', user, scopes };
  if (product === 'jira') {
    if (!rest.startsWith('/rest/')) return productNotFound(ctx, product);
    return handleJira(state, ctx, site, caller, rest);
  }
  if (!rest.startsWith('/wiki/')) return productNotFound(ctx, product);
  handleConfluence(ctx, site, caller, rest);
}

/** Refuses the call (false) when a quota is spent; else charges its base point, and its objects once listed. */
function chargePoints(state: FakeState, ctx: Ctx, caller: QuotaCaller): boolean {
  const ledger = state.points;
  if (!ledger.enabled) return true;
  const spent = ledger.exhausted(caller);
  if (spent !== undefined) {
    sendJson(ctx.res, 429, { code: 429, message: 'Rate limit exceeded.' }, ledger.refusalHeaders(caller, spent));
    return false;
  }
  const reversed = ledger.nextOrder();
  const setHeaders = (): void => {
    for (const [name, value] of Object.entries(ledger.answerHeaders(caller, reversed))) ctx.res.setHeader(name, value);
  };
  ledger.charge(caller, 1);
  setHeaders();
  ctx.onListed = (objects) => {
    ledger.charge(caller, objects);
    setHeaders();
  };
  return true;
}

export function handleSite(state: FakeState, ctx: Ctx, host: string, rest: string): void {
  const site = state.sitesByHost.get(host.toLowerCase());
  if (!site) {
    return sendText(ctx.res, 404, htmlPage('Site not found', `${host} does not exist.`), 'text/html;charset=UTF-8');
  }
  if (rest === '/_edge/tenant_info') {
    if (ctx.method !== 'GET') return methodNotAllowed(ctx, 'GET');
    return sendJson(ctx.res, 200, { cloudId: site.cloudId });
  }
  const product: FakeProduct | null = rest.startsWith('/rest/') ? 'jira' : rest.startsWith('/wiki/') ? 'confluence' : null;
  if (product === null) return sendText(ctx.res, 404, htmlPage('Not found', rest), 'text/html;charset=UTF-8');
  if (!site.products.includes(product)) return productNotFound(ctx, product);

  const auth = ctx.auth;
  let caller: Caller = { kind: 'anonymous' };
  if (auth.kind === 'bearer') {
    // 3LO tokens are not accepted on the site host (§2).
    return jiraError(ctx, 401, 'Failed to parse Connect Session Auth Token');
  } else if (auth.kind === 'basic') {
    const u = auth.valid ? state.findUserByEmail(auth.email) : undefined;
    if (!u || u.apiToken !== auth.secret || u.scopedApiToken || !u.sites.includes(site.host)) return basicAuthFailed(ctx);
    caller = { kind: 'user', user: u, scopes: null };
  } else if (auth.kind === 'other') {
    return basicAuthFailed(ctx);
  }
  if (product === 'jira') return handleJira(state, ctx, site, caller, rest);
  handleConfluence(ctx, site, caller, rest);
}

