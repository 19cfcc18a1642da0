/**
 * Confluence REST: v2 /wiki/api/v2/spaces and v1 /wiki/rest/api/user/current (docs/atlassian.md §7).
 */
import { createHmac, randomBytes } from 'node:crypto';

import { REQUIRE } from './scopes.js';
import type { FakeSite, FakeSpace } from './types.js';
import { checkScope, cmpStr, confluenceError, parseIntParam, type Caller } from './rest-common.js';
import { methodNotAllowed, sendJson, type Ctx } from './util.js';

export function handleConfluence(ctx: Ctx, site: FakeSite, caller: Caller, rest: string): void {
  if (rest === '/wiki/api/v2/spaces') {
    if (ctx.method !== 'GET') return methodNotAllowed(ctx, 'GET');
    if (!checkScope(ctx, caller, REQUIRE.confluenceSpacesV2)) return;
    return confluenceSpaces(ctx, site, caller);
  }
  if (rest === '/wiki/rest/api/user/current') {
    if (ctx.method !== 'GET') return methodNotAllowed(ctx, 'GET');
    if (!checkScope(ctx, caller, REQUIRE.confluenceUserCurrent)) return;
    return sendJson(ctx.res, 200, confluenceUser(site, caller));
  }
  if (rest === '/wiki/rest/api/space' || rest.startsWith('/wiki/rest/api/space/')) {
    // Removed v1 endpoint (§7). Only verified for the gateway; the fake refuses it on the site host too.
    return sendJson(ctx.res, 410, {
      statusCode: 410,
      message: 'GoneException: This deprecated endpoint has been removed.',
      reason: 'Gone',
    });
  }
  confluenceError(ctx, 404, 'NOT_FOUND', 'Not Found');
}

function confluenceUser(site: FakeSite, caller: Caller): Record<string, unknown> {
  const links = { base: `${site.url}/wiki`, context: '/wiki' };
  if (caller.kind === 'anonymous') {
    return {
      type: 'anonymous',
      profilePicture: { path: '/wiki/s/-1/default/_/images/icons/profilepics/anonymous.svg', width: 48, height: 48, isDefault: true },
      displayName: 'Anonymous',
      isExternalCollaborator: false,
      _links: { ...links, self: `${site.url}/wiki/rest/api/user/anonymous` },
    };
  }
  const u = caller.user;
  return {
    type: 'known',
    accountId: u.accountId,
    accountType: 'atlassian',
    email: u.email,
    publicName: u.displayName,
    profilePicture: { path: `/wiki/aa-avatar/${u.accountId}`, width: 48, height: 48, isDefault: false },
    displayName: u.displayName,
    timeZone: 'Etc/UTC',
    isExternalCollaborator: false,
    externalCollaborator: false,
    operations: null,
    details: null,
    personalSpace: null,
    _expandable: { operations: '', details: '', personalSpace: '' },
    _links: { ...links, self: `${site.url}/wiki/rest/api/user?accountId=${encodeURIComponent(u.accountId)}` },
  };
}

const CURSOR_KEY = randomBytes(16);
const SPACE_SORTS = ['id', '-id', 'key', '-key', 'name', '-name'];

interface CursorData { s: string; id: string; key: string; name: string }

function encodeCursor(d: CursorData): string {
  const payload = Buffer.from(JSON.stringify(d), 'utf8').toString('base64url');
  const sig = createHmac('sha256', CURSOR_KEY).update(payload).digest('base64url').slice(0, 16);
  return `${payload}.${sig}`;
}

function decodeCursor(c: string): CursorData | null {
  const [payload, sig, ...extra] = c.split('.');
  if (payload === undefined || sig === undefined || extra.length > 0) return null;
  const expected = createHmac('sha256', CURSOR_KEY).update(payload).digest('base64url').slice(0, 16);
  if (sig !== expected) return null;
  try {
    const d: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof d !== 'object' || d === null) return null;
    const r = d as Record<string, unknown>; // checked field by field below
    if (typeof r['s'] !== 'string' || typeof r['id'] !== 'string' || typeof r['key'] !== 'string' || typeof r['name'] !== 'string') return null;
    return { s: r['s'], id: r['id'], key: r['key'], name: r['name'] };
  } catch {
    return null;
  }
}

