import type { ApiTokenCredentials, AtlassianCredentials, AtlassianIdentity } from '../../application/ports/atlassian-credentials.js';
import type { ConfluenceGateway } from '../../application/ports/confluence-gateway.js';
import type { Deadline } from '../../domain/deadline.js';
import { AppError } from '../../domain/errors.js';
import type { Space } from '../../domain/listing.js';
import type { AtlassianHttp } from './atlassian-http.js';
import { authorizationHeader, type AtlassianUrls } from './atlassian-urls.js';
import { id, record, text, type Mutable } from './json-fields.js';
import { verifyIdentity } from './verify-identity.js';

/** The largest page Confluence's v2 spaces endpoint allows. */
const PAGE_SIZE = 250;
const MAX_PAGES = 10_000;
const SPACES_PATH = '/wiki/api/v2/spaces';

export class HttpConfluenceGateway implements ConfluenceGateway {
  constructor(
    private readonly http: AtlassianHttp,
    private readonly urls: AtlassianUrls,
    /** Spaces one listing may hold (UPSTREAM_MAX_ITEMS): a cursor chain that never ends stops here. */
    private readonly maxItems = 100_000,
  ) {}

  verifyCredentials(credentials: ApiTokenCredentials, deadline: Deadline): Promise<AtlassianIdentity | undefined> {
    const root = this.urls.productRoot('confluence', credentials);
    return verifyIdentity(this.http, {
      identityUrl: `${root}/wiki/rest/api/user/current`,
      // Nango's Confluence connector verifies with this listing too (docs/atlassian.md §7).
      listing: credentials.gatewayCloudId === undefined
        ? undefined
        : { url: `${root}${SPACES_PATH}?limit=1`, scope: 'read:space:confluence', purpose: 'listing Confluence spaces' },
      authorization: authorizationHeader(credentials),
      target: `Confluence on ${credentials.host}`,
      product: 'confluence',
      deadline,
    });
  }

  async listSpaces(credentials: AtlassianCredentials, siteUrl: string, deadline: Deadline): Promise<Space[]> {
    const root = this.urls.productRoot('confluence', credentials);
    // Cursor paging is sequential by nature: each page names the next. Pages are as large as Confluence allows.
    const request = { authorization: authorizationHeader(credentials), deadline, product: 'confluence' };
    const spaces = new Map<string, Space>();
    const seenQueries = new Set<string>();
    let query = `limit=${PAGE_SIZE}`;
    let received = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await this.http.getOk(`${root}${SPACES_PATH}?${query}`, request);
      const page = record(response.body);
      const results = page?.['results'];
      if (page === undefined || !Array.isArray(results)) throw unexpected();
      received += results.length;
      if (received > this.maxItems) throw tooMany();
      for (const value of results) {
        const space = toSpace(value, siteUrl);
        if (space !== undefined && !spaces.has(space.id)) spaces.set(space.id, space);
      }

      const next = text(record(page['_links'])?.['next']) || linkHeaderNext(response.headers.get('link'));
      if (!next) return [...spaces.values()];
      query = nextQuery(next);
      // A server repeating a link would loop forever; what was collected so far is all there is.
      if (seenQueries.has(query)) return [...spaces.values()];
      seenQueries.add(query);
    }
    throw tooMany();
  }
}

/**
 * Confluence's next link is relative to the *site* (`/wiki/api/v2/spaces?cursor=…`), so through the gateway it
 * lacks the `/ex/confluence/{cloudId}` prefix, and some answers carry an absolute URL instead. Only the query
 * (the cursor) is taken from it; the request goes to our own root and path, so a link can never send a
 * credential to another host.
 */
function nextQuery(next: string): string {
  const url = new URL(next, 'https://next-link.invalid');
  if (!url.pathname.endsWith(SPACES_PATH.slice('/wiki'.length))) {
    throw new AppError('upstream_error', 'Confluence answered with a next-page link of an unexpected form.');
  }
  if (!url.searchParams.has('limit')) url.searchParams.set('limit', String(PAGE_SIZE));
  return url.searchParams.toString();
}

/** `Link: </wiki/api/v2/spaces?cursor=…>; rel="next", <https://x.atlassian.net/wiki>; rel="base"` */
function linkHeaderNext(header: string | null): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(',')) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

/**
 * Every field is optional to a defensive reader: a space without an id or a key cannot be addressed and is
 * skipped (undefined) rather than failing the listing; a missing name falls back to the key.
 */
function toSpace(value: unknown, siteUrl: string): Space | undefined {
  const space = record(value);
  if (space === undefined) return undefined;
  const spaceId = id(space['id']);
  const key = text(space['key']);
  if (spaceId === undefined || !key) return undefined;
  // Built in one object, the absent fields never added: this runs for every space of every listing.
  const item: Mutable<Space> = { id: spaceId, key, name: text(space['name']) || key };
  const type = text(space['type']);
  if (type !== undefined) item.type = type;
  const status = text(space['status']);
  if (status !== undefined) item.status = status;
  const webui = text(record(space['_links'])?.['webui']);
  if (webui?.startsWith('/') === true) item.url = `${siteUrl}/wiki${webui}`;
  return item;
}

function tooMany(): AppError {
  return new AppError('upstream_error', 'Confluence returned more spaces than this service lists, or kept returning pages; the listing was stopped.');
}

function unexpected(): AppError {
  return new AppError('upstream_error', 'Confluence answered the space listing with an unexpected body.');
}
