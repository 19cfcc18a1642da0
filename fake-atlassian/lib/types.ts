/**
 * Public and internal types of the fake Atlassian Cloud server.
 */

export type FakeProduct = 'jira' | 'confluence';

/** A Jira project. Only id/key/name are required when seeding; the rest get defaults. */
export interface FakeProject {
  id: string;
  key: string;
  name: string;
  /** `software` | `business` | `service_desk` | ... (open string, as in Jira). Default alternates software/business. */
  projectTypeKey?: string;
  /** `classic` (company-managed) or `next-gen` (team-managed). `simplified` is derived from it. */
  style?: 'classic' | 'next-gen';
  isPrivate?: boolean;
}

/** A Confluence space. Only id/key/name are required when seeding. `id` must be a numeric string. */
export interface FakeSpace {
  id: string;
  key: string;
  name: string;
  /** `global` | `personal` | `collaboration` | `knowledge_base` | ... Default `global`. */
  type?: string;
  status?: 'current' | 'archived';
  authorId?: string;
  createdAt?: string;
  homepageId?: string;
}

/** A seeded site. The object is live: pushing to `projects`/`spaces` changes what the server returns. */
export interface FakeSite {
  readonly host: string;
  readonly name: string;
  readonly cloudId: string;
  /** `https://<host>` — the URL the real site would have. */
  readonly url: string;
  readonly products: FakeProduct[];
  readonly projects: FakeProject[];
  readonly spaces: FakeSpace[];
}

export interface FakeUser {
  readonly accountId: string;
  readonly email: string;
  apiToken: string;
  readonly displayName: string;
  /** Hosts (e.g. `acme.atlassian.net`) the user can access. */
  readonly sites: string[];
  /** true → the API token works ONLY via the gateway `/ex/{product}/{cloudId}` with Basic auth; 401 on the site host. */
  readonly scopedApiToken: boolean;
  /**
   * The scopes the scoped token was created with, enforced per endpoint on the gateway (a missing one answers the
   * gateway's scope-mismatch 401, docs/atlassian.md §5). null → not restricted.
   */
  readonly apiTokenScopes: ReadonlySet<string> | null;
}

export type AuthKind = 'bearer' | 'basic' | 'none';

export interface FakeRequest {
  method: string;
  /** Path without query string, e.g. `/ex/jira/<cloudId>/rest/api/3/project/search`. */
  path: string;
  /** Query parameters (for a repeated parameter, the last value). */
  query: Record<string, string>;
  /** Kind of `Authorization` header; an unrecognised scheme is logged as `none`. */
  authKind: AuthKind;
  /** Date.now() (wall clock, not the `now` option) when the request arrived. */
  time: number;
  /** Response status; 0 while unanswered or when the connection was destroyed/hung. */
  status: number;
  /** Request headers (lower-case names; multi-valued headers joined by `, `). */
  headers: Record<string, string>;
  /** Raw request body (only read for POST/PUT/PATCH; else ''). */
  body: string;
}

export interface FakeRequestMatch {
  method?: string;
  /** Substring of, or RegExp tested against, the request path without query. */
  path: RegExp | string;
}

export interface FakeFault {
  match: FakeRequestMatch;
  /** How many matching requests this fault answers (default 1). */
  times?: number;
  status?: number;
  /**
   * Object → JSON body; string → text/plain unless `headers` sets a Content-Type. A function is called with the
   * number of matching requests this fault answered before (0, 1, …), for answers that change each time (a
   * cursor chain that never ends).
   */
  body?: string | object | ((hit: number) => string | object);
  headers?: Record<string, string>;
  /** Delay before answering. With no status/hang/destroySocket the request is then handled normally. */
  delayMs?: number;
  /** Never answer (the request stays in flight until the client gives up or stop()). */
  hang?: boolean;
  /** Reset the connection without answering. */
  destroySocket?: boolean;
  /**
   * Handle the request as usual — a refresh rotates the refresh token, a code is consumed — and then lose the
   * answer: `hang` never sends it, `destroySocket` resets the connection instead. Atlassian acted, the client
   * cannot know.
   */
  loseAnswer?: 'hang' | 'destroySocket';
}

