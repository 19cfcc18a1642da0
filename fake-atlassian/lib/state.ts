/**
 * Seeded data and OAuth bookkeeping of the fake Atlassian server.
 */
import type {
  AccessTokenRecord,
  AddOAuthClientInput,
  AddSiteInput,
  AddUserInput,
  AuthCodeRecord,
  ConsentInput,
  ConsentRequestRecord,
  FakeAtlassianOptions,
  FakeProduct,
  FakeProject,
  FakeSite,
  FakeSpace,
  FakeUser,
  Grant,
  OAuthClient,
  RefreshTokenRecord,
  RefreshTokenStatus,
} from './types.js';
import { PointsLedger } from './quota.js';
import { uuidFrom } from './util.js';

export const DAY_MS = 86_400_000;
export const REFRESH_INACTIVITY_MS = 90 * DAY_MS;
export const REFRESH_ABSOLUTE_MS = 365 * DAY_MS;
export const AUTH_CODE_TTL_MS = 10 * 60_000;

export interface ResolvedOptions {
  refreshReuseLeewayMs: number;
  jiraPageCap: number;
  latencyMs: number;
  accessTokenLifetimeSec: number;
  now: () => number;
  consentPage: boolean;
}

function pad4(n: number): string {
  return String(n).padStart(4, '0');
}

export function generateProjects(n: number): FakeProject[] {
  const out: FakeProject[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      id: String(10000 + i),
      key: `P${pad4(i + 1)}`,
      name: `Project ${pad4(i + 1)}`,
      projectTypeKey: i % 2 === 0 ? 'software' : 'business',
      style: i % 3 === 2 ? 'next-gen' : 'classic',
      isPrivate: false,
    });
  }
  return out;
}

/** Ids grow from 6 to 7+ digits so that numeric and lexicographic orders differ. */
export function generateSpaces(n: number, host: string): FakeSpace[] {
  const out: FakeSpace[] = [];
  const author = `712020:${uuidFrom(`author:${host}`)}`;
  for (let i = 0; i < n; i++) {
    const id = 131073 + i * 65537;
    out.push({
      id: String(id),
      key: `S${pad4(i + 1)}`,
      name: `Space ${pad4(i + 1)}`,
      type: 'global',
      status: 'current',
      authorId: author,
      createdAt: new Date(Date.UTC(2024, 0, 1) + i * DAY_MS).toISOString(),
      homepageId: String(id + 1),
    });
  }
  return out;
}

export class FakeState {
  readonly opts: ResolvedOptions;
  readonly sitesByHost = new Map<string, FakeSite>();
  readonly sitesByCloudId = new Map<string, FakeSite>();
  readonly clients = new Map<string, OAuthClient>();
  readonly usersByEmail = new Map<string, FakeUser>();
  readonly usersById = new Map<string, FakeUser>();
  readonly userOrder: FakeUser[] = [];
  consent: ConsentInput = {};
  readonly codes = new Map<string, AuthCodeRecord>();
  /** Consent-page requests by their random id (consentPage mode only). */
  readonly consentRequests = new Map<string, ConsentRequestRecord>();
  /** `${clientId}|${accountId}` → current grant. */
  readonly grants = new Map<string, Grant>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly tokenGrants = { authorizationCode: 0, refreshToken: 0 };
  readonly points: PointsLedger;

  constructor(options: FakeAtlassianOptions = {}) {
    this.opts = {
      refreshReuseLeewayMs: options.refreshReuseLeewayMs ?? 600_000,
      jiraPageCap: options.jiraPageCap ?? 50,
      latencyMs: options.latencyMs ?? 0,
      accessTokenLifetimeSec: options.accessTokenLifetimeSec ?? 3600,
      now: options.now ?? Date.now,
      consentPage: options.consentPage ?? false,
    };
    this.points = new PointsLedger(options.quota ?? {}, () => this.now());
  }

  now(): number {
    return this.opts.now();
  }

  addSite(s: AddSiteInput): FakeSite {
    const host = s.host.toLowerCase();
    if (this.sitesByHost.has(host)) throw new Error(`site ${host} already added`);
    const cloudId = s.cloudId ?? uuidFrom(`cloud:${host}`);
    const products: FakeProduct[] = s.products ?? ['jira', 'confluence'];
    const projects = typeof s.projects === 'number' ? generateProjects(s.projects) : [...(s.projects ?? [])];
    const spaces = typeof s.spaces === 'number' ? generateSpaces(s.spaces, host) : [...(s.spaces ?? [])];
    for (const sp of spaces) {
      if (!/^\d+$/.test(sp.id)) throw new Error(`space id must be a numeric string: ${sp.id}`);
    }
    const site: FakeSite = {
      host,
      name: s.name ?? host.split('.')[0] ?? host,
      cloudId,
      url: `https://${host}`,
      products,
      projects,
      spaces,
    };
    this.sitesByHost.set(host, site);
    this.sitesByCloudId.set(cloudId, site);
    return site;
  }

  addOAuthClient(c: AddOAuthClientInput): void {
    this.clients.set(c.clientId, {
      clientId: c.clientId,
      name: c.name ?? c.clientId,
      clientSecret: c.clientSecret,
      redirectUris: [...c.redirectUris],
      scopes: c.scopes ? [...c.scopes] : null,
    });
  }

  addUser(u: AddUserInput): FakeUser {
    const email = u.email;
    if (this.usersByEmail.has(email.toLowerCase())) throw new Error(`user ${email} already added`);
    const user: FakeUser = {
      accountId: u.accountId ?? `712020:${uuidFrom(`account:${email.toLowerCase()}`)}`,
      email,
      apiToken: u.apiToken,
      displayName: u.displayName ?? email.split('@')[0] ?? email,
      sites: u.sites.map((h) => h.toLowerCase()),
      scopedApiToken: u.scopedApiToken ?? u.apiTokenScopes !== undefined,
      apiTokenScopes: u.apiTokenScopes === undefined ? null : new Set(u.apiTokenScopes),
    };
    this.usersByEmail.set(email.toLowerCase(), user);
    this.usersById.set(user.accountId, user);
    this.userOrder.push(user);
    return user;
  }

  findUserByEmail(email: string): FakeUser | undefined {
    return this.usersByEmail.get(email.toLowerCase());
  }

  expireAccessTokens(): void {
    for (const rec of this.accessTokens.values()) rec.invalidated = true;
  }

  revokeGrant(email: string): void {
    const user = this.findUserByEmail(email);
    if (!user) throw new Error(`unknown user ${email}`);
    for (const g of this.grants.values()) if (g.accountId === user.accountId) g.revoked = true;
  }

  refreshTokenStatus(token: string): RefreshTokenStatus {
    const rec = this.refreshTokens.get(token);
    if (!rec) return 'unknown';
    if (rec.grant.revoked) return 'revoked';
    if (this.refreshExpired(rec)) return 'expired';
    return rec.rotatedAt === null ? 'active' : 'rotated';
  }

  refreshExpired(rec: RefreshTokenRecord): boolean {
    const now = this.now();
    return now >= rec.absoluteExpiresAt || now >= rec.issuedAt + REFRESH_INACTIVITY_MS;
  }

  /** The live access-token record, or undefined when unknown, expired or invalidated. */
  validAccessToken(token: string): AccessTokenRecord | undefined {
    const rec = this.accessTokens.get(token);
    if (!rec || rec.invalidated || this.now() >= rec.expiresAt) return undefined;
    return rec;
  }
}
