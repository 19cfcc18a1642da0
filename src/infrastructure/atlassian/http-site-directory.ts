import type { SiteDirectory } from '../../application/ports/site-directory.js';
import type { AtlassianHttp } from './atlassian-http.js';
import { isCloudId, type AtlassianUrls } from './atlassian-urls.js';

/** Reads a site's cloudId from `https://<site>/_edge/tenant_info`, which Atlassian serves without auth. */
export class HttpSiteDirectory implements SiteDirectory {
  constructor(
    private readonly http: AtlassianHttp,
    private readonly urls: AtlassianUrls,
  ) {}

  async cloudIdOf(host: string): Promise<string | undefined> {
    try {
      const response = await this.http.get(`${this.urls.site(host)}/_edge/tenant_info`, { product: 'site' });
      const cloudId = (response.body as { cloudId?: unknown } | undefined)?.cloudId;
      return response.status === 200 && typeof cloudId === 'string' && isCloudId(cloudId) ? cloudId : undefined;
    } catch {
      return undefined;
    }
  }
}
