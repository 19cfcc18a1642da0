import type { Project } from '../../domain/listing.js';
import type { ApiTokenCredentials, AtlassianCredentials, AtlassianIdentity } from './atlassian-credentials.js';

/**
 * Jira Cloud's REST API.
 * - `verifyCredentials` throws `invalid_credentials` when Atlassian does not accept them.
 * - `listProjects` returns every project the credentials can see, across all pages, each once;
 *   throws `upstream_unauthorized` when Atlassian rejects the credentials.
 */
export interface JiraGateway {
  verifyCredentials(credentials: ApiTokenCredentials): Promise<AtlassianIdentity>;
  listProjects(credentials: AtlassianCredentials, siteUrl: string): Promise<Project[]>;
}
