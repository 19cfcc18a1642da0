import type { AtlassianIdentity } from '../../application/ports/atlassian-credentials.js';
import { AppError } from '../../domain/errors.js';
import { failure, type AtlassianHttp } from './atlassian-http.js';

/**
 * Checks API-token credentials with an identity endpoint. Atlassian runs unauthenticated calls as anonymous, so
 * only an answer naming a real account proves the credentials; 401 (wrong token), 403 (no product access) and
 * 404 (Confluence's answer for many refusals) all mean "not accepted".
 */
export async function verifyIdentity(
  http: AtlassianHttp,
  url: string,
  authorization: string,
  what: string,
  product: string,
): Promise<AtlassianIdentity> {
  const response = await http.get(url, { authorization, product });
  if (response.status === 200) {
    const body = (response.body ?? {}) as Record<string, unknown>;
    const accountId = body['accountId'];
    if (typeof accountId === 'string' && accountId !== '' && body['type'] !== 'anonymous') {
      const displayName = body['displayName'];
      return { accountId, ...(typeof displayName === 'string' ? { displayName } : {}) };
    }
  } else if (![401, 403, 404].includes(response.status)) {
    throw failure(response);
  }
  throw new AppError('invalid_credentials', `Atlassian did not accept this email and API token for ${what}.`);
}
