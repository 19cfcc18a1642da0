/** How a product gateway authenticates one call. Built by the application from a stored connection. */
export type AtlassianCredentials =
  | { readonly kind: 'oauth'; readonly cloudId: string; readonly accessToken: string }
  | ApiTokenCredentials;

export interface ApiTokenCredentials {
  readonly kind: 'api_token';
  readonly host: string;
  readonly email: string;
  readonly apiToken: string;
  /** When set, calls go through the API gateway for this cloudId instead of the site host. */
  readonly gatewayCloudId?: string;
}

/** Who Atlassian says the credentials belong to, when the call that proved them names an account. */
export interface AtlassianIdentity {
  readonly accountId: string;
  readonly displayName?: string;
}
