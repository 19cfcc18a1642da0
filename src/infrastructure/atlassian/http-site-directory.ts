import type { SiteDirectory } from '../../application/ports/site-directory.js';
import { failure, type AtlassianHttp } from './atlassian-http.js';
import type { Deadline } from '../../domain/deadline.js';
import { isCloudId, type CloudId, type SiteHost } from '../../domain/site.js';
import type { AtlassianUrls } from './atlassian-urls.js';
import { record } from './json-fields.js';

/** Reads a site's cloudId from `https://<site>/_edge/tenant_info`, which Atlassian serves without auth. */
export class HttpSiteDirectory implements SiteDirectory {
  constructor(
    private readonly http: AtlassianHttp,
    private readonly urls: AtlassianUrls,
  ) {}

  async cloudIdOf(host: SiteHost, deadline: Deadline): Promise<CloudId | undefined> {
    // Timeouts and network failures are thrown by `get` as they are: a login must not read them as a refusal.
    const response = await this.http.get(`${this.urls.site(host)}/_edge/tenant_info`, { product: 'site', deadline });
    if (response.status === 404) return undefined;
    if (response.status === 200) {
      const cloudId = record(response.body)?.['cloudId'];
      return typeof cloudId === 'string' && isCloudId(cloudId) ? cloudId : undefined;
    }
    // No credentials were sent, so a 401 says nothing about the user's.
    throw failure(response, { userCredentials: false });
  }
}
