/**
 * The consent page of auth.atlassian.com, for a person at a browser (option `consentPage: true`):
 * `GET /authorize` shows "<App> wants access to your Atlassian account", the scopes and a choice of one of the
 * user's sites ("Use app on"), with Allow and Deny; the form posts to `POST /authorize/decision`, which
 * redirects to the app's redirect URI as auto-consent does. Without the option none of this is reachable.
 */
import {
  authorizeError,
  consentableHosts,
  parseAuthorizeRequest,
  redirectDenied,
  redirectWithCode,
  type AuthorizeRequest,
} from './oauth.js';
import { scopeProduct } from './scopes.js';
import { AUTH_CODE_TTL_MS, type FakeState } from './state.js';
import type { FakeProduct } from './types.js';
import { methodNotAllowed, randomString, sendText, type Ctx } from './util.js';

/** What Atlassian's consent screen says for the scopes this service asks for; other scopes show their name. */
const SCOPE_TEXT: Readonly<Record<string, string>> = {
  'read:jira-work': 'View Jira issue data',
  'read:jira-user': 'View user profiles',
  'read:space:confluence': 'View space details',
  'read:confluence-user': 'View user details',
  'read:me': 'View active user profile',
  offline_access: 'Keep access to the data you have given it access to, while you are not using it',
};

const PRODUCT_NAMES: Readonly<Record<FakeProduct, string>> = { jira: 'Jira', confluence: 'Confluence' };

const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

// ---------------------------------------------------------------------------------------------
// GET /authorize (consentPage mode)

export function handleConsentAuthorize(state: FakeState, ctx: Ctx): void {
  if (ctx.method !== 'GET') return methodNotAllowed(ctx, 'GET');
  const request = parseAuthorizeRequest(state, ctx);
  if (!request) return;
  for (const [id, pending] of state.consentRequests) {
    if (state.now() >= pending.expiresAt) state.consentRequests.delete(id); // a page left unanswered
  }
  const requestId = randomString(24);
  state.consentRequests.set(requestId, {
    clientId: request.client.clientId,
    redirectUri: request.redirectUri,
    scopes: request.scopes,
    state: request.state,
    accountId: request.user.accountId,
    expiresAt: state.now() + AUTH_CODE_TTL_MS,
    ...(request.codeChallenge === undefined ? {} : { codeChallenge: request.codeChallenge }),
  });
  sendText(ctx.res, 200, consentPage(state, request, requestId), 'text/html;charset=UTF-8', PAGE_HEADERS);
}

function consentPage(state: FakeState, request: AuthorizeRequest, requestId: string): string {
  const { client, user, scopes } = request;
  const products = [...new Set(scopes.map(scopeProduct).filter((p) => p !== null))];
  const hosts = consentableHosts(state, user, scopes, user.sites);
  const preselected = consentableHosts(state, user, scopes, state.consent.sites ?? [])[0] ?? hosts[0];
  const productText = products.length > 0 ? products.map((p) => PRODUCT_NAMES[p]).join(' and ') : 'Atlassian';
  const scopeItems = scopes
    .map((s) => `<li>${esc(SCOPE_TEXT[s] ?? s)} <code>${esc(s)}</code></li>`)
    .join('');
  const siteOptions = hosts
    .map((h) => {
      const site = state.sitesByHost.get(h);
      const label = site ? `${site.name} — ${h} (${site.products.map((p) => PRODUCT_NAMES[p]).join(', ')})` : h;
      return `<option value="${esc(h)}"${h === preselected ? ' selected' : ''}>${esc(label)}</option>`;
    })
    .join('');
  const sitePart = hosts.length > 0
    ? `<label for="site">Use app on</label><select id="site" name="site">${siteOptions}</select>`
    : `<p class="warn" id="no-site">You have no site with ${esc(productText)}. You can only deny.</p>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authorize ${esc(client.name)} — Atlassian (fake)</title>
<style>
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f5f7; color: #172b4d; }
  main { max-width: 460px; margin: 48px auto; background: #fff; border-radius: 8px; padding: 32px; box-shadow: 0 1px 3px rgba(9,30,66,.25); }
  .brand { color: #0052cc; font-weight: 700; letter-spacing: .02em; }
  h1 { font-size: 20px; margin: 12px 0 4px; }
  .who { color: #5e6c84; margin: 0 0 16px; }
  ul { padding-left: 20px; } code { color: #5e6c84; font-size: 12px; }
  label { display: block; font-weight: 600; margin: 16px 0 4px; }
  select { width: 100%; padding: 8px; font: inherit; border: 2px solid #dfe1e6; border-radius: 4px; }
  .warn { color: #bf2600; }
  .actions { display: flex; justify-content: flex-end; gap: 8px; margin-top: 24px; }
  button { font: inherit; font-weight: 600; padding: 8px 16px; border-radius: 4px; border: 0; cursor: pointer; }
  .deny { background: #f4f5f7; color: #42526e; } .allow { background: #0052cc; color: #fff; }
  button:disabled { opacity: .5; cursor: not-allowed; }
  .fake { margin-top: 24px; font-size: 12px; color: #6b778c; }
</style></head>
<body><main>
<div class="brand">ATLASSIAN</div>
<h1 id="consent-title">${esc(client.name)} wants access to your Atlassian account</h1>
<p class="who" id="signed-in-as">Signed in as ${esc(user.displayName)} (${esc(user.email)})</p>
<p>It is requesting access to ${esc(productText)}. It would like to:</p>
<ul id="scopes">${scopeItems}</ul>
<form method="post" action="/authorize/decision">
<input type="hidden" name="request" value="${esc(requestId)}">
${sitePart}
<div class="actions">
<button type="submit" name="decision" value="deny" class="deny" id="deny">Deny</button>
<button type="submit" name="decision" value="allow" class="allow" id="allow"${hosts.length > 0 ? '' : ' disabled'}>Allow</button>
</div>
</form>
<p class="fake">Fake Atlassian consent page (sandbox). Nothing here talks to Atlassian.</p>
</main></body></html>`;
}

// ---------------------------------------------------------------------------------------------
// POST /authorize/decision (consentPage mode)

export function handleAuthorizeDecision(state: FakeState, ctx: Ctx): void {
  if (ctx.method !== 'POST') return methodNotAllowed(ctx, 'POST');
  const ct = (ctx.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (ct !== 'application/x-www-form-urlencoded') {
    return authorizeError(ctx, 'invalid_request', 'The consent form must be sent as application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(ctx.body);
  const requestId = form.get('request') ?? '';
  const pending = state.consentRequests.get(requestId);
  state.consentRequests.delete(requestId); // answered once, whatever the answer
  if (!pending || state.now() >= pending.expiresAt) {
    return authorizeError(ctx, 'invalid_request', 'The consent request is unknown, expired or already answered');
  }
  const decision = form.get('decision');
  if (decision === 'deny') return redirectDenied(ctx, pending.redirectUri, pending.state);
  if (decision !== 'allow') return authorizeError(ctx, 'invalid_request', 'decision must be allow or deny');
  const user = state.usersById.get(pending.accountId);
  const site = form.get('site') ?? '';
  const hosts = user ? consentableHosts(state, user, pending.scopes, [site]) : [];
  if (!user || hosts.length === 0) {
    return authorizeError(ctx, 'invalid_request', `site is not one of your sites for this app: ${site}`);
  }
  redirectWithCode(state, ctx, pending, hosts);
}
