/**
 * Scope rules of the fake (see docs/atlassian.md §5).
 */
import type { FakeProduct } from './types.js';

/** Well-formed scope names: `offline_access`, `read:me`, `read:jira-work`, `read:space:confluence`, ... */
export const SCOPE_RE = /^[a-z][a-z0-9_.-]*(?::[a-z0-9_.-]+)*$/;

export function scopeProduct(scope: string): FakeProduct | null {
  if (scope.includes('jira')) return 'jira';
  if (scope.includes('confluence')) return 'confluence';
  return null;
}

/** Scopes of a grant that concern a site with the given products (what accessible-resources lists per site). */
export function relevantScopes(scopes: Iterable<string>, products: readonly FakeProduct[]): string[] {
  const out: string[] = [];
  for (const s of scopes) {
    const p = scopeProduct(s);
    if (p !== null && products.includes(p)) out.push(s);
  }
  return out;
}

/** A requirement is satisfied when ANY of its alternatives has ALL of its scopes. */
export type ScopeRequirement = readonly (readonly string[])[];

export const REQUIRE = {
  jiraProjectSearch: [
    ['read:jira-work'],
    [
      'read:issue-type:jira', 'read:project:jira', 'read:project.property:jira', 'read:user:jira',
      'read:application-role:jira', 'read:avatar:jira', 'read:group:jira', 'read:issue-type-hierarchy:jira',
      'read:project-category:jira', 'read:project-version:jira', 'read:project.component:jira',
    ],
  ],
  jiraMyself: [
    ['read:jira-user'],
    ['read:application-role:jira', 'read:group:jira', 'read:user:jira', 'read:avatar:jira'],
  ],
  // v2 has no classic scope; classic-only apps get scope errors on v2 (docs/atlassian.md §5).
  confluenceSpacesV2: [['read:space:confluence']],
  // v1; the granular equivalent is unverified, so the plausible one is accepted as well.
  confluenceUserCurrent: [['read:confluence-user'], ['read:user:confluence']],
  me: [['read:me']],
} as const satisfies Record<string, ScopeRequirement>;

export function satisfies(scopes: ReadonlySet<string> | null, req: ScopeRequirement): boolean {
  if (scopes === null) return true;
  return req.some((alt) => alt.every((s) => scopes.has(s)));
}
