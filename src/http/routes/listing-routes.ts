import type Router from '@koa/router';
import type { ListProjects } from '../../application/use-cases/list-projects.js';
import type { ListSpaces } from '../../application/use-cases/list-spaces.js';
import { sendWithEtag } from '../etag.js';
import { sessionTokenOf } from '../session-header.js';
import { projectsBody, spacesBody } from '../wire.js';

export interface ListingRouteDeps {
  readonly listProjects: ListProjects;
  readonly listSpaces: ListSpaces;
}

export function listingRoutes(router: Router, deps: ListingRouteDeps): void {

  router.get('/jira/projects', async (ctx) => {
    sendWithEtag(ctx, projectsBody(await deps.listProjects.execute({ sessionToken: sessionTokenOf(ctx) })));
  });

  router.get('/confluence/spaces', async (ctx) => {
    sendWithEtag(ctx, spacesBody(await deps.listSpaces.execute({ sessionToken: sessionTokenOf(ctx) })));
  });

}
