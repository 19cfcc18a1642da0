import type Router from '@koa/router';
import type { Context } from 'koa';
import type { ListProjects } from '../../application/use-cases/list-projects.js';
import type { ListSpaces } from '../../application/use-cases/list-spaces.js';
import { sendWithEtag } from '../etag.js';
import { ListingQuery } from '../schemas.js';
import { sessionTokenOf } from '../session-header.js';
import { validate } from '../validate.js';
import { projectsBody, spacesBody } from '../wire.js';

export interface ListingRouteDeps {
  readonly listProjects: ListProjects;
  readonly listSpaces: ListSpaces;
}

export function listingRoutes(router: Router, deps: ListingRouteDeps): void {

  router.get('/jira/projects', async (ctx) => {
    const { nextCursor, ageSeconds, staleBecause, ...listing } = await deps.listProjects.execute(listingInput(ctx));
    sendListing(ctx, projectsBody(listing, nextCursor), { ageSeconds, staleBecause });
  });

  router.get('/confluence/spaces', async (ctx) => {
    const { nextCursor, ageSeconds, staleBecause, ...listing } = await deps.listSpaces.execute(listingInput(ctx));
    sendListing(ctx, spacesBody(listing, nextCursor), { ageSeconds, staleBecause });
  });

}

function listingInput(ctx: Context) {
  // Most listings carry no query: nothing to validate, and the schema's parse is the costliest step of this function.
  const query = ctx.querystring === '' ? {} : validate(ListingQuery, ctx.query, 'query');
  const paged = query.q !== undefined || query.limit !== undefined || query.cursor !== undefined;
  return {
    sessionToken: sessionTokenOf(ctx),
    fresh: /(^|,)\s*no-cache\s*(,|$)/i.test(ctx.get('Cache-Control')),
    ...(paged ? { page: query } : {}),
  };
}

/** `Age` as HTTP caches use it; browsers still get `no-store` (security-middleware), as for every answer. */
function sendListing(ctx: Context, body: object, freshness: { ageSeconds: number; staleBecause?: string | undefined }): void {
  ctx.res.setHeader('Age', String(freshness.ageSeconds));
  if (freshness.staleBecause !== undefined) ctx.res.setHeader('X-Listing-Stale', freshness.staleBecause);
  sendWithEtag(ctx, body);
}
