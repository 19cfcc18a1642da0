import { expect } from 'chai';
import type { AtlassianCredentials } from '../../src/application/ports/atlassian-credentials.js';
import type { SiteDirectory } from '../../src/application/ports/site-directory.js';
import { deadlineAfter } from '../../src/domain/deadline.js';
import { isCloudId, normaliseSite, siteUrl, type CloudId, type SiteHost } from '../../src/domain/site.js';
import { AtlassianUrls } from '../../src/infrastructure/atlassian/atlassian-urls.js';

/**
 * The SSRF rule as types: a string that did not pass `normaliseSite` (or `isCloudId`) cannot reach a URL builder,
 * credentials or the site directory. `npm run typecheck` checks this file; an `@ts-expect-error` whose line
 * compiles fails the type-check, so these lines prove the refusals. Never called: the lines are for the compiler.
 */
export function unvalidatedValues(urls: AtlassianUrls, sites: SiteDirectory, typed: string): void {
  // @ts-expect-error a raw string is not a SiteHost
  urls.site(typed);
  // @ts-expect-error not even a literal that looks like a site
  void sites.cloudIdOf('acme.atlassian.net', deadlineAfter(0, 1));
  // @ts-expect-error siteUrl takes a SiteHost
  siteUrl(typed);
  // @ts-expect-error API-token credentials take a SiteHost
  const apiToken: AtlassianCredentials = { kind: 'api_token', host: typed, email: 'e', apiToken: 't' };
  // @ts-expect-error OAuth credentials take a CloudId
  const oauth: AtlassianCredentials = { kind: 'oauth', cloudId: typed, accessToken: 't' };
  // @ts-expect-error a gateway route takes a CloudId
  const gateway: AtlassianCredentials = { kind: 'api_token', host: normaliseSite(typed), email: 'e', apiToken: 't', gatewayCloudId: typed };

  // What passed the validating functions is accepted.
  const host: SiteHost = normaliseSite(typed);
  urls.site(host);
  void sites.cloudIdOf(host, deadlineAfter(0, 1));
  if (isCloudId(typed)) {
    const cloudId: CloudId = typed;
    const ok: AtlassianCredentials = { kind: 'oauth', cloudId, accessToken: 't' };
    void ok;
  }
  void apiToken;
  void oauth;
  void gateway;
}

describe('SiteHost and CloudId', () => {
  it('are the plain strings at run time: the brand costs nothing', () => {
    const urls = new AtlassianUrls('https://api.atlassian.com', 'https://{site}');
    expect(urls.site(normaliseSite('ACME'))).to.equal('https://acme.atlassian.net');
  });
});
