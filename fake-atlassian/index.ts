/**
 * Faithful fake of Atlassian Cloud (auth.atlassian.com, api.atlassian.com and `<site>.atlassian.net`) on one loopback port,
 * following Atlassian's public documentation (docs/atlassian.md), traps included.
 *
 * URL layout (all on `baseUrl`):
 *   {authUrl}/authorize, {authUrl}/oauth/token                             — auth.atlassian.com
 *   {authUrl}/authorize/decision  (POST, option consentPage only)          — the consent page's form
 *   {apiUrl}/oauth/token/accessible-resources, {apiUrl}/me                 — api.atlassian.com
 *   {apiUrl}/ex/jira/{cloudId}/rest/api/3/...                              — Jira through the gateway
 *   {apiUrl}/ex/confluence/{cloudId}/wiki/...                              — Confluence through the gateway
 *   {baseUrl}/site/{host}/rest/api/3/..., /site/{host}/wiki/..., /site/{host}/_edge/tenant_info — https://{host}
 *
 * Absolute URLs inside bodies (`self`, `nextPage`, `_links.base`, accessible-resources `url`) carry the REAL
 * site URL (`https://<host>`), as Atlassian would; the client must map them (or better, build its own requests).
 */
export { FakeAtlassian } from './lib/server.js';
export { BASIC_AUTH_FAILED_TEXT } from './lib/rest-common.js';
export type {
  AddOAuthClientInput,
  AddSiteInput,
  AddUserInput,
  AuthKind,
  ConsentInput,
  FakeAtlassianOptions,
  FakeQuotaOptions,
  FakeFault,
  FakeProduct,
  FakeProject,
  FakeRequest,
  FakeRequestMatch,
  FakeSite,
  FakeSpace,
  FakeUser,
  RefreshTokenStatus,
} from './lib/types.js';
