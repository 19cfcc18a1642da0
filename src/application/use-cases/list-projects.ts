import type { Project } from '../../domain/listing.js';
import type { CachedListings } from '../cached-listings.js';
import { pageOf, type PageRequest } from '../listing-page.js';
import type { JiraGateway } from '../ports/jira-gateway.js';

export interface ListProjectsInput {
  readonly sessionToken?: string;
  /** Wait for a listing read from Atlassian now rather than answer a cached one. */
  readonly fresh?: boolean;
  /** A search and page; absent answers every project. */
  readonly page?: PageRequest;
}

export interface ListProjectsOutput {
  readonly projects: readonly Project[];
  readonly total: number;
  readonly nextCursor?: string;
  /** Whole seconds since the listing was read from Atlassian. */
  readonly ageSeconds: number;
  readonly staleBecause?: 'rate_limited';
}

export class ListProjects {
  constructor(
    private readonly listings: CachedListings,
    private readonly jira: JiraGateway,
  ) {}

  async execute(input: ListProjectsInput): Promise<ListProjectsOutput> {
    const listing = await this.listings.list<Project>(
      input.sessionToken,
      'jira',
      (credentials, connection, deadline) => this.jira.listProjects(credentials, connection.site.url, deadline),
      { fresh: input.fresh === true },
    );
    const page = input.page === undefined ? { items: listing.items, total: listing.items.length } : pageOf(listing.items, listing.version, input.page);
    return {
      projects: page.items,
      total: page.total,
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
      ageSeconds: listing.ageSeconds,
      ...(listing.staleBecause === undefined ? {} : { staleBecause: listing.staleBecause }),
    };
  }
}
