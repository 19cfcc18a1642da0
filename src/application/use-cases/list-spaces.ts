import type { Space } from '../../domain/listing.js';
import type { CachedListings } from '../cached-listings.js';
import { pageOf, type PageRequest } from '../listing-page.js';
import type { ConfluenceGateway } from '../ports/confluence-gateway.js';

export interface ListSpacesInput {
  readonly sessionToken?: string;
  /** Wait for a listing read from Atlassian now rather than answer a cached one. */
  readonly fresh?: boolean;
  /** A search and page; absent answers every space. */
  readonly page?: PageRequest;
}

export interface ListSpacesOutput {
  readonly spaces: readonly Space[];
  readonly total: number;
  readonly nextCursor?: string;
  /** Whole seconds since the listing was read from Atlassian. */
  readonly ageSeconds: number;
  readonly staleBecause?: 'rate_limited';
}

export class ListSpaces {
  constructor(
    private readonly listings: CachedListings,
    private readonly confluence: ConfluenceGateway,
  ) {}

  async execute(input: ListSpacesInput): Promise<ListSpacesOutput> {
    const listing = await this.listings.list<Space>(
      input.sessionToken,
      'confluence',
      (credentials, connection, deadline) => this.confluence.listSpaces(credentials, connection.site.url, deadline),
      { fresh: input.fresh === true },
    );
    const page = input.page === undefined ? { items: listing.items, total: listing.items.length } : pageOf(listing.items, listing.version, input.page);
    return {
      spaces: page.items,
      total: page.total,
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
      ageSeconds: listing.ageSeconds,
      ...(listing.staleBecause === undefined ? {} : { staleBecause: listing.staleBecause }),
    };
  }
}
