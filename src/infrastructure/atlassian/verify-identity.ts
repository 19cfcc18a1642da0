import type { AtlassianIdentity } from '../../application/ports/atlassian-credentials.js';
import type { Deadline } from '../../domain/deadline.js';
import { AppError } from '../../domain/errors.js';
import { failure, isScopeMismatch, type AtlassianHttp, type UpstreamResponse } from './atlassian-http.js';

/** What one product's API-token check needs. */
export interface CredentialCheck {
  /** The identity endpoint (`/rest/api/3/myself`, `/wiki/rest/api/user/current`) on the route being tried. */
  readonly identityUrl: string;
  /**
   * Only on the gateway route: a listing of one item, and the scope it needs, for a scoped token that lacks the
   * identity endpoint's scope. The gateway answers only authenticated callers, so its 200 proves the token; on
   * the site, anonymous access makes a listing's 200 prove nothing.
   */
  readonly listing?: { readonly url: string; readonly scope: string; readonly purpose: string };
  readonly authorization: string;
  /** For messages: "Jira on acme.atlassian.net". */
  readonly target: string;
  /** For logs and metrics. */
  readonly product: string;
  /** The client request's: the identity call and the listing fallback share it. */
  readonly deadline: Deadline;
}

/**
 * Checks API-token credentials. Atlassian runs unauthenticated calls as anonymous, so only an identity answer
 * naming a real account proves them; 401 (wrong token), 403 (no product access) and 404 (Confluence's answer for
 * many refusals) all mean "not accepted". On the gateway, a scope mismatch means the token authenticated but
 * lacks the identity scope: a 200 from the listing proves it instead, and an account is then not known.
 */
export async function verifyIdentity(http: AtlassianHttp, check: CredentialCheck): Promise<AtlassianIdentity | undefined> {
  const response = await http.get(check.identityUrl, { authorization: check.authorization, product: check.product, deadline: check.deadline });
  if (response.status === 200) {
    const body = (response.body ?? {}) as Record<string, unknown>;
    const accountId = body['accountId'];
    if (typeof accountId === 'string' && accountId !== '' && body['type'] !== 'anonymous') {
      const displayName = body['displayName'];
      return { accountId, ...(typeof displayName === 'string' ? { displayName } : {}) };
    }
    throw notAccepted(check);
  }
  if (check.listing !== undefined && isScopeMismatch(response)) return verifyByListing(http, check, check.listing);
  throw refusal(response, check);
}

type ListingCheck = NonNullable<CredentialCheck['listing']>;

async function verifyByListing(http: AtlassianHttp, check: CredentialCheck, listing: ListingCheck): Promise<undefined> {
  const response = await http.get(listing.url, { authorization: check.authorization, product: check.product, deadline: check.deadline });
  if (response.status === 200) return undefined;
  if (isScopeMismatch(response)) {
    throw new AppError(
      'insufficient_scope',
      `Atlassian accepted this API token for ${check.target}, but the token lacks the scope ${listing.scope}, which ${listing.purpose} needs. Create an API token with that scope.`,
    );
  }
  throw refusal(response, check);
}

function refusal(response: UpstreamResponse, check: CredentialCheck): AppError {
  return [401, 403, 404].includes(response.status) ? notAccepted(check) : failure(response);
}

function notAccepted(check: CredentialCheck): AppError {
  return new AppError('invalid_credentials', `Atlassian did not accept this email and API token for ${check.target}.`);
}
