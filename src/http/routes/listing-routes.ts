import Router from '@koa/router';
import type { ListProjects } from '../../application/use-cases/list-projects.js';
import type { ListSpaces } from '../../application/use-cases/list-spaces.js';
import { sessionTokenOf } from '../session-header.js';

export interface ListingRouteDeps {
  readonly listProjects: ListProjects;
  readonly listSpaces: ListSpaces;
}

export function listingRoutes(deps: ListingRouteDeps): Router {
  const router = new Router();

  router.get('/jira/projects', async (ctx) => {
    ctx.body = await deps.listProjects.execute({ sessionToken: sessionTokenOf(ctx) });
  });

  router.get('/confluence/spaces', async (ctx) => {
    ctx.body = await deps.listSpaces.execute({ sessionToken: sessionTokenOf(ctx) });
  });

  return router;
}