function cmpId(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function spaceComparator(sort: string): (a: Pick<FakeSpace, 'id' | 'key' | 'name'>, b: Pick<FakeSpace, 'id' | 'key' | 'name'>) => number {
  const desc = sort.startsWith('-');
  const field = sort.replace(/^-/, '');
  return (a, b) => {
    const c = field === 'key' ? cmpStr(a.key, b.key) || cmpId(a.id, b.id)
      : field === 'name' ? cmpStr(a.name, b.name) || cmpId(a.id, b.id)
      : cmpId(a.id, b.id);
    return desc ? -c : c;
  };
}

function listParam(q: URLSearchParams, name: string): string[] {
  return q.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

function confluenceSpaces(ctx: Ctx, site: FakeSite, caller: Caller): void {
  const q = ctx.query;
  const limitRaw = q.get('limit');
  let limit = 25;
  if (limitRaw !== null) {
    const n = parseIntParam(limitRaw);
    if (n === null || Number.isNaN(n) || n < 1 || n > 250) {
      return confluenceError(ctx, 400, 'INVALID_REQUEST_PARAMETER',
        `Provided value {${limitRaw}} for 'limit' is not the correct type. Expected type is LimitParameterType`);
    }
    limit = n;
  }
  const sort = q.get('sort') ?? 'id';
  if (!SPACE_SORTS.includes(sort)) {
    return confluenceError(ctx, 400, 'INVALID_REQUEST_PARAMETER',
      `Provided value {${sort}} for 'sort' is not the correct type. Expected type is SpaceSortOrder`);
  }
  const cursorRaw = q.get('cursor');
  let after: CursorData | null = null;
  if (cursorRaw !== null) {
    after = decodeCursor(cursorRaw);
    if (after === null || after.s !== sort) {
      return confluenceError(ctx, 400, 'INVALID_REQUEST_PARAMETER', `Provided value {${cursorRaw}} for 'cursor' is not valid`);
    }
  }

  let spaces: FakeSpace[] = caller.kind === 'anonymous' ? [] : [...site.spaces];
  const ids = listParam(q, 'ids');
  if (ids.length > 0) spaces = spaces.filter((s) => ids.includes(s.id));
  const keys = listParam(q, 'keys');
  if (keys.length > 0) spaces = spaces.filter((s) => keys.includes(s.key));
  const type = q.get('type');
  if (type !== null && type !== '') spaces = spaces.filter((s) => (s.type ?? 'global') === type);
  const status = q.get('status');
  if (status !== null && status !== '') spaces = spaces.filter((s) => (s.status ?? 'current') === status);
  const cmp = spaceComparator(sort);
  spaces.sort(cmp);

  const from = after === null ? 0 : (() => {
    const a = after;
    const i = spaces.findIndex((s) => cmp(s, a) > 0);
    return i < 0 ? spaces.length : i;
  })();
  const page = spaces.slice(from, from + limit);
  const hasMore = from + page.length < spaces.length;
  const base = `${site.url}/wiki`;
  const links: Record<string, string> = {};
  const headers: Record<string, string> = {};
  const last = page[page.length - 1];
  if (hasMore && last !== undefined) {
    const next = new URLSearchParams();
    next.set('cursor', encodeCursor({ s: sort, id: last.id, key: last.key, name: last.name }));
    next.set('limit', String(limit));
    for (const [k, v] of q) if (k !== 'cursor' && k !== 'limit') next.append(k, v);
    links['next'] = `/wiki/api/v2/spaces?${next.toString()}`;
    headers['Link'] = `<${links['next']}>; rel="next", <${base}>; rel="base"`;
  }
  links['base'] = base;
  ctx.onListed?.(page.length);
  sendJson(ctx.res, 200, { results: page.map((s) => confluenceSpace(s)), _links: links }, headers);
}

function confluenceSpace(s: FakeSpace): Record<string, unknown> {
  return {
    id: s.id,
    key: s.key,
    name: s.name,
    type: s.type ?? 'global',
    status: s.status ?? 'current',
    authorId: s.authorId ?? '557058:00000000-0000-0000-0000-000000000000',
    createdAt: s.createdAt ?? '2024-01-01T00:00:00.000Z',
    homepageId: s.homepageId ?? String(BigInt(s.id) + 1n),
    description: null,
    icon: null,
    spaceOwnerId: s.authorId ?? null,
    currentActiveAlias: s.key,
    _links: { webui: `/spaces/${s.key}` },
  };
}
