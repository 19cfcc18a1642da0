import type { Deadline } from '../../domain/deadline.js';
import type { Space } from '../../domain/listing.js';
import type { ApiTokenCredentials, AtlassianCredentials, AtlassianIdentity } from './atlassian-credentials.js';

/** Confluence Cloud's REST API; the same promises as JiraGateway, for spaces. */
export interface ConfluenceGateway {
  verifyCredentials(credentials: ApiTokenCredentials, deadline: Deadline): Promise<AtlassianIdentity | undefined>;
  listSpaces(credentials: AtlassianCredentials, siteUrl: string, deadline: Deadline): Promise<Space[]>;
}
