/**
 * Jira REST: /rest/api/3/project/search and /rest/api/3/myself (docs/atlassian.md §6).
 */
import { REQUIRE } from './scopes.js';
import type { FakeState } from './state.js';
import type { FakeProject, FakeSite, FakeUser } from './types.js';
import { JIRA_NOT_AUTHENTICATED, checkScope, cmpStr, jiraError, parseIntParam, type Caller } from './rest-common.js';
import { methodNotAllowed, sendJson, uuidFrom, type Ctx } from './util.js';

export function handleJira(state: FakeState, ctx: Ctx, site: FakeSite, caller: Caller, rest: string): void {
  if (rest === '/rest/api/3/project/search') {
    if (ctx.method !== 'GET') return methodNotAllowed(ctx, 'GET');
    if (!checkScope(ctx, caller, REQUIRE.jiraProjectSearch)) return;
    return jiraProjectSearch(state, ctx, site, caller);
  }
  if (rest === '/rest/api/3/myself') {
    if (ctx.method !== 'GET') return methodNotAllowed(ctx, 'GET');
    if (caller.kind === 'anonymous') return sendJson(ctx.res, 401, JIRA_NOT_AUTHENTICATED);
    if (!checkScope(ctx, caller, REQUIRE.jiraMyself)) return;
    return sendJson(ctx.res, 200, jiraUser(site, caller.user));
  }
  jiraError(ctx, 404, `null for uri: ${site.url}${rest}`);
}

function jiraUser(site: FakeSite, user: FakeUser): Record<string, unknown> {
  const avatar = `https://secure.gravatar.com/avatar/${uuidFrom(user.email).replace(/-/g, '')}?d=mm`;
  return {
    self: `${site.url}/rest/api/3/user?accountId=${encodeURIComponent(user.accountId)}`,
    accountId: user.accountId,
    accountType: 'atlassian',
    emailAddress: user.email,
    avatarUrls: { '48x48': `${avatar}&s=48`, '24x24': `${avatar}&s=24`, '16x16': `${avatar}&s=16`, '32x32': `${avatar}&s=32` },
    displayName: user.displayName,
    active: true,
    timeZone: 'Etc/UTC',
    locale: 'en_US',
    groups: { size: 1, items: [] },
    applicationRoles: { size: 1, items: [] },
    expand: 'groups,applicationRoles',
    key: '',
    name: '',
  };
}

const JIRA_ORDER_FIELDS = ['category', 'key', 'name', 'owner', 'issueCount', 'lastIssueUpdatedDate', 'archivedDate', 'deletedDate'];

function jiraProjectSearch(state: FakeState, ctx: Ctx, site: FakeSite, caller: Caller): void {
  const q = ctx.query;
  const startAt = parseIntParam(q.get('startAt')) ?? 0;
  if (Number.isNaN(startAt) || startAt < 0) {
    return jiraError(ctx, 400, `The 'startAt' parameter must be a non-negative integer, got '${q.get('startAt') ?? ''}'.`);
  }
  const asked = parseIntParam(q.get('maxResults')) ?? 50;
  if (Number.isNaN(asked) || asked < 0) {
    return jiraError(ctx, 400, `The 'maxResults' parameter must be a non-negative integer, got '${q.get('maxResults') ?? ''}'.`);
  }
  // '+name' arrives as ' name' after form decoding, like on the real server
  const orderRaw = (q.get('orderBy') ?? 'key').trim();
  const desc = orderRaw.startsWith('-');
  const orderField = orderRaw.replace(/^[+-]/, '');
  if (!JIRA_ORDER_FIELDS.includes(orderField)) return jiraError(ctx, 400, `Invalid orderBy value '${orderRaw}'.`);

  let projects: FakeProject[] = caller.kind === 'anonymous' ? [] : [...site.projects];
  const query = q.get('query');
  if (query !== null && query !== '') {
    const lq = query.toLowerCase();
    projects = projects.filter((p) => p.key.toLowerCase().includes(lq) || p.name.toLowerCase().includes(lq));
  }
  const keys = q.getAll('keys');
  if (keys.length > 0) projects = projects.filter((p) => keys.includes(p.key));
  const ids = q.getAll('id');
  if (ids.length > 0) projects = projects.filter((p) => ids.includes(p.id));
  const typeKey = q.get('typeKey');
  if (typeKey !== null && typeKey !== '') {
    const types = typeKey.split(',').map((t) => t.trim());
    projects = projects.filter((p) => types.includes(projectTypeOf(p, site)));
  }
  const by = orderField === 'name' ? (p: FakeProject): string => p.name : (p: FakeProject): string => p.key;
  projects.sort((a, b) => {
    const c = cmpStr(by(a), by(b)) || cmpStr(a.key, b.key);
    return desc ? -c : c;
  });

  const effective = Math.min(asked, 100, state.opts.jiraPageCap);
  const total = projects.length;
  const values = projects.slice(startAt, startAt + effective);
  const isLast = startAt + values.length >= total;
  const body: Record<string, unknown> = {
    self: `${site.url}/rest/api/3/project/search${ctx.url.search}`,
  };
  if (!isLast) {
    const next = new URLSearchParams();
    next.set('startAt', String(startAt + values.length));
    next.set('maxResults', String(effective));
    for (const [k, v] of q) if (k !== 'startAt' && k !== 'maxResults') next.append(k, v);
    body['nextPage'] = `${site.url}/rest/api/3/project/search?${next.toString()}`;
  }
  Object.assign(body, { maxResults: effective, startAt, total, isLast, values: values.map((p) => jiraProject(site, p)) });
  ctx.onListed?.(values.length);
  sendJson(ctx.res, 200, body);
}

function projectTypeOf(p: FakeProject, site: FakeSite): string {
  return p.projectTypeKey ?? (site.projects.indexOf(p) % 2 === 0 ? 'software' : 'business');
}

function jiraProject(site: FakeSite, p: FakeProject): Record<string, unknown> {
  const style = p.style ?? 'classic';
  const avatar = `${site.url}/rest/api/3/universal_avatar/view/type/project/avatar/10400`;
  return {
    expand: 'description,lead,issueTypes,url,projectKeys,permissions,insight',
    self: `${site.url}/rest/api/3/project/${p.id}`,
    id: p.id,
    key: p.key,
    name: p.name,
    avatarUrls: { '48x48': avatar, '24x24': `${avatar}?size=small`, '16x16': `${avatar}?size=xsmall`, '32x32': `${avatar}?size=medium` },
    projectTypeKey: projectTypeOf(p, site),
    simplified: style === 'next-gen',
    style,
    isPrivate: p.isPrivate ?? false,
    properties: {},
    ...(style === 'next-gen' ? { entityId: uuidFrom(`entity:${site.host}:${p.id}`), uuid: uuidFrom(`entity:${site.host}:${p.id}`) } : {}),
  };
}

