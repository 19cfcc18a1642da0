import type { ApiTokenCredentials, AtlassianCredentials, AtlassianIdentity } from '../../application/ports/atlassian-credentials.js';
import type { JiraGateway } from '../../application/ports/jira-gateway.js';
import type { Deadline } from '../../domain/deadline.js';
import { AppError } from '../../domain/errors.js';
import type { Project } from '../../domain/listing.js';
import type { AtlassianHttp } from './atlassian-http.js';
import { authorizationHeader, type AtlassianUrls } from './atlassian-urls.js';
import { fetchAllPages, TooManyPagesError, type OffsetPage } from './offset-pager.js';
import { count, httpsUrl, id, record, text, type Mutable } from './json-fields.js';
import { verifyIdentity } from './verify-identity.js';

/** Jira treats larger values as 100, and may cap a page lower still: paging follows what comes back. */
const PAGE_SIZE = 100;
/** A bound on requests in case a server keeps answering "not last" (a million projects at 100 a page). */
const MAX_PAGES = 10_000;

export class HttpJiraGateway implements JiraGateway {
  constructor(
    private readonly http: AtlassianHttp,
    private readonly urls: AtlassianUrls,
    /** Pages fetched at once by one listing, after the first. */
    private readonly concurrency: number,
    /** Projects one listing may hold (UPSTREAM_MAX_ITEMS); a larger claimed total is refused before paging. */
    private readonly maxItems = 100_000,
  ) {}

  verifyCredentials(credentials: ApiTokenCredentials, deadline: Deadline): Promise<AtlassianIdentity | undefined> {
    const root = this.urls.productRoot('jira', credentials);
    return verifyIdentity(this.http, {
      identityUrl: `${root}/rest/api/3/myself`,
      listing: credentials.gatewayCloudId === undefined
        ? undefined
        : { url: `${root}/rest/api/3/project/search?maxResults=1`, scope: 'read:jira-work', purpose: 'listing Jira projects' },
      authorization: authorizationHeader(credentials),
      target: `Jira on ${credentials.host}`,
      product: 'jira',
      deadline,
    });
  }

  async listProjects(credentials: AtlassianCredentials, siteUrl: string, deadline: Deadline): Promise<Project[]> {
    const root = this.urls.productRoot('jira', credentials);
    const request = { authorization: authorizationHeader(credentials), deadline, product: 'jira' };
    const fetchPage = async (startAt: number, maxResults: number) => {
      const url = `${root}/rest/api/3/project/search?startAt=${startAt}&maxResults=${maxResults}&orderBy=key`;
      return readPage(await this.http.getJson(url, request), siteUrl);
    };
    let values;
    try {
      values = await fetchAllPages(fetchPage, {
        pageSize: PAGE_SIZE,
        concurrency: this.concurrency,
        maxPages: MAX_PAGES,
        maxItems: this.maxItems,
      });
    } catch (error) {
      if (error instanceof TooManyPagesError) {
        throw new AppError('upstream_error', 'Jira reported more projects than this service lists, or kept returning pages; the listing was stopped.');
      }
      throw error;
    }
    // Projects created or deleted during the listing shift offsets: the same project may come twice.
    const seen = new Set<string>();
    const projects: Project[] = [];
    for (const project of values) {
      if (project === undefined || seen.has(project.id)) continue;
      seen.add(project.id);
      projects.push(project);
    }
    return projects;
  }
}

/**
 * One page of project/search, each project already in the service's shape. An item that cannot be used stays
 * as undefined rather than being dropped here: the pager counts offsets by what Jira sent.
 */
function readPage(body: unknown, siteUrl: string): OffsetPage<Project | undefined> {
  const page = record(body);
  const values = page?.['values'];
  if (page === undefined || !Array.isArray(values)) throw unexpected();
  const isLast = page['isLast'];
  return {
    values: values.map((value) => toProject(value, siteUrl)),
    total: count(page['total']),
    isLast: typeof isLast === 'boolean' ? isLast : undefined,
  };
}

/**
 * Atlassian marks every field optional (docs/atlassian.md §6). A project without an id or a key cannot be addressed
 * and is skipped (undefined) rather than failing the listing; a missing name falls back to the key.
 */
function toProject(value: unknown, siteUrl: string): Project | undefined {
  const project = record(value);
  if (project === undefined) return undefined;
  const projectId = id(project['id']);
  const key = text(project['key']);
  if (projectId === undefined || !key) return undefined;
  // Built in one object, the absent fields never added: this runs for every project of every listing.
  const item: Mutable<Project> = { id: projectId, key, name: text(project['name']) || key, url: `${siteUrl}/browse/${encodeURIComponent(key)}` };
  const type = text(project['projectTypeKey']);
  if (type !== undefined) item.type = type;
  const style = text(project['style']);
  if (style !== undefined) item.style = style;
  const avatarUrl = httpsUrl(record(project['avatarUrls'])?.['48x48']);
  if (avatarUrl !== undefined) item.avatarUrl = avatarUrl;
  return item;
}

function unexpected(): AppError {
  return new AppError('upstream_error', 'Jira answered the project search with an unexpected body.');
}
