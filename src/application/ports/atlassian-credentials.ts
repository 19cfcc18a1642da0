import type { CloudId, SiteHost } from '../../domain/site.js';

/** How a product gateway authenticates one call. Built by the application from a stored connection. */
export type AtlassianCredentials =
  | { readonly kind: 'oauth'; readonly cloudId: CloudId; readonly accessToken: string }
  | ApiTokenCredentials;

export interface ApiTokenCredentials {
  readonly kind: 'api_token';
  /** Validated: only `normaliseSite` makes a SiteHost, so no other host can be reached. */
  readonly host: SiteHost;
  readonly email: string;
  readonly apiToken: string;
  /** When set, calls go through the API gateway for this cloudId instead of the site host. */
  readonly gatewayCloudId?: CloudId;
}

/** Who Atlassian says the credentials belong to, when the call that proved them names an account. */
export interface AtlassianIdentity {
  readonly accountId: string;
  readonly displayName?: string;
}
