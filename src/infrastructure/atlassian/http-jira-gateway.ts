import { z } from 'zod';
import type { ApiTokenCredentials, AtlassianCredentials, AtlassianIdentity } from '../../application/ports/atlassian-credentials.js';
import type { JiraGateway } from '../../application/ports/jira-gateway.js';
import { AppError } from '../../domain/errors.js';
import type { Project } from '../../domain/listing.js';
import { failure, type AtlassianHttp } from './atlassian-http.js';
import { authorizationHeader, type AtlassianUrls } from './atlassian-urls.js';
import { fetchAllPages, TooManyPagesError } from './offset-pager.js';
import { verifyIdentity } from './verify-identity.js';

/** Jira treats larger values as 100, and may cap a page lower still: paging follows what comes back. */
const PAGE_SIZE = 100;
/** A bound on requests in case a server keeps answering "not last" (a million projects at 100 a page). */
const MAX_PAGES = 10_000;

const projectSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  key: z.string(),
  name: z.string(),
  projectTypeKey: z.string().optional(),
  style: z.string().optional(),
  avatarUrls: z.record(z.string(), z.string()).optional(),
});

const pageSchema = z.object({
  values: z.array(projectSchema),
  startAt: z.number().optional(),
  total: z.number().optional(),
  isLast: z.boolean().optional(),
});

export class HttpJiraGateway implements JiraGateway {
  constructor(
    private readonly http: AtlassianHttp,
    private readonly urls: AtlassianUrls,
    /** Pages fetched at once by one listing, after the first. */
    private readonly concurrency: number,
  ) {}

  verifyCredentials(credentials: ApiTokenCredentials): Promise<AtlassianIdentity> {
    const url = `${this.urls.productRoot('jira', credentials)}/rest/api/3/myself`;
    return verifyIdentity(this.http, url, authorizationHeader(credentials), `Jira on ${credentials.host}`, 'jira');
  }

  async listProjects(credentials: AtlassianCredentials, siteUrl: string): Promise<Project[]> {
    const root = this.urls.productRoot('jira', credentials);
    const request = { authorization: authorizationHeader(credentials), deadline: this.http.deadline(), product: 'jira' };
    const fetchPage = async (startAt: number, maxResults: number) => {
      const url = `${root}/rest/api/3/project/search?startAt=${startAt}&maxResults=${maxResults}&orderBy=key`;
      const response = await this.http.get(url, request);
      if (response.status !== 200) throw failure(response);
      const parsed = pageSchema.safeParse(response.body);
      if (!parsed.success) throw new AppError('upstream_error', 'Jira answered the project search with an unexpected body.');
      return parsed.data;
    };
    let values;
    try {
      values = await fetchAllPages(fetchPage, { pageSize: PAGE_SIZE, concurrency: this.concurrency, maxPages: MAX_PAGES });
    } catch (error) {
      if (error instanceof TooManyPagesError) throw new AppError('upstream_error', 'Jira kept returning pages of projects; the listing was stopped.');
      throw error;
    }
    // Projects created or deleted during the listing shift offsets: the same project may come twice.
    const projects = new Map<string, Project>();
    for (const value of values) if (!projects.has(value.id)) projects.set(value.id, toProject(value, siteUrl));
    return [...projects.values()];
  }
}

function toProject(value: z.infer<typeof projectSchema>, siteUrl: string): Project {
  const avatar = value.avatarUrls?.['48x48'];
  return {
    id: value.id,
    key: value.key,
    name: value.name,
    ...(value.projectTypeKey === undefined ? {} : { type: value.projectTypeKey }),
    ...(value.style === undefined ? {} : { style: value.style }),
    ...(avatar === undefined ? {} : { avatar_url: avatar }),
    url: `${siteUrl}/browse/${encodeURIComponent(value.key)}`,
  };
}
