import type { Deadline } from '../../domain/deadline.js';
import type { Project } from '../../domain/listing.js';
import type { ApiTokenCredentials, AtlassianCredentials, AtlassianIdentity } from './atlassian-credentials.js';

/**
 * Jira Cloud's REST API.
 * - `verifyCredentials` answers who API-token credentials belong to, or undefined when Atlassian accepted them
 *   without naming an account (a scoped token lacking the identity scope, proven through the gateway by listing).
 *   Throws `invalid_credentials` when Atlassian does not accept them, and `insufficient_scope` when it accepts
 *   the token but its scopes do not allow listing. Its calls end by `deadline`, the login request's.
 * - `listProjects` returns every project the credentials can see, across all pages, each once;
 *   throws `upstream_unauthorized` when Atlassian rejects the credentials. Every page and retry ends by `deadline`
 *   (the client request's), else `upstream_timeout`.
 */
export interface JiraGateway {
  verifyCredentials(credentials: ApiTokenCredentials, deadline: Deadline): Promise<AtlassianIdentity | undefined>;
  listProjects(credentials: AtlassianCredentials, siteUrl: string, deadline: Deadline): Promise<Project[]>;
}
