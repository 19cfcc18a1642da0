import type { Deadline } from '../../domain/deadline.js';
import type { CloudId, SiteHost } from '../../domain/site.js';

/**
 * Public facts about an Atlassian site. `cloudIdOf` answers the site's cloudId, or undefined when the site does
 * not say (no such site, or an answer without a usable cloudId). Everything else is thrown as the service's
 * usual errors — `rate_limited` (with its wait), `upstream_error`, `upstream_timeout` — so a caller never
 * mistakes an outage or a rate limit for "no cloudId". The call ends by `deadline`, the client request's.
 */
export interface SiteDirectory {
  cloudIdOf(host: SiteHost, deadline: Deadline): Promise<CloudId | undefined>;
}
