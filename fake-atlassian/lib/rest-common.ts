/**
 * Helpers shared by the Jira and Confluence handlers.
 */
import { satisfies, type ScopeRequirement } from './scopes.js';
import type { FakeProduct, FakeUser } from './types.js';
import { GATEWAY_SCOPE_MISMATCH, sendJson, type Ctx } from './util.js';

/** Anonymous (site host without auth) or a user; gateway users carry their grant's scopes (null = unrestricted). */
export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'user'; user: FakeUser; scopes: ReadonlySet<string> | null };

export const BASIC_AUTH_FAILED_TEXT =
  'Basic authentication with passwords is deprecated.  For more information, see: ' +
  'https://developer.atlassian.com/cloud/confluence/deprecation-notice-basic-auth/';

export const JIRA_NOT_AUTHENTICATED = {
  errorMessages: ['You are not authenticated. Authentication required to perform this operation.'],
  errors: {},
};

export function jiraError(ctx: Ctx, status: number, message: string): void {
  sendJson(ctx.res, status, { errorMessages: [message], errors: {} });
}

export function confluenceError(ctx: Ctx, status: number, code: string, title: string): void {
  sendJson(ctx.res, status, { errors: [{ status, code, title, detail: null }] });
}

export function productNotFound(ctx: Ctx, product: FakeProduct): void {
  if (product === 'jira') return jiraError(ctx, 404, 'Not Found');
  confluenceError(ctx, 404, 'NOT_FOUND', 'Not Found');
}

/** Gateway callers carry their grant's scopes; they get the gateway's scope-mismatch 401 when lacking one. */
export function checkScope(ctx: Ctx, caller: Caller, req: ScopeRequirement): boolean {
  if (caller.kind === 'user' && !satisfies(caller.scopes, req)) {
    sendJson(ctx.res, 401, GATEWAY_SCOPE_MISMATCH);
    return false;
  }
  return true;
}

export function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** null → absent; NaN → invalid. */
export function parseIntParam(raw: string | null): number | null {
  if (raw === null) return null;
  return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
}

