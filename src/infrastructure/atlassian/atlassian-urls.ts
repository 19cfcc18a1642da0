import type { AtlassianCredentials } from '../../application/ports/atlassian-credentials.js';
import type { Product } from '../../domain/product.js';
import type { CloudId, SiteHost } from '../../domain/site.js';

export { isCloudId } from '../../domain/site.js';

/**
 * Where a product's REST API lives for some credentials: OAuth tokens (and scoped API tokens) only work through
 * the gateway at `{api}/ex/{product}/{cloudId}`, classic API tokens on the site itself. Both roots take the same
 * paths (`/rest/api/3/...` for Jira, `/wiki/...` for Confluence).
 */
export class AtlassianUrls {
  /** The site URL template cut at each `{site}`, its trailing slashes gone: one join per call, not a search. */
  private readonly siteUrlParts: readonly string[];

  constructor(
    private readonly apiUrl: string,
    siteUrlTemplate: string,
  ) {
    this.siteUrlParts = siteUrlTemplate.replace(/\/+$/, '').split('{site}');
  }

  productRoot(product: Product, credentials: AtlassianCredentials): string {
    if (credentials.kind === 'oauth') return this.gateway(product, credentials.cloudId);
    if (credentials.gatewayCloudId !== undefined) return this.gateway(product, credentials.gatewayCloudId);
    return this.site(credentials.host);
  }

  /** The template is filled with `host` verbatim: safe because only normaliseSite() makes a SiteHost. */
  site(host: SiteHost): string {
    return this.siteUrlParts.join(host);
  }

  api(path: string): string {
    return `${this.apiUrl}${path}`;
  }

  private gateway(product: Product, cloudId: CloudId): string {
    return `${this.apiUrl}/ex/${product}/${cloudId}`;
  }
}

export function authorizationHeader(credentials: AtlassianCredentials): string {
  if (credentials.kind === 'oauth') return `Bearer ${credentials.accessToken}`;
  return `Basic ${Buffer.from(`${credentials.email}:${credentials.apiToken}`, 'utf8').toString('base64')}`;
}