export interface FakeAtlassianOptions {
  /** Window during which a rotated refresh token may be replayed (default 600_000 = 10 min). */
  refreshReuseLeewayMs?: number;
  /** Jira per-endpoint page cap applied below `maxResults` (default 50). */
  jiraPageCap?: number;
  /** Delay added before every response (default 0). */
  latencyMs?: number;
  /** Access-token lifetime in seconds, reported as `expires_in` (default 3600). */
  accessTokenLifetimeSec?: number;
  /** Clock used for token/code expiry and refresh leeway (default Date.now). Lets tests jump in time. */
  now?: () => number;
  /**
   * false (default): `GET /authorize` consents at once and redirects (302) as `setConsent` says, which is what
   * the tests want. true: `GET /authorize` answers a consent page (HTML: the app's name, the scopes, a choice of
   * one of the user's sites, Allow / Deny) and the page's form posts to `POST /authorize/decision`, which
   * redirects like auto-consent does (`code`, or `error=access_denied`). For a person at a browser (the sandbox).
   * `setConsent({ email })` still picks the signed-in user and `sites` the preselected site; `deny` is ignored.
   */
  consentPage?: boolean;
  /** Atlassian's 2026 points quotas, on the `now` clock. Omitted: calls cost nothing and carry no quota headers. */
  quota?: FakeQuotaOptions;
}

/**
 * Hourly points quotas (docs/atlassian.md §9). An OAuth call through the gateway costs 1 + the objects it lists; API-token
 * calls cost nothing. Tests use small numbers; Tier 1 is `global: 65_000`.
 */
export interface FakeQuotaOptions {
  /** Points per hour of each OAuth app (client id), shared by all its tenants. */
  global?: number;
  /** Points per hour of each OAuth app on each tenant (cloudId). */
  tenant?: number;
  /** A tenant quota announced only with Beta- headers: reported, never enforced. */
  betaTenant?: number;
}

export interface AddSiteInput {
  host: string;
  name?: string;
  cloudId?: string;
  projects?: number | FakeProject[];
  spaces?: number | FakeSpace[];
  products?: FakeProduct[];
}

export interface AddOAuthClientInput {
  clientId: string;
  /** App name shown on the consent page (default: the client ID). */
  name?: string;
  clientSecret: string;
  redirectUris: string[];
  /**
   * Scopes added to the app in the developer console. When given, /authorize rejects other scopes
   * (`offline_access` is not a console scope and is always allowed). When omitted, any well-formed scope is accepted.
   */
  scopes?: string[];
}

export interface AddUserInput {
  accountId?: string;
  email: string;
  apiToken: string;
  displayName?: string;
  sites: string[];
  scopedApiToken?: boolean;
  /** Scopes picked when the token was created; makes it a scoped token. Omitted: a scoped token is unrestricted. */
  apiTokenScopes?: string[];
}

export interface ConsentInput {
  email?: string;
  sites?: string[];
  deny?: boolean;
}

export type RefreshTokenStatus = 'active' | 'rotated' | 'revoked' | 'expired' | 'unknown';

// ---------------------------------------------------------------------------------------------
// Internal state records

export interface OAuthClient {
  clientId: string;
  name: string;
  clientSecret: string;
  redirectUris: string[];
  scopes: string[] | null;
}

export interface AuthCodeRecord {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  accountId: string;
  hosts: string[];
  expiresAt: number;
  used: boolean;
  /** PKCE (S256) challenge of the authorization request, when it sent one. */
  codeChallenge?: string;
}

/** An `/authorize` request waiting for the user's answer on the consent page; answered once. */
export interface ConsentRequestRecord {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string;
  accountId: string;
  expiresAt: number;
  codeChallenge?: string;
}

/** One grant per (app, Atlassian account). Re-consent adds sites/scopes; after revocation a new grant is created. */
export interface Grant {
  id: string;
  clientId: string;
  accountId: string;
  scopes: Set<string>;
  hosts: Set<string>;
  revoked: boolean;
}

export interface AccessTokenRecord {
  grant: Grant;
  expiresAt: number;
  invalidated: boolean;
}

export interface RefreshTokenRecord {
  grant: Grant;
  issuedAt: number;
  /** 365 days after the consent that started this chain. */
  absoluteExpiresAt: number;
  /** When it was first used (and thereby disabled); null while active. */
  rotatedAt: number | null;
}
